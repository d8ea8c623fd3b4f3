"""`events`: a container's resource usage and OOM kills, as runc prints them.

One JSON object per line: ``{"type":"stats","id":ID,"data":{...}}`` (runc's stats shape,
see :mod:`hutch.cgroups.stats`) and ``{"type":"oom","id":ID}``. With ``--stats`` one
stats object and done; otherwise stats every interval (the first after one interval, as
runc's ticker) and an ``oom`` event as soon as the kernel OOM-kills a process of the
container, until the container stops.
"""

from __future__ import annotations

import os
import select
import time

from hutch import fastjson
from hutch.cgroups import Manager
from hutch.cgroups.oom import OomWatcher
from hutch.cgroups.stats import collect
from hutch.container.store import Store, is_alive, status
from hutch.errors import CgroupError, InvalidState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

#: Longest wait between two looks at the OOM counter and the init, whatever the kernel says.
RECHECK = 1.0


def event_line(kind: str, cid: str, data: object = None) -> str:
    doc: dict[str, object] = {"type": kind, "id": cid}
    if data is not None:
        doc["data"] = data
    return fastjson.dumps(doc)


def _open(store: Store, cid: str) -> tuple[dict[str, object], Manager]:
    state = store.load(cid)
    st = status(store.dir(cid), state)
    if st in ("stopped", "creating"):
        raise InvalidState("get events of", cid, st, msg=f"container with id {cid} is not running")  # runc's
    record = state.get("cgroup")
    if not record:
        raise CgroupError(f"container {cid!r} has no cgroup")
    return state, Manager.from_record(record)


def stats(store: Store, cid: str) -> dict[str, object]:
    """The stats of a container that is not stopped (runc's ``data`` object)."""
    _state, mgr = _open(store, cid)
    return collect(mgr.mode, mgr.paths)


def watch(store: Store, cid: str, interval: float, emit: Callable[[str], None],
          warn: Callable[[str], None]) -> None:
    """Emit stats every ``interval`` seconds and OOM kills as they happen, until the
    container's init is gone (then one last look at the OOM counter)."""
    state, mgr = _open(store, cid)
    pid, starttime = int(state["pid"]), int(state.get("starttime", 0))  # type: ignore[call-overload]
    watcher = OomWatcher(mgr.mode, mgr.paths)
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        watcher.close()
        return
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        if watcher.fd >= 0:
            poller.register(watcher.fd, watcher.poll_events)
        next_stats = time.monotonic() + interval
        while True:
            wait = min(max(next_stats - time.monotonic(), 0.0), RECHECK)
            ready = {fd for fd, _ev in poller.poll(int(wait * 1000) + 1)}
            gone = pidfd in ready or not is_alive(pid, starttime)
            if watcher.check():
                emit(event_line("oom", cid))
            if gone:
                return
            now = time.monotonic()
            if now >= next_stats:
                try:
                    emit(event_line("stats", cid, collect(mgr.mode, mgr.paths)))
                except CgroupError as err:  # runc logs it and goes on
                    warn(str(err))
                while next_stats <= now:
                    next_stats += interval
    finally:
        os.close(pidfd)
        watcher.close()
