"""The client side: connect to the store's supervisor, starting it when there is none.

Two `hutch` commands that find none at once end with one supervisor: a client holds the
lock file shared while it looks for the supervisor and connects, and exclusively while it
starts one; the supervisor exits only when it gets the lock exclusively and no connection
is waiting (`hutch.engine.supervise.server`).

The supervisor runs as ``python -I -S -c ... hutch-supervisor ROOT RUNROOT`` (so `ps`
names it and its store), first made to run from a read-only interpreter
(`hutch.process.exeseal`, CVE-2019-5736: it forks into containers), then detached: a
session of its own, no `hutch` process as its parent.
"""

from __future__ import annotations

import fcntl
import os
import sys

from hutch.engine.supervise.protocol import Paths
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _socket import socket

STATUS_FD_ENV = "HUTCH_SUPERVISOR_STATUS_FD"
NAME = "hutch-supervisor"
_BOOT = ("import sys; sys.path[:0] = {path!r}; from hutch.engine.supervise.boot import boot; "
         "sys.exit(boot(sys.argv[2], sys.argv[3]))")


def connect(root: str, runroot: str) -> socket:
    """A connection to ``root``'s supervisor (started if need be)."""
    paths = Paths(runroot)
    os.makedirs(runroot, exist_ok=True)
    lock = os.open(paths.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)
        sock = _try(paths.sock)
        if sock is not None:
            return sock
        fcntl.flock(lock, fcntl.LOCK_EX)
        sock = _try(paths.sock)
        if sock is not None:
            return sock
        _spawn(root, runroot, paths)
        sock = _try(paths.sock)
        if sock is None:
            raise HutchError(f"the supervisor did not start (see {paths.log})")
        return sock
    finally:
        os.close(lock)


def _try(path: str) -> socket | None:
    from hutch.engine import attach

    try:
        return attach.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        return None


def _spawn(root: str, runroot: str, paths: Paths) -> None:
    import subprocess  # (with threading: only when the supervisor has to be started)

    r_fd, w_fd = os.pipe2(os.O_CLOEXEC)
    env = dict(os.environ)
    env[STATUS_FD_ENV] = str(w_fd)
    path = [p for p in sys.path if p]
    with open(paths.log, "ab") as log:
        first = subprocess.Popen([sys.executable, "-I", "-S", "-c", _BOOT.format(path=path), NAME, root,
                                  runroot], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                 pass_fds=(w_fd,), env=env, start_new_session=True, cwd="/")
    os.close(w_fd)
    try:
        first.wait()  # it forks the supervisor proper and exits at once
        with os.fdopen(r_fd, "rb") as status:
            status.readline()  # "ready", or nothing: it failed (its log says why)
    except BaseException:
        first.kill()
        raise
