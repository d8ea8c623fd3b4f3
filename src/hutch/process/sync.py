"""Parent ↔ init messages: one JSON object per SOCK_SEQPACKET packet.

The message types are a closed set. Most fds travel out of band (inherited across
fork); the few made inside the container (a seccomp listener) ride on their message
as SCM_RIGHTS, and :func:`recv` returns them under ``"fds"``. Neither side needs the
``socket`` module: the pair is made with the C-level ``_socket`` (no enum/selectors
import), already loaded in the runtime before it forks.
"""

from __future__ import annotations

import _socket
import os

from hutch import fastjson
from hutch.util import fdpass

# Closed set of message types (runc's sync.go has the same idea).
GO = "go"  # parent → stage1: the cgroup is set, go on
USERMAP = "usermap"  # stage1 → parent: write my uid/gid maps
MAPPED = "mapped"  # parent → stage1: maps written
MOUNT_SOURCES = "mount-sources"  # stage1 → parent: open my bind sources (hutch.process.mountsrc)
MOUNT_SOURCE = "mount-source"  # parent → stage1: {"index"} of a mount, its source's fd attached
MOUNT_SOURCES_DONE = "mount-sources-done"  # parent → stage1: no more
PID = "pid"  # stage1 → parent: the init's pid (host view)
HOOKS = "hooks"  # init → parent: run prestart/createRuntime hooks now
HOOKS_DONE = "hooks-done"  # parent → init
SECCOMP = "seccomp"  # init → parent: my seccomp listener fd (attached): hand it to the agent
SECCOMP_DONE = "seccomp-done"  # parent → init
READY = "ready"  # init → parent: set up, waiting for start
ERROR = "error"  # any → parent: {"stage", "msg", "errno"}
LOG = "log"  # any → parent: {"msg"}, a line for the runtime's debug log (only with --debug)

MAX_PACKET = 1 << 16
_MAX_FDS = 4

AF_UNIX = 1
SOCK_SEQPACKET = 5
SOCK_CLOEXEC = 0o2000000


def socketpair() -> tuple[int, int]:
    """A CLOEXEC SEQPACKET pair as raw fds."""
    a, b = _socket.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)
    return a.detach(), b.detach()


class ChannelClosed(Exception):
    pass


def send(fd: int, kind: str, **arg: object) -> None:
    msg = {"type": kind, **arg}
    os.write(fd, fastjson.dumps(msg).encode())


def send_with_fds(fd: int, kind: str, fds: list[int], **arg: object) -> None:
    """Like :func:`send`, with ``fds`` attached (SCM_RIGHTS)."""
    fdpass.send(fd, fastjson.dumps({"type": kind, **arg}).encode(), fds)


def recv(fd: int) -> dict[str, object]:
    """The next message; fds that came with it (CLOEXEC) are in its ``"fds"`` list."""
    try:
        data, fds = fdpass.recv(fd, MAX_PACKET, _MAX_FDS)
    except OSError as err:
        raise ValueError(f"sync message: {err.strerror}") from err
    try:
        if not data:
            raise ChannelClosed("peer closed the channel")
        msg = fastjson.loads(data)
        if not isinstance(msg, dict) or "type" not in msg:
            raise ValueError(f"bad sync message: {data[:100]!r}")
    except BaseException:
        for extra in fds:
            os.close(extra)
        raise
    if fds:
        msg["fds"] = fds
    return msg


def expect(fd: int, kind: str) -> dict[str, object]:
    msg = recv(fd)
    if msg["type"] != kind:
        raise ValueError(f"expected sync message {kind!r}, got {msg['type']!r}")
    return msg
