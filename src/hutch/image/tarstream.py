"""A streaming tar reader for image layers: ustar, pax and GNU long names, what layers use.

The standard library's tarfile, in its stream mode, spends a third of a layer's unpacking
time in Python on headers (field by field) and in small layered reads; this reads a
header with one slice per field and hands file data out in slices of a 1 MiB buffer.
What it reads is what tarfile reads (tests/unit/test_tarstream.py compares the two on
generated archives): names decoded as UTF-8 with surrogateescape (so the bytes come back
for the file system), pax ``path``, ``linkpath``, ``size``, ``uid``, ``gid``, ``mtime``
and ``SCHILY.xattr.*`` records over the header's fields, pax global headers, GNU
``L``/``K`` long names, base-256 numbers, a ustar ``prefix``, a V7 directory as a name
with a trailing slash. Sparse files and other exotic types are refused, as is anything
malformed: a bad checksum, a truncated archive, a pax record that does not parse.
"""

from __future__ import annotations

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

BLOCK = 512
CHUNK = 1 << 20
MAX_META = 1 << 20  # a pax header or GNU long name: tarfile has no limit, a layer needs none larger
_KNOWN = frozenset((b"0", b"\x00", b"7", b"1", b"2", b"3", b"4", b"5", b"6"))
_POSIX_MAGIC = b"ustar\x00"


class TarError(HutchError):
    pass


class Entry:
    """One member: what unpacking needs of a tarfile.TarInfo, by the same names."""

    __slots__ = ("devmajor", "devminor", "gid", "linkname", "mode", "mtime", "name", "pax_headers", "size",
                 "type", "uid")

    def __init__(self) -> None:
        self.name = self.linkname = ""
        self.type = b"0"
        self.mode = self.uid = self.gid = self.size = self.devmajor = self.devminor = 0
        self.mtime: float = 0
        self.pax_headers: dict[str, str] = {}

    def isfile(self) -> bool:
        return self.type in (b"0", b"\x00", b"7")

    def isdir(self) -> bool:
        return self.type == b"5"

    def issym(self) -> bool:
        return self.type == b"2"

    def islnk(self) -> bool:
        return self.type == b"1"

    def ischr(self) -> bool:
        return self.type == b"3"

    def isblk(self) -> bool:
        return self.type == b"4"

    def isfifo(self) -> bool:
        return self.type == b"6"


def _str(field: bytes) -> str:
    return field.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


def _num(field: bytes) -> int:
    """An octal number field, or GNU's base-256 (first byte 0x80, or 0xff: negative)."""
    if field[:1] in (b"\x80", b"\xff"):
        n = int.from_bytes(field[1:], "big")
        return n - 256 ** (len(field) - 1) if field[0] == 0xFF else n
    text = field.split(b"\x00", 1)[0].strip()
    try:
        return int(text or b"0", 8)
    except ValueError:
        raise TarError(f"invalid tar header (a number field holds {field!r})") from None


