"""Bind sources the container's root cannot reach, opened for it by the runtime (runc's
mount fds, nsexec.c send_mountsources).

In a new user namespace the init is root only over what the namespace maps: a bind
source under a directory that only the host's root may enter (mode 0700) fails with
EACCES. So, once stage1 has its new mount namespace and before the init mounts anything,
the runtime (still the host's root) joins that mount namespace, opens each bind source
there with O_PATH, comes back, and sends the fds over the sync channel; the init mounts
from ``/proc/self/fd/N``. They must be opened *in* the container's mount namespace: the
kernel binds only from a mount of the caller's own namespace.

A source that cannot be opened is skipped: the init then tries the path itself, and its
error names the mount.
"""

from __future__ import annotations

import os

from hutch._sys import consts as C
from hutch._sys.ns import setns
from hutch.process import sync

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.specconv.plan import Plan


def wanted(plan: Plan) -> bool:
    """Whether stage1 asks for them: a user namespace (new or joined), a new mount namespace
    (one joined by path is not where the init's sources are resolved), and a bind mount."""
    return (bool(plan["userns"] or plan["join_userns"]) and bool(plan["new_ns_flags"] & C.CLONE_NEWNS)
            and any(m["bind"] for m in plan["mounts"]))


def open_in(pid: int, plan: Plan) -> list[tuple[int, int]]:
    """(index in plan["mounts"], O_PATH fd) of each bind source, opened in the mount
    namespace of process ``pid``. The caller must be single-threaded (setns(2) of a mount
    namespace); its mount namespace and cwd are the same on return."""
    own_ns = os.open("/proc/self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    cwd = os.open(".", C.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    out: list[tuple[int, int]] = []
    try:
        target = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        try:
            setns(target, C.CLONE_NEWNS)
        finally:
            os.close(target)
        try:
            for i, m in enumerate(plan["mounts"]):
                if not m["bind"]:
                    continue
                try:
                    fd = os.open(os.path.join(plan["bundle"], m["source"]), C.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue
                out.append((i, fd))
        finally:
            setns(own_ns, C.CLONE_NEWNS)
            os.fchdir(cwd)
    except BaseException:
        for _i, fd in out:
            os.close(fd)
        raise
    finally:
        os.close(own_ns)
        os.close(cwd)
    return out


def send(sock: int, pid: int, plan: Plan) -> None:
    """Answer stage1's MOUNT_SOURCES: one MOUNT_SOURCE per fd, then MOUNT_SOURCES_DONE."""
    sources = open_in(pid, plan)
    try:
        for index, fd in sources:
            sync.send_with_fds(sock, sync.MOUNT_SOURCE, [fd], index=index)
    finally:
        for _i, fd in sources:
            os.close(fd)
    sync.send(sock, sync.MOUNT_SOURCES_DONE)


def receive(sock: int, count: int) -> list[int]:
    """stage1's side: ask, and collect the fds as a list of ``count`` (-1: none), indexed
    like plan["mounts"]."""
    sync.send(sock, sync.MOUNT_SOURCES)
    fds = [-1] * count
    try:
        while True:
            msg = sync.recv(sock)
            got = msg.get("fds")
            if msg["type"] == sync.MOUNT_SOURCES_DONE:
                return fds
            index = msg.get("index")
            if (msg["type"] != sync.MOUNT_SOURCE or not isinstance(got, list) or len(got) != 1
                    or not isinstance(index, int) or not 0 <= index < count or fds[index] >= 0):
                for fd in got if isinstance(got, list) else []:
                    os.close(fd)
                raise ValueError(f"unexpected sync message {msg['type']!r} while receiving mount sources")
            fds[index] = got[0]
    except BaseException:
        for fd in fds:
            if fd >= 0:
                os.close(fd)
        raise
