"""hutch.image.compression: gzip, bzip2, xz and zstd by magic or media type, over streams
that do not seek and return short reads (pipes), with one-line errors for bad streams."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os

import pytest
import zstandard

from hutch.image import compression
from hutch.image.compression import CompressionError, detect, open_layer

DATA = os.urandom(50_000) + b"\0" * 300_000 + b"tail"


class Pipe:
    """A stream with only read(), returning at most 1000 bytes a call when given a size."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, n: int = -1, /) -> bytes:
        n = len(self.data) if n < 0 else min(n, 1000)
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out


def _zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(write_checksum=True).compress(data)  # as the zstd CLI writes


COMPRESS = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress, "zstd": _zstd,
            "": lambda d: d}


def _all(reader: compression.Reader) -> bytes:
    out = []
    while chunk := reader.read(65536):
        out.append(chunk)
    return b"".join(out)


@pytest.mark.parametrize("kind", list(COMPRESS))
def test_detect_reads_every_kind_from_a_pipe(kind: str) -> None:
    assert _all(detect(Pipe(COMPRESS[kind](DATA)))) == DATA
    assert detect(Pipe(COMPRESS[kind](DATA))).read() == DATA  # read() with no size: everything


def test_detect_short_and_empty_inputs() -> None:
    assert detect(Pipe(b"")).read() == b""
    assert detect(Pipe(b"\x1f")).read() == b"\x1f"  # too short to be gzip: as it is
    assert detect(Pipe(b"BZ")).read(10) == b"BZ"


def test_zstd_of_several_frames_is_one_stream() -> None:
    two = _zstd(DATA) + _zstd(b"second")
    assert _all(detect(Pipe(two))) == DATA + b"second"


@pytest.mark.parametrize("kind", ["gzip", "bzip2", "xz", "zstd"])
def test_a_stream_cut_short_or_damaged_is_a_compression_error(kind: str) -> None:
    good = COMPRESS[kind](DATA)
    damaged = good[:20] + bytes(b ^ 0x55 for b in good[20:200]) + good[200:]
    for bad in (good[:len(good) // 2], damaged):
        with pytest.raises(CompressionError, match=f"bad {kind} stream"):
            _all(detect(Pipe(bad)))


def test_zstd_with_junk_after_the_last_frame_is_refused() -> None:
    with pytest.raises(CompressionError, match="bad zstd stream"):
        _all(detect(Pipe(_zstd(DATA) + b"junk")))


@pytest.mark.parametrize(("media_type", "kind"), [
    ("application/vnd.oci.image.layer.v1.tar", ""),
    ("application/vnd.oci.image.layer.v1.tar+gzip", "gzip"),
    ("application/vnd.oci.image.layer.v1.tar+zstd", "zstd"),
    ("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "gzip"),
    ("application/vnd.docker.image.rootfs.diff.tar.gzip", "gzip"),
    ("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "gzip"),
])
def test_open_layer_by_media_type(media_type: str, kind: str) -> None:
    assert compression.compression_of(media_type) == kind
    assert _all(open_layer(Pipe(COMPRESS[kind](DATA)), media_type)) == DATA
    assert compression.is_foreign(media_type) == ("foreign" in media_type or "nondistributable" in media_type)


def test_open_layer_refuses_unknown_media_types() -> None:
    with pytest.raises(CompressionError, match="unsupported layer media type"):
        open_layer(Pipe(b""), "application/vnd.oci.image.layer.v1.tar+gzip+encrypted")


def test_an_error_of_the_source_itself_passes() -> None:
    class Failing:
        def read(self, n: int = -1, /) -> bytes:
            raise OSError(5, "Input/output error")

    with pytest.raises(OSError, match="Input/output error") as info:
        _all(open_layer(Failing(), "application/vnd.oci.image.layer.v1.tar+gzip"))
    assert not isinstance(info.value, CompressionError)