class Reader:
    """``for entry in Reader(src): ... reader.data(entry)`` — data not read is skipped."""

    def __init__(self, src: Any) -> None:
        self.src = src
        self.buf = b""
        self.pos = 0
        self.left = 0  # data bytes of the current entry not yet handed out, plus its padding
        self.globals: dict[str, str] = {}

    def _fill(self, n: int) -> None:
        """At least ``n`` bytes in the buffer from ``pos`` (TarError at the end)."""
        have = len(self.buf) - self.pos
        if have >= n:
            return
        parts = [self.buf[self.pos:]]
        while have < n:
            more = self.src.read(max(CHUNK, n - have))
            if not more:
                raise TarError("unexpected end of data: the tar archive is truncated")
            parts.append(more)
            have += len(more)
        self.buf, self.pos = b"".join(parts), 0

    def _take(self, n: int) -> bytes:
        self._fill(n)
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def _skip(self, n: int) -> None:
        while n:
            have = len(self.buf) - self.pos
            if have == 0:
                self._fill(1)
                continue
            step = min(n, have)
            self.pos += step
            n -= step

    def data(self, entry: Entry) -> Iterator[memoryview]:
        """The entry's data, in slices of the read buffer (valid until the next one)."""
        remaining = min(entry.size, self.left)
        while remaining:
            if self.pos >= len(self.buf):
                self._fill(1)
            step = min(remaining, len(self.buf) - self.pos)
            view = memoryview(self.buf)[self.pos:self.pos + step]
            self.pos += step
            remaining -= step
            self.left -= step
            yield view

    def __iter__(self) -> Iterator[Entry]:
        long_name = long_link = None
        pax: dict[str, str] = {}
        started = False
        while True:
            self._skip(self.left)
            self.left = 0
            try:
                self._fill(BLOCK)
            except TarError:
                if self.pos >= len(self.buf) and started:  # no end blocks: tarfile takes that too
                    return
                raise TarError("empty file" if not started else "unexpected end of data") from None
            started = True
            block = self.buf[self.pos:self.pos + BLOCK]
            self.pos += BLOCK
            if block.count(0) == BLOCK:  # the end (tarfile stops at the first zero block too)
                return
            stored = _num(block[148:156])
            unsigned = sum(block) - sum(block[148:156]) + 256  # the field counts as 8 spaces
            if stored != unsigned:  # some old tars summed signed chars
                high = sum(1 for b in block[:148] + block[156:] if b > 127)
                if stored != unsigned - 256 * high:
                    raise TarError("bad checksum in a tar header")
            kind = block[156:157]
            size = _num(block[124:136])
            if size < 0:
                raise TarError("negative size in a tar header")
            padded = -(-size // BLOCK) * BLOCK
            if kind in (b"x", b"g", b"L", b"K") and size > MAX_META:
                raise TarError(f"a tar extended header of {size} bytes (more than {MAX_META})")
            if kind in (b"x", b"g"):
                records = _pax(self._take(padded)[:size])
                if kind == b"g":
                    self.globals.update(records)
                else:
                    pax.update(records)
                continue
            if kind in (b"L", b"K"):
                text = _str(self._take(padded)[:size])
                if kind == b"L":
                    long_name = text
                else:
                    long_link = text
                continue
            if kind == b"S" or any(k.startswith("GNU.sparse.") for k in pax):
                raise TarError("sparse files in a layer are not supported")
            e = Entry()
            e.type = kind
            e.name = _str(block[0:100])
            if block[257:263] == _POSIX_MAGIC:
                prefix = _str(block[345:500])
                if prefix:
                    e.name = f"{prefix}/{e.name}"
            e.mode = _num(block[100:108])
            e.uid = _num(block[108:116])
            e.gid = _num(block[116:124])
            e.mtime = _num(block[136:148])
            e.linkname = _str(block[157:257])
            e.devmajor = _num(block[329:337]) if kind in (b"3", b"4") else 0
            e.devminor = _num(block[337:345]) if kind in (b"3", b"4") else 0
            if long_name is not None:
                e.name, long_name = long_name, None
            if long_link is not None:
                e.linkname, long_link = long_link, None
            e.size = size
            headers = {**self.globals, **pax} if self.globals else pax
            pax = {}
            if headers:
                _apply(e, headers)
            if kind == b"\x00" and e.name.endswith("/"):
                e.type = b"5"  # V7: a directory is a plain file whose name ends in a slash
            if e.type == b"5":
                e.name = e.name.rstrip("/")
            # data follows a regular file (or a type this reader does not know), as tarfile
            # reads it: a pax size overrides the header's
            if e.isfile() or e.type not in _KNOWN:
                self.left = -(-e.size // BLOCK) * BLOCK
            yield e


def _pax(data: bytes) -> dict[str, str]:
    """The records of a pax extended header: ``"%d %s=%s\\n"``, lengths counting themselves."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:
            break
        space = data.find(b" ", pos)
        if space < 0:
            raise TarError("invalid pax header")
        try:
            length = int(data[pos:space])
        except ValueError:
            raise TarError("invalid pax header") from None
        if length < 5 or pos + length > len(data) or data[pos + length - 1] != 0x0A:
            raise TarError("invalid pax header")
        key, eq, value = data[space + 1:pos + length - 1].partition(b"=")
        if not eq:
            raise TarError("invalid pax header")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def _apply(e: Entry, headers: dict[str, str]) -> None:
    e.pax_headers = dict(headers)
    try:
        if "path" in headers:
            e.name = headers["path"]
        if "linkpath" in headers:
            e.linkname = headers["linkpath"]
        if "size" in headers:
            e.size = int(headers["size"])
        if "uid" in headers:
            e.uid = int(headers["uid"])
        if "gid" in headers:
            e.gid = int(headers["gid"])
        if "mtime" in headers:
            e.mtime = float(headers["mtime"])
    except ValueError as err:
        raise TarError(f"invalid pax header value ({err})") from None
