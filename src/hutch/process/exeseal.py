"""CVE-2019-5736, closed for a Python runtime: the interpreter that enters a container is
read-only through every path a container process can reach.

The attack: a container's program starting ``#!/proc/self/exe`` makes the kernel run the
runtime's own binary (here: the host's Python interpreter) as a container process, which
is dumpable again after that exec; the container then holds an fd of that binary and,
once nothing runs it, opens ``/proc/self/fd/N`` for writing and overwrites the host's
interpreter. Non-dumpability of hutch's own processes does not stop it.

The defence (runc 1.2 takes the same idea with an overlayfs): ``create``, ``run`` and
``exec`` run from a read-only bind mount of the interpreter. When ``/proc/self/exe`` is
writable, :func:`ensure` makes a private mount namespace, binds the interpreter onto
itself read-only there, and re-executes the same command through that path. The new
process goes back to the caller's mount namespace (an fd kept across the exec) and its
cwd; its ``/proc/self/exe`` still names the read-only mount, which lives on, detached,
as long as a process runs from it. Every process forked from it (the container's init,
an exec'd process) and any ``#!/proc/self/exe`` trick then reaches the binary only
through that mount: opening it for writing fails with EROFS.

Cost: one more interpreter start per ``create``/``run``/``exec``, none when the
interpreter already is on a read-only mount.

``HUTCH_RUNTIME_UNSAFE_NO_EXE_SEAL=1`` turns it off: only for the test that shows the
attack succeeding without it.
"""

from __future__ import annotations

import os
import sys

from hutch._sys import consts as C

_NS_FD = "_HUTCH_EXESEAL_MNTNS"  # the caller's mount namespace, an fd inherited across the re-exec
_CWD = "_HUTCH_EXESEAL_CWD"
UNSAFE = "HUTCH_RUNTIME_UNSAFE_NO_EXE_SEAL"


class SealError(Exception):
    pass


def is_sealed() -> bool:
    """Whether this process's executable is on a read-only mount."""
    return bool(os.statvfs("/proc/self/exe").f_flag & C.ST_RDONLY)


def ensure() -> None:
    """Return once this process runs from a read-only interpreter; re-exec to get there."""
    ns_fd = os.environ.pop(_NS_FD, None)
    cwd = os.environ.pop(_CWD, None)
    if ns_fd is not None and cwd is not None:
        _come_back(int(ns_fd), cwd)
    if os.environ.get(UNSAFE) == "1" or is_sealed():
        return
    if ns_fd is not None:  # already re-executed once, and still writable: do not loop
        raise SealError("cannot run the interpreter from a read-only mount")
    _reexec()


def _come_back(ns_fd: int, cwd: str) -> None:
    from hutch._sys.ns import setns

    try:
        setns(ns_fd, C.CLONE_NEWNS)
    finally:
        os.close(ns_fd)
    os.chdir(cwd)  # setns moved us to the namespace's root


def _reexec() -> None:
    from hutch._sys.mount import mount
    from hutch._sys.ns import unshare

    exe = os.readlink("/proc/self/exe")
    if not exe.startswith("/") or exe.endswith(" (deleted)"):
        raise SealError(f"the interpreter {exe!r} is not a file that can be bound read-only")
    cwd = os.getcwd()
    ns_fd = os.open("/proc/self/ns/mnt", os.O_RDONLY)
    try:
        os.set_inheritable(ns_fd, True)  # it crosses the exec
        unshare(C.CLONE_NEWNS)
        mount(None, "/", None, C.MS_REC | C.MS_PRIVATE)  # nothing below leaks to the caller's
        mount(exe, exe, None, C.MS_BIND)
        mount(None, exe, None, C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY | C.MS_NODEV | C.MS_NOSUID)
    except OSError as err:
        os.close(ns_fd)
        raise SealError(f"cannot bind the interpreter {exe} read-only: {err.strerror}") from err
    env = dict(os.environ)
    env[_NS_FD], env[_CWD] = str(ns_fd), cwd
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(exe, sys.orig_argv, env)
