"""`kill`: signal a container's init, or with --all every process in its cgroup."""

from __future__ import annotations

import os
import signal as _signal

from hutch.container.store import Store, status
from hutch.errors import InvalidArgument, InvalidState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def parse_signal(text: str) -> int:
    """SIGTERM, TERM, term or 15 → 15, as runc accepts them."""
    if text.isdigit():
        num = int(text)
        if 0 < num < _signal.NSIG:
            return num
        raise InvalidArgument(f"invalid signal number {text!r}")
    name = text.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    sig = getattr(_signal, name, None)
    if not isinstance(sig, int) or name.startswith("SIG_"):
        if name.startswith("SIGRTMIN+") or name.startswith("SIGRTMAX-"):
            base, _, off = name[3:].partition("+" if "+" in name else "-")
            if off.isdigit():
                n = _signal.SIGRTMIN + int(off) if base == "RTMIN" else _signal.SIGRTMAX - int(off)
                if _signal.SIGRTMIN <= n <= _signal.SIGRTMAX:
                    return int(n)
        raise InvalidArgument(f"unknown signal {text!r}")
    return int(sig)


def signal_init(state: dict[str, Any], sig: int) -> None:
    """Signal the init through a pidfd, after checking it is still the same process."""
    from hutch.container.store import is_alive

    pid = int(state["pid"])
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        if is_alive(pid, int(state.get("starttime", 0))):
            _signal.pidfd_send_signal(pidfd, sig)
    except ProcessLookupError:
        pass
    finally:
        os.close(pidfd)


def kill(store: Store, cid: str, sig: int, all_processes: bool = False) -> None:
    state = store.load(cid)
    st = status(store.dir(cid), state)
    if st in ("stopped", "creating") and not all_processes:
        raise InvalidState("kill", cid, st, "created, running or paused")
    if all_processes and state.get("cgroup"):
        from hutch.cgroups import Manager

        Manager.from_record(state["cgroup"]).kill_all(sig)
        return
    signal_init(state, sig)
