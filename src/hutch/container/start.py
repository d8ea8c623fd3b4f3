"""`start`: release a created container's init through its exec fifo."""

from __future__ import annotations

import os
import select

from hutch import faults
from hutch.container import hookstate
from hutch.container.store import FIFO, Store, is_alive, status
from hutch.errors import HutchError, InvalidState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

#: runc's words (start.go)
_START_REFUSED = {"stopped": "cannot start a container that has stopped",
                  "running": "cannot start an already running container"}


def start(store: Store, cid: str, warn: Callable[[str], None]) -> None:
    lock = store.lock(cid)
    try:
        state = store.load(cid)
        state_dir = store.dir(cid)
        st = status(state_dir, state)
        if st != "created":
            msg = _START_REFUSED.get(st, f"cannot start a container in the {st} state")
            raise InvalidState("start", cid, st, msg=msg)
        release(os.path.join(state_dir, FIFO), int(state["pid"]), int(state.get("starttime", 0)))
    finally:
        os.close(lock)
    hookstate.run("poststart", state, "running", warn)


def release(fifo: str, pid: int, starttime: int) -> None:
    """Open the fifo's read end; the init, blocked opening the write end, then execs.

    The fifo's name goes as soon as it is open (the init holds its own fd to it), so a
    `start` killed after this point never leaves a running container that looks created.
    """
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    os.unlink(fifo)
    faults.point("start.opened")
    try:
        poll = select.poll()
        poll.register(fd, select.POLLIN | select.POLLHUP)
        data = b""
        while True:
            if poll.poll(100):
                chunk = os.read(fd, 4096)
                if not chunk:
                    break  # the init's write end closed: it exec'd, or it died
                data += chunk
            elif not data and not is_alive(pid, starttime):
                break
        if data == b"0":
            return
        if data.startswith(b"0"):
            why = data[1:].decode(errors="replace")
            raise HutchError(f"container process failed to start: {why}")
        raise HutchError("container init exited before it could start the process")
    finally:
        os.close(fd)
