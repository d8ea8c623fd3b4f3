"""hutch.image.tarstream reads what tarfile reads: compared member by member on generated
archives in every format tarfile writes, and refuses what is broken."""

from __future__ import annotations

import io
import random
import tarfile
from typing import Any

import pytest

from hutch.image.tarstream import Reader, TarError


def _member(name: str, kind: bytes, *, size: int = 0, **kw: Any) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.size = size
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti


def _archive(fmt: int, seed: int) -> bytes:
    rnd = random.Random(seed)
    buf = io.BytesIO()
    ustar = fmt == tarfile.USTAR_FORMAT
    # longer than ustar's 100-byte name (ustar itself: its 155-byte prefix), non-ASCII
    long_dir = "d" * 120 + "/" + "é" * 70 if not ustar else "d" * 120 + "/" + "é" * 40
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        t.addfile(_member("etc", tarfile.DIRTYPE, mode=0o755, mtime=1_700_000_000))
        for i in range(rnd.randint(5, 40)):
            data = rnd.randbytes(rnd.choice([0, 1, 511, 512, 513, 4096, 70_000, 1_100_000]))
            name = rnd.choice(["etc/f", f"{long_dir}/f", "usr/bin/x", "a/b/c/d"]) + str(i)
            ti = _member(name, tarfile.REGTYPE, size=len(data), mode=rnd.choice([0o644, 0o4755, 0o600]),
                         uid=rnd.choice([0, 1000, 65534]), gid=rnd.choice([0, 5, 100]),
                         mtime=rnd.choice([0, 1_700_000_000, 2**33 - 1 if ustar else 2**40]))
            if fmt == tarfile.PAX_FORMAT and i % 3 == 0:
                ti.pax_headers = {"SCHILY.xattr.user.hutch": f"v{i}",
                                  "SCHILY.xattr.security.capability": "\x01"}
            t.addfile(ti, io.BytesIO(data))
        t.addfile(_member("etc/link", tarfile.SYMTYPE, linkname="/" + "t" * 150 if fmt != tarfile.USTAR_FORMAT
                          else "/target"))
        t.addfile(_member("etc/hard", tarfile.LNKTYPE, linkname="etc/f0"))
        t.addfile(_member("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666))
        t.addfile(_member("dev/loop0", tarfile.BLKTYPE, devmajor=7, devminor=0))
        t.addfile(_member("run/fifo", tarfile.FIFOTYPE))
        t.addfile(_member(long_dir if fmt != tarfile.USTAR_FORMAT else "x" * 99, tarfile.DIRTYPE))
        if fmt != tarfile.USTAR_FORMAT:
            t.addfile(_member("big-ids", tarfile.REGTYPE, uid=2**24, gid=2**22))  # > 8 octal digits
        t.addfile(_member("etc/.wh.removed", tarfile.REGTYPE))
    return buf.getvalue()


def _theirs(data: bytes) -> list[tuple[Any, ...]]:
    out = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as t:
        for m in t:
            f = t.extractfile(m) if m.isreg() else None
            body = f.read() if f is not None else b""
            out.append((m.name.rstrip("/"), m.type, m.mode, m.uid, m.gid, m.size if m.isreg() else 0,
                        m.mtime, m.linkname, m.devmajor if m.ischr() or m.isblk() else 0,
                        m.devminor if m.ischr() or m.isblk() else 0, body,
                        {k: v for k, v in m.pax_headers.items() if k.startswith("SCHILY.")}))
    return out


def _ours(data: bytes, read_data: bool = True) -> list[tuple[Any, ...]]:
    r = Reader(io.BytesIO(data))
    out = []
    for e in r:
        body = b"".join(bytes(v) for v in r.data(e)) if read_data and e.isfile() else b""
        out.append((e.name, e.type, e.mode, e.uid, e.gid, e.size if e.isfile() else 0, e.mtime, e.linkname,
                    e.devmajor, e.devminor, body,
                    {k: v for k, v in e.pax_headers.items() if k.startswith("SCHILY.")}))
    return out


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
@pytest.mark.parametrize("seed", range(6))
def test_reads_what_tarfile_reads(fmt: int, seed: int) -> None:
    data = _archive(fmt, seed)
    assert _ours(data) == _theirs(data)


def test_unread_data_is_skipped() -> None:
    data = _archive(tarfile.PAX_FORMAT, 1)
    assert [x[0] for x in _ours(data, read_data=False)] == [x[0] for x in _theirs(data)]


def test_partly_read_data_is_skipped() -> None:
    data = _archive(tarfile.GNU_FORMAT, 2)
    r = Reader(io.BytesIO(data))
    names = []
    for e in r:
        names.append(e.name)
        for _ in r.data(e):
            break  # one slice, then on to the next member
    assert names == [x[0] for x in _theirs(data)]


def test_a_v7_directory_and_a_prefix() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        t.addfile(_member("old/", tarfile.AREGTYPE))
        t.addfile(_member("p" * 90 + "/" + "n" * 90, tarfile.REGTYPE))  # split into prefix and name
    entries = list(Reader(io.BytesIO(buf.getvalue())))
    assert (entries[0].name, entries[0].type) == ("old", b"5")
    assert entries[1].name == "p" * 90 + "/" + "n" * 90


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty file"),
    (b"x" * 512, "invalid tar header|checksum"),
    (_archive(tarfile.USTAR_FORMAT, 0)[:1500], "truncated"),
    (b"hello, not a tar archive" * 30, "invalid tar header|checksum"),
])
def test_broken_archives_are_refused(data: bytes, words: str) -> None:
    r = Reader(io.BytesIO(data))
    with pytest.raises(TarError, match=words):
        for e in r:
            for _ in r.data(e):
                pass


def test_sparse_and_huge_headers_are_refused() -> None:
    block = bytearray(tarfile.TarInfo("s").tobuf(tarfile.GNU_FORMAT))
    block[156:157] = b"S"
    block[148:156] = b"        "
    block[148:155] = b"%06o\x00" % sum(block)
    with pytest.raises(TarError, match="sparse"):
        list(Reader(io.BytesIO(bytes(block) + b"\x00" * 1024)))
    ti = tarfile.TarInfo("x")
    ti.pax_headers = {"comment": "c" * (2 << 20)}
    huge = ti.tobuf(tarfile.PAX_FORMAT)
    with pytest.raises(TarError, match="extended header"):
        list(Reader(io.BytesIO(huge)))
