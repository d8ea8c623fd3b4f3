"""`hutch images` rows and filters (docker's imageFormatTaggedAndDigest and daemon filters), on
stand-in images: the rows a pulled image (tags and repo digests) gets."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from hutch.cli.engine.images.ls import rows
from hutch.cli.engine.images.lsfilter import select
from hutch.errors import HutchError

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def _image(names: list[str], digests: list[str], created: str = "2026-12-01T00:00:00Z",
           labels: dict[str, str] | None = None) -> Any:
    return SimpleNamespace(id="sha256:" + "a" * 64, names=names, repo_digests=digests, size=4200,
                           config={"created": created, "config": {"Labels": labels or {}}})


def _cells(out: list[Any]) -> list[tuple[str, str, str]]:
    return [(r["Repository"], r["Tag"], r["Digest"]) for r in out]


def test_rows_per_tag_and_digest() -> None:
    img = _image(["docker.io/library/busybox:1", "docker.io/library/busybox:latest"],
                 [f"docker.io/library/busybox@{D1}", f"quay.io/x/y@{D2}"])
    # without digests: a row per tag; a repository known by digest only is a <none> row
    assert _cells(rows(img, None, False, False, True)) == [
        ("busybox", "1", "<none>"), ("busybox", "latest", "<none>"), ("quay.io/x/y", "<none>", "")]
    # --digests: each tag with its repository's digests; digest-only rows show theirs
    assert _cells(rows(img, None, True, True, True)) == [
        ("busybox", "1", D1), ("busybox", "latest", D1), ("quay.io/x/y", "<none>", D2)]
    assert _cells(rows(_image([], []), None, False, False, True)) == [("<none>", "<none>", "<none>")]
    assert rows(img, None, False, False, True)[0]["ID"] == "a" * 12
    assert rows(img, None, False, False, False)[0]["ID"] == "sha256:" + "a" * 64
    # a reference filter picks the rows too
    assert _cells(rows(img, ["busybox:1"], False, False, True)) == [("busybox", "1", "<none>")]


def test_select_filters() -> None:
    old = _image(["docker.io/library/old:1"], [], "2026-01-01T00:00:00Z", {"a": "b"})
    new = _image(["docker.io/team/app:2"], [], "2026-06-01T00:00:00Z")
    none = _image([], [], "2026-03-01T00:00:00Z")
    images = [new, none, old]
    by = {"old:1": old, "team/app:2": new}

    def keep(*pairs: tuple[str, str]) -> list[Any]:
        return select(images, list(pairs), by.__getitem__, 1796626688 * 10**9)[0]

    assert keep(("reference", "*")) == [old]
    assert keep(("reference", "team/*")) == [new]
    assert keep(("dangling", "true")) == [none] and keep(("dangling", "false")) == [new, old]
    assert keep(("label", "a=b")) == [old] and keep(("label!", "a")) == [new, none]
    assert keep(("before", "team/app:2")) == [none, old] and keep(("since", "old:1")) == [new, none]
    assert keep(("until", "2026-02-01T00:00:00Z")) == [old]
    with pytest.raises(HutchError, match="invalid filter 'dangling=\\[x\\]'"):
        keep(("dangling", "x"))
    with pytest.raises(HutchError, match="invalid filter 'nope'"):
        keep(("nope", "1"))
