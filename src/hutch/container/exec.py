"""`exec`: run another process inside a running container, with its full context.

The process joins every namespace the container's init is in (through
/proc/<init>/ns/*), the container's cgroup (or sub-cgroups of it: `--cgroup`), and
gets the identity, capabilities and no_new_privs of the process description, as
runc's setns init does.
"""

from __future__ import annotations

import os

from hutch.container.store import Store, status
from hutch.errors import CgroupError, InvalidState

TYPE_CHECKING = False  # typing costs ~10 ms of imports on every exec
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from hutch.specconv.plan import Plan, ProcessPlan


def namespace_joins(pid: int) -> list[tuple[str, int]]:
    """(/proc/<pid>/ns/<name>, CLONE_*) for each namespace of ``pid`` that is not ours, in
    join order. pid and time are the init's own, which its children share."""
    from hutch.init.setns import NS_FILES

    joins = []
    for name, kind in NS_FILES:
        theirs = f"/proc/{pid}/ns/{name}"
        try:
            if os.stat(theirs).st_ino == os.stat(f"/proc/self/ns/{name}").st_ino:
                continue
        except FileNotFoundError:
            continue
        joins.append((theirs, kind))
    return joins

#: runc's words (exec.go)
_EXEC_REFUSED = {"stopped": "cannot exec in a stopped container",
                 "paused": "cannot exec in a paused container (use --ignore-paused to override)"}


def exec_process(
    store: Store,
    cid: str,
    proc: ProcessPlan,
    console_fd: int = -1,
    preserve_fds: int = 0,
    ignore_paused: bool = False,
    sub_cgroups: Mapping[str, str] | None = None,
    debug: Callable[[str], None] | None = None,
    stdio: tuple[int, int, int] | None = None,
    warm: bool = False,
) -> int:
    """Start ``proc`` in container ``cid``; return its pid once it has exec'd.
    ``sub_cgroups``: `--cgroup`'s (:func:`hutch.cgroups.subcgroup.parse`). ``debug``,
    with --debug, takes a line for each step, the children's too. ``stdio``: the
    process's stdin/stdout/stderr (default: ours). ``warm``: the caller keeps the cgroup
    migration lock warm already (see hutch.cgroups.warmup), so no warm-up child of our own."""
    state = store.load(cid)
    st = status(store.dir(cid), state)
    if st not in ("running", "created") and not (st == "paused" and ignore_paused):
        raise InvalidState("exec in", cid, st, "running", msg=_EXEC_REFUSED.get(st, ""))
    joiner: Callable[[int], None] | None = None
    child = 0
    if state.get("cgroup"):
        from hutch.cgroups import Manager, subcgroup, warmup

        cgroup = Manager.from_record(state["cgroup"])
        subs = sub_cgroups or {}
        dirs = subcgroup.resolve(cgroup, subs)  # a bad --cgroup fails before anything runs
        init_pid = 0 if subcgroup.ALL in subs else int(state["pid"])

        def join(pid: int) -> None:
            subcgroup.join(cgroup, dirs, pid, init_pid)

        joiner = join
        if st != "paused" and not warm:  # as early as possible; see hutch.cgroups.warmup
            child = warmup.start(cgroup)
    elif sub_cgroups:
        raise CgroupError(f"container {cid!r} has no cgroup to join a sub-cgroup of")
    try:
        return _exec(store, cid, state, joiner, proc, console_fd, preserve_fds, debug, stdio)
    finally:
        if child:
            warmup.reap(child)


def _exec(
    store: Store,
    cid: str,
    state: dict[str, Any],
    join: Callable[[int], None] | None,
    proc: ProcessPlan,
    console_fd: int,
    preserve_fds: int,
    debug: Callable[[str], None] | None,
    stdio: tuple[int, int, int] | None = None,
) -> int:
    from hutch.init import setns
    from hutch.init.run import Fds
    from hutch.process.spawn import start
    from hutch.specconv.caps import last_cap
    from hutch.specconv.plan import decode

    with open(os.path.join(store.dir(cid), "plan.json"), "rb") as f:
        plan = decode(f.read())
    joins = namespace_joins(int(state["pid"]))
    setgroups = True
    if plan["userns"] or plan["join_userns"]:
        try:
            with open(f"/proc/{state['pid']}/setgroups") as text:
                setgroups = text.read().strip() == "allow"
        except OSError:
            pass
    if proc["terminal"]:  # imported here: the process cannot read our files once inside
        import socket  # noqa: F401

        import hutch.process.console  # noqa: F401
    cap = last_cap()

    def child(sock: int) -> int:  # pragma: no cover - runs in stage1
        fds = Fds(sock, -1, console_fd, preserve_fds, debug is not None)
        return setns.stage1(joins, proc, fds, cap, setgroups, plan.get("seccomp"))

    return start(child, join, proc, "exec", on_seccomp=_agent(state, plan), debug=debug, stdio=stdio)


def _agent(state: dict[str, Any], plan: Plan) -> Callable[[int, int], None]:
    """Hands an exec'd process's seccomp listener to the container's agent (listenerPath)."""

    def hand(pid: int, fd: int) -> None:
        from hutch.container import seccomp_notify as notify

        assert plan["seccomp"] is not None
        notify.hand_to_agent(plan["seccomp"], state, "running", pid, fd)

    return hand
