"""File descriptors passed over unix sockets (SCM_RIGHTS), for every sender and receiver in
hutch: the runtime's parent <-> init channel, console sockets, seccomp agents.

Works on raw fds with the C-level ``_socket`` module: no ``socket`` import (its enum and
selectors cost every process that enters a container), and no socket object left owning
the caller's fd. Received fds are always CLOEXEC.
"""

from __future__ import annotations

import _socket
import errno
import os
import struct

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

_INT = 4  # sizeof(int)


def send(sock_fd: int, data: bytes, fds: Sequence[int]) -> None:
    """One message ``data`` (not empty: a stream peer could not tell it from nothing) on the
    connected socket ``sock_fd``, with ``fds`` attached."""
    s = _socket.socket(fileno=sock_fd)
    try:
        rights = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))]
        s.sendmsg([data], rights if fds else [])
    finally:
        s.detach()


def recv(sock_fd: int, max_data: int, max_fds: int) -> tuple[bytes, list[int]]:
    """One message from the connected socket ``sock_fd``: its data (b"" when the peer
    closed) and the fds that came with it. More than ``max_fds`` fds (the kernel truncated
    them) is EBADMSG, with every fd received closed."""
    s = _socket.socket(fileno=sock_fd)
    try:
        data, ancdata, flags, _addr = s.recvmsg(max_data, _socket.CMSG_SPACE(_INT * max_fds),
                                                _socket.MSG_CMSG_CLOEXEC)
    finally:
        s.detach()
    fds: list[int] = []
    for level, kind, payload in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            n = len(payload) // _INT
            fds.extend(struct.unpack(f"{n}i", payload[: _INT * n]))
    if flags & _socket.MSG_CTRUNC:
        close_all(fds)
        raise OSError(errno.EBADMSG, f"more than {max_fds} file descriptors attached to a message")
    return data, fds


def close_all(fds: Sequence[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
