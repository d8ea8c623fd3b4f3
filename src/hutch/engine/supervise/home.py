"""The namespaces a store's containers are prepared in: its supervisor's.

A start mounts the container's root (and its /dev/shm, its idmapped layers) and joins its
network (a network namespace kept by a bind mount, a veth on the store's bridge) before the
supervisor runs it; `network connect` puts a running container on a bridge. All of that must
be where the supervisor and its runtime look: its mount namespace and its network namespace.
A `hutch` command run from other namespaces than the supervisor's (`ip netns exec`,
`unshare -m`, `nsenter`, a systemd unit with PrivateTmp=) would otherwise mount a root the
runtime cannot see (the container finds an empty directory) and a network namespace it cannot
join.

`call` runs such work in the supervisor's namespaces: at once when the caller is already in
them (the usual case: two stats), else in a child process that joined them (setns), whose
result or error comes back through a pipe. The caller's own namespaces stay as they were, so
what the user names on the command line (-v paths, files to read and write) is still read
where the user is, as docker's client does.
"""

from __future__ import annotations

import os

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

#: the namespaces prepared work lives in, with setns(2)'s type for each
KINDS = (("mnt", 0x00020000), ("net", 0x40000000))  # CLONE_NEWNS, CLONE_NEWNET


def peer_pid(sock_fd: int) -> int:
    """The pid at the other end of a unix socket (SO_PEERCRED)."""
    import _socket
    import struct

    sock = _socket.socket(fileno=os.dup(sock_fd))
    try:
        cred = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, struct.calcsize("3i"))
    finally:
        sock.close()
    pid: int = struct.unpack("3i", cred)[0]
    return pid


def supervisor(runroot: str) -> int:
    """The pid of the store's supervisor if it runs (its pid file's, with its start time), else 0."""
    from hutch.engine.records import alive
    from hutch.engine.supervise.protocol import Paths

    try:
        with open(Paths(runroot).pid) as f:
            pid, start = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        return 0
    return pid if alive(pid, start) else 0


def foreign(pid: int) -> list[tuple[str, int]]:
    """The kinds of ``KINDS`` in which ``pid``'s namespace is not this process's."""
    out = []
    for kind, flag in KINDS:
        try:
            theirs, ours = os.stat(f"/proc/{pid}/ns/{kind}"), os.stat(f"/proc/self/ns/{kind}")
        except OSError:
            continue  # (gone: its own start fails and says so)
        if (theirs.st_dev, theirs.st_ino) != (ours.st_dev, ours.st_ino):
            out.append((kind, flag))
    return out


def call(pid: int, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in ``pid``'s mount and network namespaces (see the module);
    here with no ``pid`` (0: no supervisor runs, the work's namespaces are the caller's)."""
    kinds = foreign(pid) if pid > 0 else []
    if not kinds:
        return fn(*args, **kwargs)
    return _in_child(pid, kinds, fn, args, kwargs)


def _in_child(pid: int, kinds: list[tuple[str, int]], fn: Callable[..., T], args: Any, kwargs: Any) -> T:
    from hutch._sys.ns import setns
    from hutch.util import forked

    fds = []
    try:
        for kind, _flag in kinds:
            fds.append(os.open(f"/proc/{pid}/ns/{kind}", os.O_RDONLY | os.O_CLOEXEC))
    except OSError as err:
        for fd in fds:
            os.close(fd)
        raise HutchError(f"cannot enter the namespaces of the store's supervisor (pid {pid}): "
                         f"{err.strerror or err}") from None
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = "/"

    def enter() -> None:
        for fd, (_kind, flag) in zip(fds, kinds, strict=True):
            setns(fd, flag)
        try:
            os.chdir(cwd)  # (setns of a mount namespace moves to its root)
        except OSError:
            pass

    try:
        return forked.call(enter, fn, *args, **kwargs)
    finally:
        for fd in fds:
            os.close(fd)
