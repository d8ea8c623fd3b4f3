"""Joining and creating namespaces, in the order the kernel needs.

The user namespace comes first: joined, or created and then mapped by the
parent (a process cannot write its own full uid_map). Then the other joins
(the mount namespace last, since joining it changes our root), then one
unshare() for every new namespace. PID and time namespaces apply to children
only, which is why the init is forked after this.
"""

from __future__ import annotations

import os

from hutch._sys import consts as C
from hutch._sys.creds import prctl
from hutch._sys.ns import setns, unshare

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from hutch.specconv.plan import Plan

# Join order for namespaces given by path (user first, mount last).
JOIN_ORDER = (
    C.CLONE_NEWUSER,
    C.CLONE_NEWIPC,
    C.CLONE_NEWUTS,
    C.CLONE_NEWNET,
    C.CLONE_NEWPID,
    C.CLONE_NEWCGROUP,
    C.CLONE_NEWTIME,
    C.CLONE_NEWNS,
)

TIME_CLOCKS = ("monotonic", "boottime")


def join(path: str, kind: int) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        setns(fd, kind)
    except OSError as err:
        raise OSError(err.errno, f"join namespace {path}: {err.strerror}") from None
    finally:
        os.close(fd)


def enter_user(plan: Plan, request_maps: Callable[[], None]) -> None:
    if plan["join_userns"]:
        join(plan["join_userns"], C.CLONE_NEWUSER)
    elif plan["userns"]:
        unshare(C.CLONE_NEWUSER)
        request_maps()
    else:
        return
    # Become root of the namespace (our host uid may not be mapped to 0).
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)


def join_others(plan: Plan) -> None:
    joins = {ns["kind"]: ns["path"] for ns in plan["namespaces"] if ns["path"]}
    for kind in JOIN_ORDER[1:]:
        if kind in joins:
            join(joins[kind], kind)


def unshare_new(plan: Plan) -> None:
    flags = plan["new_ns_flags"] & ~C.CLONE_NEWUSER
    if flags:
        unshare(flags)
    if flags & C.CLONE_NEWTIME and plan["time_offsets"]:
        # Offsets can be set only before any process lives in the new namespace.
        # Non-dumpable, our /proc/self files belong to the host's root, which the
        # new user namespace may not map: be dumpable just for this write. No process
        # of the container exists yet that could use the window.
        lines = "".join(f"{TIME_CLOCKS[i]} {s} {ns}\n" for i, s, ns in plan["time_offsets"])
        prctl(C.PR_SET_DUMPABLE, 1)
        try:
            with open("/proc/self/timens_offsets", "w") as f:
                f.write(lines)
        finally:
            prctl(C.PR_SET_DUMPABLE, 0)


def loopback_up() -> None:
    """Bring up lo in a new network namespace, as runc does."""
    import _socket
    import fcntl
    import struct

    s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM, 0)
    try:
        ifr = struct.pack("16sh22x", b"lo", 0)
        flags = struct.unpack("16sh22x", fcntl.ioctl(s.fileno(), C.SIOCGIFFLAGS, ifr))[1]
        fcntl.ioctl(s.fileno(), C.SIOCSIFFLAGS, struct.pack("16sh22x", b"lo", flags | C.IFF_UP))
    finally:
        s.close()
