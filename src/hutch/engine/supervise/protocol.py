"""The supervisor's socket and its requests.

    RUNROOT/hutch-supervisor.sock   the supervisor's AF_UNIX stream socket
    RUNROOT/hutch-supervisor.lock   flock: LOCK_SH while a client finds or connects to it,
                                    LOCK_EX to start one or to let one exit
    RUNROOT/hutch-supervisor.pid    its pid and start time; .log its stderr
    RUNROOT/hutch-keeper.pid        its keeper's (`hutch.engine.supervise.keeper`)

The bytes on the socket are `hutch.engine.attach` frames. A client sends one REQUEST (a
JSON object, ``op`` naming it) and the supervisor answers with one STATUS line (``ok
PID``, ``error CODE MESSAGE`` or ``gone``); after a start with ``attach`` or an exec, the
connection goes on as an attach connection (output frames, then EXIT).

    {"op": "start", "dir": CDIR, "attach": bool}   start the container CDIR/monitor.json names
    {"op": "exec", "id": ID, "args": [...], ...}   run a process in it, streamed back
    {"op": "wait", "id": ID}                       STATUS when the container's teardown is done
    {"op": "cancel", "id": ID}                     forget its pending restart (the user stopped it)
    {"op": "adopt", "containers": [...]}          a keeper's hand-over, with the fds
"""

from __future__ import annotations

import os

from hutch.engine import attach

REQUEST, STATUS = 6, 7  # after attach's kinds

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Paths:
    __slots__ = ("keeper", "lock", "log", "pid", "sock")

    def __init__(self, runroot: str) -> None:
        self.sock = os.path.join(runroot, "hutch-supervisor.sock")
        self.lock = os.path.join(runroot, "hutch-supervisor.lock")
        self.pid = os.path.join(runroot, "hutch-supervisor.pid")
        self.log = os.path.join(runroot, "hutch-supervisor.log")
        self.keeper = os.path.join(runroot, "hutch-keeper.pid")


def write_pid(path: str, pid: int) -> None:
    """``pid`` and its start time, replacing the file atomically: a reader (`ps` deciding
    whether a keeper is handing containers over) never sees it empty, which would read as
    "no keeper" and a lost container."""
    from hutch.util import atomic
    from hutch.util.procstat import start_time

    atomic.write(path, f"{pid} {start_time(pid)}\n".encode(), 0o644)


def keeper_alive(runroot: str) -> bool:
    """Whether the store's keeper runs: the containers of a killed supervisor are then
    being handed over, not lost."""
    from hutch.engine.records import alive

    try:
        with open(Paths(runroot).keeper) as f:
            pid, start = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        return False
    return alive(pid, start)


def read_exact(fd: int, n: int) -> bytes:
    """``n`` bytes from the blocking ``fd`` (fewer only at its end)."""
    out = b""
    while len(out) < n:
        chunk = os.read(fd, n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def read_frame(fd: int) -> tuple[int, bytes] | None:
    """One frame, read exactly (nothing past it is consumed); None at the end."""
    head = read_exact(fd, 5)
    if len(head) < 5:
        return None
    n = int.from_bytes(head[1:], "big")
    payload = read_exact(fd, n)
    return (head[0], payload) if len(payload) == n else None


def send(fd: int, kind: int, payload: bytes) -> None:
    data = memoryview(attach.frame(kind, payload))
    while data:
        data = data[os.write(fd, data):]


def request(fd: int, doc: dict[str, Any]) -> None:
    from hutch.fastjson import dumps

    send(fd, REQUEST, dumps(doc).encode())


def read_status(fd: int) -> str | None:
    """The supervisor's STATUS line, or None when it went away first."""
    got = read_frame(fd)
    if got is None or got[0] != STATUS:
        return None
    return got[1].decode(errors="replace")
