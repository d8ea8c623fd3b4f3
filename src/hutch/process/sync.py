"""Parent ↔ init messages: one JSON object per SOCK_SEQPACKET packet.

The message types are a closed set. Fds travel out of band (inherited across
fork), so neither side needs the ``socket`` module: the pair is made with the
C-level ``_socket`` (no enum/selectors import) and both ends use os.read/write.
"""

from __future__ import annotations

import os

from hutch import fastjson

# Closed set of message types (runc's sync.go has the same idea).
GO = "go"  # parent → stage1: the cgroup is set, go on
USERMAP = "usermap"  # stage1 → parent: write my uid/gid maps
MAPPED = "mapped"  # parent → stage1: maps written
PID = "pid"  # stage1 → parent: the init's pid (host view)
HOOKS = "hooks"  # init → parent: run prestart/createRuntime hooks now
HOOKS_DONE = "hooks-done"  # parent → init
READY = "ready"  # init → parent: set up, waiting for start
ERROR = "error"  # any → parent: {"stage", "msg", "errno"}

MAX_PACKET = 1 << 16

AF_UNIX = 1
SOCK_SEQPACKET = 5
SOCK_CLOEXEC = 0o2000000


def socketpair() -> tuple[int, int]:
    """A CLOEXEC SEQPACKET pair as raw fds."""
    import _socket

    a, b = _socket.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)
    return a.detach(), b.detach()


class ChannelClosed(Exception):
    pass


def send(fd: int, kind: str, **arg: object) -> None:
    msg = {"type": kind, **arg}
    os.write(fd, fastjson.dumps(msg).encode())


def recv(fd: int) -> dict[str, object]:
    data = os.read(fd, MAX_PACKET)
    if not data:
        raise ChannelClosed("peer closed the channel")
    msg = fastjson.loads(data)
    if not isinstance(msg, dict) or "type" not in msg:
        raise ValueError(f"bad sync message: {data[:100]!r}")
    return msg


def expect(fd: int, kind: str) -> dict[str, object]:
    msg = recv(fd)
    if msg["type"] != kind:
        raise ValueError(f"expected sync message {kind!r}, got {msg['type']!r}")
    return msg
