"""The attach protocol between a container's monitor and the clients on its socket.

ROOT/containers/<id>/attach is an AF_UNIX stream socket the monitor listens on. Both ways
the bytes are frames: a 5-byte header (kind, big-endian length) and the payload.

    monitor → client   STDOUT, STDERR: output;  EXIT: the exit status, as ASCII digits
    client → monitor   STDIN: input;  CLOSE_STDIN: end of input;  RESIZE: rows, cols (two u16)

Socket paths longer than sockaddr_un's 108 bytes are reached through an O_PATH fd of
their directory (/proc/self/fd/N/attach), as conmon does.
"""

from __future__ import annotations

import os
import struct

STDIN, STDOUT, STDERR, EXIT, CLOSE_STDIN, RESIZE = 0, 1, 2, 3, 4, 5
_HEADER = struct.Struct("!BI")
MAX_FRAME = 1 << 20

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _socket import socket
    from collections.abc import Iterator


def frame(kind: int, data: bytes = b"") -> bytes:
    return _HEADER.pack(kind, len(data)) + data


class Frames:
    """Reassembles frames from a byte stream."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        self._buf += data
        while len(self._buf) >= _HEADER.size:
            kind, n = _HEADER.unpack_from(self._buf)
            if n > MAX_FRAME:
                raise ValueError("attach frame too long")
            if len(self._buf) < _HEADER.size + n:
                return
            payload = bytes(self._buf[_HEADER.size:_HEADER.size + n])
            del self._buf[:_HEADER.size + n]
            yield kind, payload


def _short(path: str) -> tuple[str, int]:
    if len(os.fsencode(path)) < 108:
        return path, -1
    head, name = os.path.split(path)
    dirfd = os.open(head, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    return f"/proc/self/fd/{dirfd}/{name}", dirfd


def listen(path: str) -> socket:
    import _socket  # not socket: its enum and selectors imports cost every monitor memory

    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
    target, dirfd = _short(path)
    try:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        s.bind(target)
        os.chmod(path, 0o600)
        s.listen(16)
    finally:
        if dirfd >= 0:
            os.close(dirfd)
    return s


def connect(path: str) -> socket:
    import _socket

    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
    target, dirfd = _short(path)
    try:
        s.connect(target)
    except OSError:
        s.close()
        raise
    finally:
        if dirfd >= 0:
            os.close(dirfd)
    return s


def resize_payload(rows: int, cols: int) -> bytes:
    return struct.pack("!HH", rows, cols)


def parse_resize(data: bytes) -> tuple[int, int]:
    rows, cols = struct.unpack("!HH", data[:4])
    return rows, cols


def accept(listener: socket) -> int:
    """One connection's fd (CLOEXEC, blocking)."""
    fd, _addr = listener._accept()  # type: ignore[attr-defined]  # socket.accept lives in socket.py
    os.set_inheritable(fd, False)
    return int(fd)
