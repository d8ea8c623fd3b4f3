"""Which cgroups an exec'd process joins, and joining them (`exec --cgroup`, as runc).

By default a process run by `exec` joins the container's cgroup in every hierarchy.
``--cgroup SUB`` (alone) puts it in sub-cgroup SUB of the container's cgroup in every
hierarchy; ``--cgroup CONTROLLER[,CONTROLLER...]:SUB`` (repeatable) only in those
controllers' hierarchies (cgroup v1; on v2, where there is one hierarchy, only the first
form). The sub-cgroup must exist (the container makes it) and lie below the container's
cgroup: ``..`` or a path that climbs out is refused.

On cgroup v2 a process cannot join a cgroup with domain controllers enabled for its
children; when the container's init has moved to a sub-cgroup and enabled some, joining
the container's cgroup fails with EBUSY, and then, as runc does, the process joins the
init's cgroup instead (not with ``--cgroup``, which asks for one place).

Messages are runc's (its tests and users match them). Imports: ``os`` and hutch modules.
"""

from __future__ import annotations

import os

from hutch.cgroups.cgfs import CgroupIOError
from hutch.cgroups.mode import UNIFIED, V2
from hutch.errors import CgroupError, InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hutch.cgroups.manager import Manager

#: The key of a sub-cgroup asked for without a controller: every hierarchy.
ALL = ""


def parse(args: list[str]) -> dict[str, str]:
    """``--cgroup`` values to {controller (or ALL): sub-path}, as runc's getSubCgroupPaths."""
    out: dict[str, str] = {}
    for arg in args:
        parts = arg.split(":", 2)
        if len(parts) > 2:
            raise InvalidArgument(f"invalid --cgroup argument: {arg}")
        if len(parts) == 1:
            if len(args) != 1:
                raise InvalidArgument(f"invalid --cgroup argument: {arg} (missing <controller>: prefix)")
            out[ALL] = arg
        else:
            for controller in parts[0].split(","):
                out[controller] = parts[1]
    return out


def resolve(mgr: Manager, subs: Mapping[str, str]) -> dict[str, str]:
    """The directory to join in each of the container's hierarchies (key -> path)."""
    dirs = dict(mgr.paths)
    if ALL in subs:
        return {key: below(path, subs[ALL]) for key, path in dirs.items()}
    chosen: dict[str, str] = {}
    for controller, sub in subs.items():
        key = None if mgr.mode == V2 else _hierarchy_of(controller, dirs)
        if key is None:
            raise CgroupError(f"unknown controller {controller} in SubCgroupPaths")
        path = below(mgr.paths[key], sub)
        if chosen.get(key, path) != path:
            raise InvalidArgument(f"--cgroup: {key} is one hierarchy: its controllers cannot join "
                                  f"different sub-cgroups")
        chosen[key] = dirs[key] = path
    return dirs


def below(base: str, sub: str) -> str:
    """``base/sub`` made clean; CgroupError unless it is ``base`` or under it."""
    joined = os.path.normpath(f"{base}/{sub}")
    if joined != base and not joined.startswith(base + "/"):
        raise CgroupError(f"{sub} is not a sub cgroup path")
    return joined


def join(mgr: Manager, dirs: Mapping[str, str], pid: int, init_pid: int = 0) -> None:
    """Move ``pid`` into ``dirs`` (from :func:`resolve`). With ``init_pid`` (no
    ``--cgroup``), a cgroup v2 directory that refuses it is replaced by the init's."""
    for key, path in dirs.items():
        try:
            mgr.add_process(key, path, pid)
            continue
        except CgroupIOError as err:
            failure = err
        fallback = _init_cgroup(mgr, init_pid) if key == UNIFIED and mgr.mode == V2 else None
        if fallback is not None and fallback != path:
            try:
                mgr.add_process(key, fallback, pid)
                continue
            except CgroupIOError as err:
                failure = err
        raise CgroupError(f"error adding pid {pid} to cgroups: failed to write {pid}: "
                          f"open {failure.path}: {_go_strerror(failure)}") from failure


def _hierarchy_of(controller: str, dirs: Mapping[str, str]) -> str | None:
    for key in dirs:
        if key != UNIFIED and controller in key.split(","):
            return key
    return None


def _init_cgroup(mgr: Manager, init_pid: int) -> str | None:
    """The cgroup v2 directory of the container's init, from /proc/<pid>/cgroup."""
    if not init_pid:
        return None
    try:
        with open(f"/proc/{init_pid}/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    mount = mgr.paths[UNIFIED][: len(mgr.paths[UNIFIED]) - len(mgr.path)]
    for line in lines:
        if line.startswith("0::/"):
            return mount + line[3:].rstrip("/")
    return None


def _go_strerror(err: CgroupIOError) -> str:
    """The errno's text as Go spells it (lower case: "no such file or directory")."""
    reason = os.strerror(err.errno) if err.errno else str(err)
    return reason[:1].lower() + reason[1:]
