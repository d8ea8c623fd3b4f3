"""`delete`: remove a stopped container (or, with --force, stop it first)."""

from __future__ import annotations

import os
import time

from hutch import faults
from hutch._sys import sig as signal
from hutch.container import hookstate
from hutch.container.kill import signal_init
from hutch.container.store import Store, is_alive, status
from hutch.errors import ContainerNotFound, HutchError, InvalidState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def delete(store: Store, cid: str, force: bool, warn: Callable[[str], None]) -> None:
    """Remove the container; ContainerNotFound if it does not exist (after removing the
    directory a killed `create` left without state, as runc does)."""
    lock = store.lock(cid)
    try:
        try:
            state = store.load(cid)
        except ContainerNotFound:
            store.remove(cid)  # we hold the lock: its create died before the first save
            raise
        st = status(store.dir(cid), state)
        if st != "stopped" and not force:
            # runc's words (delete.go); unlike runc 1.1, a created container is not
            # deleted without --force either (runtime-spec: delete a stopped container)
            msg = f"cannot delete container {cid} that is not stopped: {st}"
            raise InvalidState("delete", cid, st, msg=msg)
        cgroup = None
        if state.get("cgroup"):
            from hutch.cgroups import Manager

            cgroup = Manager.from_record(state["cgroup"])
        if st != "stopped" or (cgroup is not None and cgroup.pids()):
            if cgroup is not None:
                cgroup.kill_all(signal.SIGKILL)
            if int(state.get("pid", 0)):
                signal_init(state, signal.SIGKILL)
            if cgroup is not None:
                # Thawed after the kill, so nothing frozen runs (or forks) in between;
                # a v1 freezer holds the SIGKILL until then.
                from hutch.cgroups import freezer

                if freezer.is_frozen(cgroup.paths):
                    freezer.thaw(cgroup.paths)
            _wait_gone(state, cgroup)
        faults.point("delete.killed")
        if cgroup is not None:
            cgroup.destroy()
        faults.point("delete.cgroup")
        store.remove(cid)
    finally:
        os.close(lock)
    hookstate.run("poststop", state, "stopped", warn)


def _wait_gone(state: dict[str, object], cgroup: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    pid = int(state.get("pid", 0))  # type: ignore[call-overload]
    start = int(state.get("starttime", 0))  # type: ignore[call-overload]
    while time.monotonic() < deadline:
        if not is_alive(pid, start) and (cgroup is None or not cgroup.pids()):  # type: ignore[attr-defined]
            return
        time.sleep(0.005)
    raise HutchError("processes of the container did not exit after SIGKILL")
