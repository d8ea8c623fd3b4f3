"""The registry client's pure parts: challenges, platforms, progress, search candidates,
manifest checks (no network: a fake repository)."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest

from hutch.errors import HutchError
from hutch.image import platform
from hutch.image.registry import pull
from hutch.image.registry.auth import parse_challenge
from hutch.image.registry.progress import Progress, bar, human


@pytest.mark.parametrize(("header", "scheme", "params"), [
    ('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
     'scope="repository:library/busybox:pull"', "bearer",
     {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
      "scope": "repository:library/busybox:pull"}),
    ('Basic realm="Registry Realm"', "basic", {"realm": "Registry Realm"}),
    ('Bearer realm="r",error="insufficient_scope",scope="repository:a:pull repository:b:pull,push"',
     "bearer", {"realm": "r", "error": "insufficient_scope",
                "scope": "repository:a:pull repository:b:pull,push"}),
    ('Bearer realm="a\\"b,c", service=x', "bearer", {"realm": 'a"b,c', "service": "x"}),
    ("", "", {}),
])
def test_challenges(header: str, scheme: str, params: dict[str, str]) -> None:
    assert parse_challenge(header) == (scheme, params)


def _m(os_: str, arch: str, variant: str = "") -> dict[str, Any]:
    p = {"os": os_, "architecture": arch, **({"variant": variant} if variant else {})}
    return {"digest": f"{os_}/{arch}/{variant}", "platform": p}


def test_platform_pick() -> None:
    index = [_m("linux", "arm", "v6"), _m("linux", "arm", "v7"), _m("linux", "arm64", "v8"),
             _m("linux", "amd64"), _m("windows", "amd64")]
    assert (platform.pick(index, ("linux", "amd64", "")) or {})["digest"] == "linux/amd64/"
    assert (platform.pick(index, platform.parse("linux/arm64")) or {})["digest"] == "linux/arm64/v8"
    assert (platform.pick(index, platform.parse("linux/arm/v7")) or {})["digest"] == "linux/arm/v7"
    # an older arm variant runs on a newer cpu; arm64's variant is v8 when absent
    assert platform.pick([_m("linux", "arm", "v6")], platform.parse("linux/arm/v7")) is not None
    assert platform.pick([_m("linux", "arm", "v7")], platform.parse("linux/arm/v6")) is None
    assert platform.pick([_m("linux", "arm64")], platform.parse("linux/arm64/v8")) is not None
    assert platform.pick(index, platform.parse("linux/s390x")) is None
    assert platform.parse("arm64") == ("linux", "arm64", "v8")
    assert platform.parse("linux/x86_64") == ("linux", "amd64", "")
    for bad in ("", "a/b/c/d", "linux//x"):
        with pytest.raises(HutchError):
            platform.parse(bad)


def test_progress_shapes() -> None:
    assert human(2_220_000) == "2.22MB" and human(999) == "999B" and human(1000) == "1kB"
    assert bar(0, 100).startswith("[>") and bar(100, 100).startswith("[" + "=" * 49 + ">]")
    assert bar(5, 0) == "5B"
    out = io.StringIO()
    p = Progress(out, tty=False)
    p.update("abc", "Downloading", 1, 10)
    p.update("abc", "Downloading", 5, 10)  # the same status: nothing new off a terminal
    p.update("abc", "Pull complete")
    p.message("Digest: x")
    assert out.getvalue() == "abc: Downloading\nabc: Pull complete\nDigest: x\n"
    term = io.StringIO()
    t = Progress(term, tty=True)
    t.update("a", "Waiting")
    t.update("b", "Waiting")
    t.update("a", "Downloading", 10, 10)
    assert term.getvalue().startswith("a: Waiting\nb: Waiting\n\x1b[2A\x1b[2K\ra: Downloading [")
    quiet = io.StringIO()
    Progress(quiet, quiet=True).message("nothing")
    assert quiet.getvalue() == ""


def test_search_candidates() -> None:
    assert [str(r) for r in pull.candidates("busybox", [])] == ["docker.io/library/busybox:latest"]
    assert [str(r) for r in pull.candidates("busybox:1", ["quay.io", "docker.io"])] == \
        ["quay.io/busybox:1", "docker.io/library/busybox:1"]
    assert [str(r) for r in pull.candidates("reg.local:5000/x", ["quay.io"])] == ["reg.local:5000/x:latest"]
    assert [str(r) for r in pull.candidates("localhost/x", ["quay.io"])] == ["localhost/x:latest"]


class _Repo:
    """A repository that serves manifests from a dict."""

    def __init__(self, docs: dict[str, bytes]) -> None:
        self.docs = docs

    def manifest(self, ref: str) -> tuple[bytes, str, str]:
        return self.docs[ref], "", ""


def _puller(want: tuple[str, str, str] = ("linux", "amd64", "")) -> Any:
    from types import SimpleNamespace

    from hutch.image.reference import parse

    store = SimpleNamespace(content=SimpleNamespace(ingest_dir="/nonexistent"))
    return pull._Pull(store, None, parse("reg.local/x:1"), Progress(io.StringIO()), want, 3)  # type: ignore[arg-type]


def _digest(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


LAYER = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + "1" * 64,
         "size": 1}
CONFIG = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "2" * 64, "size": 1}


def test_manifest_checks() -> None:
    p = _puller()
    image = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": CONFIG, "layers": [LAYER]}).encode()
    d = _digest(image)
    amd64 = {"digest": d, "platform": {"os": "linux", "architecture": "amd64"}}
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [amd64]}).encode()
    repo = _Repo({d: image})
    body, digest, doc = p.image_manifest(repo, index, "", _digest(index))
    assert (body, digest) == (image, d) and doc["layers"] == [LAYER]
    with pytest.raises(HutchError, match="no matching manifest for linux/arm64"):
        _puller(("linux", "arm64", "v8")).image_manifest(repo, index, "", _digest(index))
    with pytest.raises(HutchError, match="schema 1"):
        p.image_manifest(repo, json.dumps({"schemaVersion": 1, "fsLayers": []}).encode(), "", "sha256:x")
    encrypted = {**LAYER, "mediaType": "application/x-encrypted"}
    odd = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": CONFIG, "layers": [encrypted]}).encode()
    with pytest.raises(HutchError, match="unsupported media type"):
        p.image_manifest(repo, odd, "", _digest(odd))
    # a registry that lies about a digest
    liar = _Repo({d: image + b" "})
    with pytest.raises(HutchError, match="digest"):
        p.image_manifest(liar, index, "", _digest(index))
    with pytest.raises(HutchError, match="says its digest"):
        pull._verified(image, "", "sha256:" + "0" * 64, "manifest")
