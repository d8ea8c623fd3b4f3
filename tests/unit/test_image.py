"""Image references, the content store, chain ids, unpacking and run's command rule."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from hutch.engine.request import CreateRequest
from hutch.engine.specgen import process_args
from hutch.errors import HutchError
from hutch.image import reference
from hutch.image.content import ContentStore, DigestError, sha256_of
from hutch.image.store import chain_ids
from hutch.image.unpack import LayerError, apply, clean_name

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(("ref", "full", "short"), [
    ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
    ("library/busybox:1", "docker.io/library/busybox:1", "busybox:1"),
    ("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("index.docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("team/app", "docker.io/team/app:latest", "team/app:latest"),
    ("docker.io/library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest"),
    ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
    ("localhost:5000/team/app:v1", "localhost:5000/team/app:v1", "localhost:5000/team/app:v1"),
    ("127.0.0.1:5000/x", "127.0.0.1:5000/x:latest", "127.0.0.1:5000/x:latest"),
    ("[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000/x:latest"),
    ("a.b/c__d-e--f.g", "a.b/c__d-e--f.g:latest", "a.b/c__d-e--f.g:latest"),
    (f"busybox@{DIGEST}", f"docker.io/library/busybox@{DIGEST}", f"busybox@{DIGEST}"),
    (f"quay.io/x/y:1@{DIGEST}", f"quay.io/x/y:1@{DIGEST}", f"quay.io/x/y:1@{DIGEST}"),
])
def test_references(ref: str, full: str, short: str) -> None:
    r = reference.parse(ref)
    assert str(r) == reference.normalize(ref) == full
    assert r.familiar() == reference.familiar(full) == short
    assert reference.normalize(full) == full  # idempotent


@pytest.mark.parametrize("ref", ["", "Busybox", "a..b", "x:", "a/../b", "a:-x", "a@sha256:00", "-a", "a b",
                                 "a/B", "ab" * 32, "host:port/x", f"a@sha512:{'0' * 64}"])
def test_bad_references(ref: str) -> None:
    with pytest.raises(HutchError):
        reference.parse(ref)


def test_content_store_verifies(tmp_path: Path) -> None:
    cs = ContentStore(str(tmp_path))
    d = cs.put(b"hello")
    assert d == sha256_of(b"hello") and cs.read(d) == b"hello"
    with pytest.raises(DigestError):
        cs.put(b"other", expected=sha256_of(b"not it"))
    assert os.listdir(tmp_path / "ingest") == [] and os.listdir(tmp_path / "blobs/sha256") == [d[7:]]
    Path(cs.path(d)).write_bytes(b"rotten")
    with pytest.raises(DigestError):
        cs.read(d)


def test_chain_ids() -> None:
    a, b = sha256_of(b"a"), sha256_of(b"b")
    assert chain_ids([a]) == [a]
    assert chain_ids([a, b]) == [a, sha256_of(f"{a} {b}".encode())]


def test_clean_names() -> None:
    assert clean_name("./a//b/") == "a/b" and clean_name("/etc/x") == "etc/x" and clean_name("./") == ""
    with pytest.raises(LayerError):
        clean_name("a/../../b")


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> io.BytesIO:
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for ti, data in members:
            if data is not None:
                ti.size = len(data)
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    b.seek(0)
    return b


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "", mode: int = 0o644) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname, ti.mode = kind, link, mode
    return ti


@pytest.mark.skipif(os.geteuid() != 0, reason="whiteouts are device nodes; xattrs are trusted.*")
def test_unpack_follows_links_only_inside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "layer"
    dest.mkdir()
    (dest / "etc").mkdir()
    src = _tar((_info("etc", tarfile.DIRTYPE, mode=0o755), None),
               (_info("link", tarfile.SYMTYPE, link=str(outside)), None),
               (_info("abs", tarfile.SYMTYPE, link="/etc"), None),
               (_info("abs/passwd"), b"root:x:0:0\n"),
               (_info("bin/tool", mode=0o4755), b"#!"),
               (_info("hard", tarfile.LNKTYPE, link="bin/tool"), None),
               (_info("gone/.wh.file"), b""),
               (_info("opq/.wh..wh..opq"), b""))
    apply(src, str(dest))
    assert (dest / "etc/passwd").read_text() == "root:x:0:0\n"  # through /etc, inside the layer
    assert os.listdir(outside) == []
    assert (dest / "bin/tool").stat().st_mode & 0o7777 == 0o4755
    assert (dest / "hard").stat().st_ino == (dest / "bin/tool").stat().st_ino
    wh = (dest / "gone/file").lstat()
    assert os.major(wh.st_rdev) == 0 and os.minor(wh.st_rdev) == 0 and wh.st_mode & 0o170000 == 0o020000
    assert os.getxattr(dest / "opq", "trusted.overlay.opaque") == b"y"
    with pytest.raises(LayerError):
        apply(_tar((_info("link/x"), b"x")), str(dest))  # the link leads nowhere inside
    assert os.listdir(outside) == []


def test_command_rule() -> None:
    cfg = {"Entrypoint": ["/init"], "Cmd": ["--serve"]}
    assert process_args(cfg, CreateRequest.parse("i")) == ["/init", "--serve"]
    assert process_args(cfg, CreateRequest.parse("i", command=["x"])) == ["/init", "x"]
    assert process_args(cfg, CreateRequest.parse("i", entrypoint="sh")) == ["sh"]
    assert process_args(cfg, CreateRequest.parse("i", entrypoint="sh", command=["-c", "true"])) == \
        ["sh", "-c", "true"]
    assert process_args(cfg, CreateRequest.parse("i", entrypoint="", command=["x"])) == ["x"]
    with pytest.raises(HutchError):
        process_args({}, CreateRequest.parse("i"))


def test_ingest_written_hashes_as_it_writes(tmp_path: Path) -> None:
    """A blob written by a function (a layer's tar as it is made): its digest and size, the
    same as ingesting the bytes; a failed write keeps nothing."""
    import hashlib

    store = ContentStore(str(tmp_path / "store"))

    def tar(out: object) -> None:
        with tarfile.open(fileobj=out, mode="w") as t:  # type: ignore[call-overload]  (tell() is used)
            info = tarfile.TarInfo("f")
            info.size = 3
            t.addfile(info, io.BytesIO(b"abc"))

    digest, size = store.ingest_written(tar)
    data = Path(store.path(digest)).read_bytes()
    assert digest == "sha256:" + hashlib.sha256(data).hexdigest() and size == len(data) > 0

    def broken(out: object) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        store.ingest_written(broken)
    assert os.listdir(store.ingest_dir) == []
