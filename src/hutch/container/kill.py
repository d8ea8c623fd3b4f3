"""`kill`: signal a container's init, or with --all every process in its cgroup."""

from __future__ import annotations

import os

from hutch._sys import sig as _signal
from hutch.container.store import Store, status
from hutch.errors import HutchError, InvalidArgument
from hutch.util import signals

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class NotRunning(HutchError):
    pass


def parse_signal(text: str) -> int:
    """SIGTERM, TERM, term or 15 → 15, as runc accepts them."""
    if text.isdigit():
        if 0 <= int(text) < _signal.NSIG:  # 0: only checks that the process exists, as kill(2)
            return int(text)
        raise InvalidArgument(f"invalid signal number {text!r}")
    known = signals.number(text)
    if known is not None:
        return known
    raise InvalidArgument(f'unknown signal "{text}"')  # runc's words


def signal_init(state: dict[str, Any], sig: int) -> bool:
    """Signal the init through a pidfd, after checking it is still the same process.
    False if it is gone."""
    from hutch.container.store import is_alive

    pid = int(state["pid"])
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    try:
        if is_alive(pid, int(state.get("starttime", 0))):
            _signal.pidfd_send_signal(pidfd, sig)
            return True
    except ProcessLookupError:
        pass
    finally:
        os.close(pidfd)
    return False


def kill(store: Store, cid: str, sig: int, all_processes: bool = False) -> None:
    state = store.load(cid)
    st = status(store.dir(cid), state)
    if st in ("stopped", "creating") and not all_processes:
        # runc's words: containerd's shim (checkKillError) and others match this text, and
        # take the container for gone
        raise NotRunning("container not running")
    if all_processes and state.get("cgroup"):
        from hutch.cgroups import Manager

        Manager.from_record(state["cgroup"]).kill_all(sig)
    elif not signal_init(state, sig):
        raise NotRunning("container not running")  # it exited since: as runc, same words
    if st == "paused" and sig == _signal.SIGKILL:
        # A v1 freezer holds even SIGKILL until thawed (runc thaws here too); other
        # signals stay pending until `resume`.
        from hutch.cgroups import freezer

        freezer.thaw(state["cgroup"]["paths"])
