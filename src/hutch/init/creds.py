"""The process's identity: rlimits, oom_score_adj, user and groups, capabilities, no_new_privs.

Order matters: the bounding set is dropped while we still hold CAP_SETPCAP; keep-caps
carries the permitted set across the switch to a non-root uid; then capset() sets
exactly the requested sets and the ambient set is raised last (runc's finalizeNamespace).
"""

from __future__ import annotations

import errno
import os
import resource

from hutch._sys import consts as C
from hutch._sys.creds import capset, prctl

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.specconv.plan import ProcessPlan


def set_rlimits(proc: ProcessPlan) -> None:
    for res, soft, hard in proc["rlimits"]:
        try:
            resource.setrlimit(res, (soft, hard))
        except (ValueError, OSError) as err:
            raise OSError(getattr(err, "errno", 1) or 1,
                          f"setrlimit {res} to {soft}/{hard}: {err}") from None


def set_oom_score_adj(pid: int, proc: ProcessPlan) -> None:
    """Written by the runtime into the first child, whose children inherit it: inside a
    user namespace the non-dumpable init cannot write its own /proc files."""
    if proc["oom_score_adj"] is not None:
        try:
            with open(f"/proc/{pid}/oom_score_adj", "w") as f:
                f.write(str(proc["oom_score_adj"]))
        except OSError as err:  # (below the current value needs CAP_SYS_RESOURCE)
            raise OSError(err.errno, f"write /proc/self/oom_score_adj ({proc['oom_score_adj']}): "
                                     f"{(err.strerror or str(err)).lower()}") from None


def set_no_new_privs(proc: ProcessPlan) -> None:
    if proc["no_new_privs"]:
        prctl(C.PR_SET_NO_NEW_PRIVS, 1)


def drop_bounding(proc: ProcessPlan, last_cap: int) -> None:
    caps = proc["caps"]
    if caps is None:
        return
    for cap in range(last_cap + 1):
        if not caps["bounding"] >> cap & 1:
            prctl(C.PR_CAPBSET_DROP, cap)


def fix_stdio_owner(uid: int) -> None:
    """Give stdio to the process's user, as runc's fixStdioPermissions does, so that a
    non-root process can use its terminal (or reopen /proc/self/fd/1). Only the owner
    changes: the group stays (a pty keeps devpts's gid=5, tty). /dev/null is left alone,
    and so is anything this user namespace cannot chown (EINVAL: the group is not mapped;
    EPERM: the owner is not) or a read-only filesystem holds."""
    try:
        null = os.stat("/dev/null").st_rdev
    except OSError:
        null = -1
    for fd in (0, 1, 2):
        try:
            st = os.fstat(fd)
        except OSError:
            continue  # closed
        if st.st_uid == uid or (null >= 0 and st.st_rdev == null):
            continue
        try:
            os.fchown(fd, uid, st.st_gid)
        except OSError as err:
            if err.errno not in (errno.EINVAL, errno.EPERM, errno.EROFS):
                raise


def set_user(proc: ProcessPlan, setgroups_allowed: bool = True) -> None:
    if setgroups_allowed:
        os.setgroups(proc["additional_gids"])
    os.setresgid(proc["gid"], proc["gid"], proc["gid"])
    os.setresuid(proc["uid"], proc["uid"], proc["uid"])


def set_caps(proc: ProcessPlan) -> None:
    caps = proc["caps"]
    if caps is None:
        return
    capset(caps["effective"], caps["permitted"], caps["inheritable"])
    prctl(C.PR_CAP_AMBIENT, C.PR_CAP_AMBIENT_CLEAR_ALL)
    # The kernel allows an ambient capability only if it is permitted and inheritable;
    # runc's default spec lists ambient caps without inheritable ones, and runc skips them.
    amb = caps["ambient"] & caps["permitted"] & caps["inheritable"]
    cap = 0
    while amb:
        if amb & 1:
            prctl(C.PR_CAP_AMBIENT, C.PR_CAP_AMBIENT_RAISE, cap)
        amb >>= 1
        cap += 1


def finalize(proc: ProcessPlan, last_cap: int, setgroups_allowed: bool = True) -> None:
    """Become the container's user with exactly the configured capabilities."""
    drop_bounding(proc, last_cap)
    if proc["caps"] is not None:
        prctl(C.PR_SET_KEEPCAPS, 1)
    fix_stdio_owner(proc["uid"])
    set_user(proc, setgroups_allowed)
    if proc["caps"] is not None:
        prctl(C.PR_SET_KEEPCAPS, 0)
    set_caps(proc)
    if proc["umask"] is not None:
        os.umask(proc["umask"])
