"""Compressed layers and tarballs: read gzip, bzip2, xz and zstd streams as plain bytes.

Two ways in, both over a stream that need not seek (standard input, a member of a tar
read in stream mode, an HTTP response):

- ``detect(src)``: by the first bytes, as ``docker import`` does (gzip ``1f 8b``, bzip2
  ``BZh``, xz ``fd 37 7a 58 5a 00``, zstd ``28 b5 2f fd``); anything else is read as it is.
- ``open_layer(src, media_type)``: by an OCI or docker layer media type, as a registry
  client must (the manifest, not the bytes, says how a layer is compressed).

The reader returned has ``read(n)``; a stream that does not decompress raises
CompressionError (a HutchError: one line for the user), never a decompressor's own error.
The decompressors are imported when a stream needs one (zstandard, from PyPI, costs ~12 ms).
"""

from __future__ import annotations

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any, Protocol

    class Reader(Protocol):
        def read(self, n: int = -1, /) -> bytes: ...


GZIP, BZIP2, XZ, ZSTD = "gzip", "bzip2", "xz", "zstd"
MAGIC = ((b"\x1f\x8b", GZIP), (b"BZh", BZIP2), (b"\xfd7zXZ\x00", XZ), (b"\x28\xb5\x2f\xfd", ZSTD))
_HEAD = max(len(m) for m, _ in MAGIC)

_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
_OCI_FOREIGN = "application/vnd.oci.image.layer.nondistributable.v1.tar"
_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
_DOCKER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar"

# media type -> compression ("" = none); OCI spells it "+gzip", docker ".gzip"
LAYER_MEDIA_TYPES: dict[str, str] = {
    _OCI_LAYER: "", f"{_OCI_LAYER}+gzip": GZIP, f"{_OCI_LAYER}+zstd": ZSTD,
    _OCI_FOREIGN: "", f"{_OCI_FOREIGN}+gzip": GZIP, f"{_OCI_FOREIGN}+zstd": ZSTD,
    _DOCKER_LAYER: "", f"{_DOCKER_LAYER}.gzip": GZIP, f"{_DOCKER_LAYER}.zstd": ZSTD,
    f"{_DOCKER_FOREIGN}.gzip": GZIP,
}
FOREIGN_MEDIA_TYPES = frozenset(t for t in LAYER_MEDIA_TYPES if "nondistributable" in t or "foreign" in t)


class CompressionError(HutchError):
    pass


def compression_of(media_type: str) -> str:
    """The compression ("gzip", "zstd", or "" for none) of a layer media type;
    CompressionError for a type that is not a layer hutch can read (encrypted ones too)."""
    try:
        return LAYER_MEDIA_TYPES[media_type]
    except KeyError:
        raise CompressionError(f"unsupported layer media type {media_type!r}") from None


def is_foreign(media_type: str) -> bool:
    """Whether a layer is nondistributable (docker's "foreign"): a registry client skips
    fetching those whose URLs it does not follow, as containerd does."""
    return media_type in FOREIGN_MEDIA_TYPES


def open_layer(src: IO[bytes] | Reader, media_type: str) -> Reader:
    """``src`` (a layer blob of ``media_type``) decompressed."""
    return _reader(src, compression_of(media_type))


def detect(src: IO[bytes] | Reader) -> Reader:
    """``src`` decompressed when its first bytes are a compressor's magic, else as it is."""
    head = b""
    while len(head) < _HEAD:  # a pipe may return less than asked
        more = src.read(_HEAD - len(head))
        if not more:
            break
        head += more
    kind = next((k for magic, k in MAGIC if head.startswith(magic)), "")
    return _reader(_Chain(head, src), kind)


def _reader(src: IO[bytes] | Reader, kind: str) -> Reader:
    if not kind:
        return src
    f: Any = src  # the decompressors read any object with read(n); their stubs want files
    if kind == GZIP:
        import gzip
        import zlib

        return _Checked(gzip.GzipFile(fileobj=f, mode="rb"), kind, zlib.error)
    if kind == BZIP2:
        import bz2

        return _Checked(bz2.BZ2File(f, "rb"), kind, ValueError)
    if kind == XZ:
        import lzma

        return _Checked(lzma.LZMAFile(f, "rb"), kind, lzma.LZMAError)
    import zstandard

    return _Checked(_Zstd(src, zstandard), kind, zstandard.ZstdError)


class _Chain:
    """A readable stream: ``head`` first, then the rest of ``src``."""

    def __init__(self, head: bytes, src: IO[bytes] | Reader) -> None:
        self.head, self.src = head, src

    def read(self, n: int = -1, /) -> bytes:
        if self.head:
            if n is None or n < 0:
                out, self.head = self.head + self.src.read(), b""
                return out
            out, self.head = self.head[:n], self.head[n:]
            return out
        return self.src.read(n)


class _Zstd:
    """A zstd stream of one or more frames (pzstd, or zstd files put end to end), read
    through zstandard's decompressobj; zstandard's own stream_reader takes a stream cut
    short mid-frame for a complete one, this reader does not. The input goes in small
    pieces, so that one read holds at most PIECE times the compression ratio in memory."""

    PIECE = 16 << 10

    def __init__(self, src: IO[bytes] | Reader, zstandard: Any) -> None:
        self.src, self.zstandard = src, zstandard
        self.obj = zstandard.ZstdDecompressor().decompressobj()
        self.in_frame = False  # the current decompressobj has been fed part of a frame
        self.buf, self.pos = b"", 0

    def read(self, n: int = -1, /) -> bytes:
        if n is None or n < 0:
            chunks = []
            while chunk := self.read(1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        while self.pos >= len(self.buf):
            data = self._more()
            if data is None:
                return b""
            self.buf, self.pos = data, 0
        out = self.buf[self.pos:self.pos + n]
        self.pos += len(out)
        return out

    def _more(self) -> bytes | None:
        """The next decompressed bytes (maybe b""), or None at the end of the stream."""
        piece = self.src.read(self.PIECE)
        if not piece:
            if self.in_frame:
                raise self.zstandard.ZstdError("the stream ends in the middle of a frame")
            return None
        out: bytes = self.obj.decompress(piece)
        self.in_frame = True
        while self.obj.eof:  # a frame ended: what follows is the next one
            rest = self.obj.unused_data
            self.obj = self.zstandard.ZstdDecompressor().decompressobj()
            self.in_frame = bool(rest)
            if not rest:
                break
            out += self.obj.decompress(rest)
        return out


class _Checked:
    """A decompressing reader whose decompressor's errors (bad data, a stream cut short)
    become CompressionError; an error of the source itself (one with an errno) passes."""

    def __init__(self, inner: Reader, kind: str, error: type[Exception]) -> None:
        self.inner, self.kind, self.error = inner, kind, error

    def read(self, n: int = -1, /) -> bytes:
        try:
            return self.inner.read(n)
        except OSError as err:  # gzip.BadGzipFile, bz2's "Invalid data stream": no errno
            if err.errno is not None:
                raise
            raise CompressionError(f"bad {self.kind} stream: {err}") from err
        except (EOFError, self.error) as err:
            raise CompressionError(f"bad {self.kind} stream: {err}") from err
