"""The registry fixtures of tests/support/registry.py work, with skopeo as the client: every
registry variant accepts a push, the token server issues the tokens, and the proxy's faults
are what they claim. No root needed; nothing but 127.0.0.1 is reached."""

from __future__ import annotations

import hashlib
import http.client
import json
from pathlib import Path

import pytest

from tests.support.registry import (
    BUSYBOX_LAYERS,
    MT_INDEX,
    OciImage,
    Proxy,
    Registry,
    TokenServer,
    oci_index_layout,
    oci_layout_from_rootfs,
    skopeo,
    skopeo_inspect_raw,
    skopeo_push,
)


@pytest.fixture(scope="module")
def busybox(rootfs_template: Path, tmp_path_factory: pytest.TempPathFactory) -> OciImage:
    """The busybox rootfs as an OCI layout of 4 layers (the last one a whiteout)."""
    return oci_layout_from_rootfs(rootfs_template, tmp_path_factory.mktemp("layout") / "oci",
                                  layers=BUSYBOX_LAYERS)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def get(host: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(host, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def test_plain_push(registry: Registry, busybox: OciImage) -> None:
    digest = skopeo_push(busybox.path, registry, "fixture/plain:latest")
    assert digest == busybox.digest  # pushed as built: same manifest
    status, headers, body = get(registry.host, f"/v2/fixture/plain/manifests/{digest}",
                                {"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert status == 200 and sha256(body) == digest
    assert headers["Docker-Content-Digest"] == digest
    layers = json.loads(body)["layers"]
    assert len(layers) == 4 and all(lyr["mediaType"].endswith("+gzip") for lyr in layers)
    assert (registry.storage / "docker/registry/v2/repositories/fixture/plain").is_dir()
    # the same image as a docker schema2 manifest
    skopeo_push(busybox.path, registry, "fixture/plain:v2s2", format="v2s2")
    v2 = json.loads(skopeo_inspect_raw(registry, "fixture/plain:v2s2"))
    assert v2["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert [lyr["digest"] for lyr in v2["layers"]] == busybox.layers


def test_htpasswd(auth_registry: Registry, busybox: OciImage) -> None:
    assert skopeo_push(busybox.path, auth_registry, "fixture/basic:1", creds=None, check=False) == ""
    assert skopeo_push(busybox.path, auth_registry, "fixture/basic:1", creds=("hutch", "wrong"),
                       check=False) == ""
    assert skopeo_push(busybox.path, auth_registry, "fixture/basic:1") == busybox.digest
    assert auth_registry.request("GET", "/v2/")[0] == 401
    assert auth_registry.request("GET", "/v2/", auth=True)[0] == 200


def test_token(token_registry: Registry, busybox: OciImage) -> None:
    ts = token_registry.token_server
    assert ts is not None
    status, headers, _ = token_registry.request("GET", "/v2/")
    assert status == 401
    assert f'realm="{ts.url}"' in headers["WWW-Authenticate"]
    assert skopeo_push(busybox.path, token_registry, "fixture/token:1", creds=None, check=False) == ""
    assert skopeo_push(busybox.path, token_registry, "fixture/token:1") == busybox.digest
    assert ts.tokens_for("repository:fixture/token:pull,push") >= 1
    assert any(r.authenticated for r in ts.requests)
    # anonymous pull is granted by default; the token server saw it unauthenticated
    before = len(ts.requests)
    raw = skopeo_inspect_raw(token_registry, "fixture/token:1", creds=None)
    assert sha256(raw) == busybox.digest
    new = ts.requests[before:]
    assert new and not any(r.authenticated for r in new)
    assert all(r.scopes == ["repository:fixture/token:pull"] for r in new)
    assert skopeo_inspect_raw(token_registry, "fixture/token:1") == raw
    # a raw request with a token the fixture signs
    assert token_registry.request("GET", "/v2/fixture/token/tags/list", auth=True)[0] == 200


def test_tls(tls_registry: Registry, busybox: OciImage, tmp_path: Path) -> None:
    assert tls_registry.url.startswith("https://")
    # skopeo verifies: with the CA it works, without it it refuses the certificate
    assert skopeo_push(busybox.path, tls_registry, "fixture/tls:1") == busybox.digest
    r = skopeo("copy", "--dest-no-creds", f"oci:{busybox.path}", f"docker://{tls_registry.host}/fixture/tls:2",
               check=False)
    assert r.returncode != 0 and "certificate" in r.stderr
    certs = tls_registry.certs_d(tmp_path / "certs.d")
    assert (certs / tls_registry.host / "ca.crt").read_bytes() == tls_registry.ca_cert.read_bytes()
    assert tls_registry.request("GET", "/v2/fixture/tls/tags/list")[0] == 200


def test_tls_client_auth_and_htpasswd(busybox: OciImage) -> None:
    with Registry(tls=True, client_auth=True, htpasswd=("hutch", "hutchpass")) as reg:
        d = reg.cert_dir()
        assert sorted(p.name for p in d.iterdir()) == ["ca.crt", "client.cert", "client.key"]
        assert skopeo_push(busybox.path, reg, "fixture/mtls:1") == busybox.digest
        assert reg.request("GET", "/v2/", auth=True)[0] == 200
        # without the client certificate the TLS handshake fails
        (d / "client.cert").unlink()
        (d / "client.key").unlink()
        r = skopeo("inspect", "--raw", f"--cert-dir={d}", "--creds=hutch:hutchpass",
                   f"docker://{reg.host}/fixture/mtls:1", check=False)
        assert r.returncode != 0
    assert reg.proc is None and not reg.tmp.exists()


def test_multi_arch_index(registry: Registry, rootfs_template: Path, tmp_path: Path) -> None:
    idx = oci_index_layout(rootfs_template, tmp_path / "oci")
    assert skopeo_push(idx.path, registry, "fixture/multi:latest", all=True) == idx.digest
    raw = json.loads(skopeo_inspect_raw(registry, "fixture/multi:latest"))
    assert raw["mediaType"] == MT_INDEX
    assert [(m["platform"]["architecture"], m["platform"].get("variant")) for m in raw["manifests"]] == [
        ("amd64", None), ("arm64", "v8")]
    amd, arm = idx.images
    assert amd.layers[-1] != arm.layers[-1] and amd.layers[:-1] == arm.layers[:-1]
    for img in idx.images:
        assert sha256(skopeo_inspect_raw(registry, f"fixture/multi@{img.digest}")) == img.digest


def test_zstd_and_uncompressed(fresh_registry: Registry, busybox: OciImage, rootfs_template: Path,
                               tmp_path: Path) -> None:
    # a fresh registry: skopeo 1.9 reuses a gzip blob the registry already has (any repository)
    # instead of recompressing it
    registry = fresh_registry
    skopeo_push(busybox.path, registry, "fixture/zstd:latest", compress="zstd")
    layers = json.loads(skopeo_inspect_raw(registry, "fixture/zstd:latest"))["layers"]
    assert {lyr["mediaType"] for lyr in layers} == {"application/vnd.oci.image.layer.v1.tar+zstd"}
    status, _, blob = get(registry.host, f"/v2/fixture/zstd/blobs/{layers[0]['digest']}")
    assert status == 200 and blob[:4] == b"\x28\xb5\x2f\xfd"  # the zstd frame magic
    plain = oci_layout_from_rootfs(rootfs_template, tmp_path / "oci", compress=None)
    assert skopeo_push(plain.path, registry, "fixture/plain-tar:latest", compress=None) == plain.digest
    layers = json.loads(skopeo_inspect_raw(registry, "fixture/plain-tar:latest"))["layers"]
    assert layers[0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar"


def test_proxy_corrupt(proxy: Proxy, busybox: OciImage) -> None:
    assert skopeo_push(busybox.path, proxy, "fixture/proxy:latest") == busybox.digest
    assert any(r.method in {"PATCH", "PUT"} for r in proxy.requests)
    digest = busybox.layers[0]
    ok = get(proxy.host, f"/v2/fixture/proxy/blobs/{digest}")
    assert ok[0] == 200 and sha256(ok[2]) == digest
    proxy.corrupt(digest)
    status, headers, body = get(proxy.host, f"/v2/fixture/proxy/blobs/{digest}")
    assert status == 200 and int(headers["Content-Length"]) == len(body) == len(ok[2])
    assert sha256(body) != digest and sum(a != b for a, b in zip(body, ok[2], strict=True)) == 1
    assert len(proxy.blob_gets(digest)) == 2


def test_proxy_cut_then_range(proxy: Proxy, busybox: OciImage) -> None:
    skopeo_push(busybox.path, proxy, "fixture/proxy:latest")
    digest = busybox.layers[0]  # busybox itself, ~1 MB gzipped
    path = f"/v2/fixture/proxy/blobs/{digest}"
    proxy.cut(digest, 100_000)
    conn = http.client.HTTPConnection(proxy.host, timeout=10)
    conn.request("GET", path)
    r = conn.getresponse()
    total = int(r.headers["Content-Length"])
    assert r.status == 200 and total > 100_000
    with pytest.raises(http.client.IncompleteRead) as cut:
        r.read()
    conn.close()
    head = cut.value.partial
    assert len(head) == 100_000
    status, headers, rest = get(proxy.host, path, {"Range": f"bytes={len(head)}-"})
    assert status == 206 and headers["Content-Range"] == f"bytes {len(head)}-{total - 1}/{total}"
    assert sha256(head + rest) == digest
    assert proxy.blob_gets(digest)[-1].headers["Range"] == f"bytes={len(head)}-"


def test_proxy_fail(proxy: Proxy) -> None:
    proxy.fail("/v2/", 503, times=1)
    proxy.fail("/v2/", 429, times=1)
    assert get(proxy.host, "/v2/")[0] == 503
    status, headers, _ = get(proxy.host, "/v2/")
    assert status == 429 and headers["Retry-After"] == "1"
    assert get(proxy.host, "/v2/")[0] == 200
    assert [r.path for r in proxy.requests] == ["/v2/"] * 3


def test_proxy_cut_reset(proxy: Proxy, busybox: OciImage) -> None:
    skopeo_push(busybox.path, proxy, "fixture/proxy:latest")
    digest = busybox.layers[0]
    proxy.cut(digest, 5000, reset=True)
    conn = http.client.HTTPConnection(proxy.host, timeout=10)
    conn.request("GET", f"/v2/fixture/proxy/blobs/{digest}")
    r = conn.getresponse()
    with pytest.raises((ConnectionResetError, http.client.IncompleteRead)):
        while r.read(1000):
            pass
    conn.close()
    assert get(proxy.host, f"/v2/fixture/proxy/blobs/{digest}")[0] == 200  # the next one is whole


def test_token_no_anonymous(busybox: OciImage) -> None:
    with Registry(token=TokenServer("alice", "secret", anonymous=None)) as reg:
        ts = reg.token_server
        assert ts is not None and reg.credentials == ("alice", "secret")
        assert skopeo_push(busybox.path, reg, "fixture/anon:1") == busybox.digest
        r = skopeo("inspect", "--raw", "--tls-verify=false", "--no-creds", f"docker://{reg.host}/fixture/anon:1",
                   check=False)
        assert r.returncode != 0
        assert any(t.status == 401 and not t.authenticated for t in ts.requests)
        # a token for another repository is refused by the registry (insufficient scope)
        other = ts.sign(sub="alice", access=[{"type": "repository", "name": "other", "actions": ["pull"]}])
        status, headers, _ = reg.request("GET", "/v2/fixture/anon/manifests/1",
                                         {"Authorization": f"Bearer {other}"})
        assert status == 401 and 'scope="repository:fixture/anon:pull"' in headers["WWW-Authenticate"]
    assert ts.port and not ts.dir.exists()
