"""`pause` and `resume`: freeze and thaw every process of a container (runc's semantics).

A created or running container can be paused; only a paused one can be resumed. The
status itself is not stored: `state` reads the freezer (see store.status).
"""

from __future__ import annotations

import os

from hutch.cgroups import freezer
from hutch.container.store import Store, status
from hutch.errors import CgroupError, InvalidState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def pause(store: Store, cid: str) -> None:
    lock = store.lock(cid)
    try:
        state = store.load(cid)
        st = status(store.dir(cid), state)
        if st not in ("running", "created"):
            raise InvalidState("pause", cid, st, msg="container not running")  # runc's ErrNotRunning
        freezer.freeze(cgroup_paths(cid, state))
    finally:
        os.close(lock)


def resume(store: Store, cid: str) -> None:
    lock = store.lock(cid)
    try:
        state = store.load(cid)
        st = status(store.dir(cid), state)
        if st != "paused":
            raise InvalidState("resume", cid, st, msg="container not paused")  # runc's ErrNotPaused
        freezer.thaw(cgroup_paths(cid, state))
    finally:
        os.close(lock)


def cgroup_paths(cid: str, state: dict[str, Any]) -> dict[str, str]:
    """The container's cgroup directories by hierarchy, from its state record."""
    from hutch.cgroups import Manager

    record = state.get("cgroup")
    if not record:
        raise CgroupError(f"container {cid!r} has no cgroup")
    return Manager.from_record(record).paths
