"""The supervisor's side of a keeper's hand-over (`hutch.engine.supervise.keeper`): the
containers of a killed supervisor, taken up again. Each gets a session as a started one
has (its log resumes from the fds the keeper kept, clients attach on CDIR/attach again),
its record names this supervisor, and its exit status comes from the kernel's proc
connector (`hutch._sys.cnproc`), since its init is no child of ours; where that is not
allowed (EPERM), or the exit was missed, it is recorded as unknown (255), as docker does."""

from __future__ import annotations

import os
import select
import time

from hutch.engine import attach
from hutch.engine.supervise.session import DRAIN_SECONDS, Session
from hutch.util import fdpass
from hutch.util.ignoring import ignoring

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hutch.engine.supervise.session import Poller

UNKNOWN = 255


class Exits:
    """Exit statuses of processes that are not our children, as the proc connector sends
    them; only those of ``wanted`` pids are kept."""

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.wanted: set[int] = set()
        self.events: Any = None
        try:
            from hutch._sys.cnproc import ExitEvents

            self.events = ExitEvents()
        except OSError:
            self.events = None

    def fileno(self) -> int:
        return int(self.events.fileno()) if self.events is not None else -1

    def on_event(self, fd: int, ev: int) -> None:
        self.drain()

    def drain(self) -> None:
        if self.events is None:
            return
        for pid, status in self.events.read():
            if pid in self.wanted:
                self.statuses[pid] = status

    def status(self, pid: int) -> int:
        """``pid``'s exit status (128+N for signal N), UNKNOWN if it was not seen."""
        self.drain()
        raw = self.statuses.pop(pid, None)
        self.wanted.discard(pid)
        if raw is None:
            return UNKNOWN
        code = os.waitstatus_to_exitcode(raw)
        return 128 - code if code < 0 else code


def adopt(doc: dict[str, Any], fds: list[int], poller: Poller, exits: Exits,
          bind: Callable[[Session], None]) -> Session | None:
    """A session for one container of the hand-over (None if its settings are gone);
    ``bind`` routes its poller's events to it before anything is registered."""
    from hutch.engine.layout import Layout
    from hutch.fastjson import loads

    cdir = os.path.normpath(str(doc["dir"]))
    try:
        with open(Layout(os.path.dirname(cdir), os.path.basename(cdir)).monitor_settings) as f:
            cfg: Any = loads(f.read())
    except (OSError, ValueError):
        fdpass.close_all(fds)
        return None
    session = Session(poller, cdir, cfg)
    bind(session)
    session.adopted = exits.status
    for kind, fd in zip(doc["kinds"], fds, strict=False):
        os.set_blocking(fd, False)
        if kind == "master":
            session.master = fd
        elif kind == "stdin":  # (a `-i` container's input: not closed by our predecessor's end)
            session.stdin_fd = fd
        else:
            session.outputs[fd] = str(kind)
    with ignoring(OSError):
        session.listener = attach.listen(session.layout.attach)
    pid = int(doc["pid"])
    exits.wanted.add(pid)
    if doc.get("status") is not None:
        exits.statuses[pid] = int(doc["status"])
    try:
        session.running(pid)
    except ProcessLookupError:  # it ended before we could watch it: it is drained, then recorded
        session.pid = pid
        for fd in session.outputs:
            poller.register(fd, select.POLLIN)
        if session.master >= 0:
            poller.register(session.master, select.POLLIN)
        if session.listener is not None:
            poller.register(session.listener.fileno(), select.POLLIN)
        session.status = exits.status(pid)
        session.deadline = time.monotonic() + DRAIN_SECONDS
    session.mark_running(started=False)
    return session
