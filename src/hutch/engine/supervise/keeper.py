"""The keeper: kill -9 of the supervisor loses no container.

A child the supervisor forks as it boots, a bare interpreter then, so that the two share
most of their pages (named ``hutch-keeper`` in /proc/PID/comm), which holds a
duplicate of every running container's output read ends (pipes, or the pty master): with
the supervisor killed, a container's next write does not die of SIGPIPE (the pipe buffers
it; a writer blocks when it is full, as under docker with dockerd stopped). The supervisor
tells it each container it starts (ADD: the container's directory, its init's pid and its
fds, passed with SCM_RIGHTS) and each that ends (DROP).

- Killed keeper: the supervisor sees its channel hang up, forks a new one and hands it the
  fds again (`Link`).
- Killed supervisor: the keeper sees the channel hang up, subscribes to process exits
  (`hutch._sys.cnproc`: the inits are now PID 1's children, not any hutch process's), finds
  or starts a new supervisor as any client does (`connect`), and hands it every container
  with its fds and any exit status seen meanwhile (an "adopt" request); then it exits, and
  the new supervisor forks a keeper of its own. The adopted containers' records name the
  new supervisor; their logs resume from the pipes; their exit statuses come from the proc
  connector (recorded as unknown, 255, where it is not allowed). The containers waiting for
  their restart policy's restart (PENDING, no fds) are handed over too: the new supervisor
  restarts them after the wait their records say.
"""

from __future__ import annotations

import os
import select

from hutch.util import fdpass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    class Held(Protocol):
        """What the keeper is told of a container (`hutch.engine.supervise.session`)."""

        cid: str
        cdir: str
        pid: int
        outputs: dict[int, str]
        master: int
        stdin_fd: int

COMM = "hutch-keeper"
MAX_FDS = 240  # under the kernel's SCM_MAX_FD (253) per message


def describe(s: Held) -> tuple[dict[str, Any], list[int]]:
    """A container as the keeper and an adoption carry it: (its description, its fds)."""
    stdin = [s.stdin_fd] if s.stdin_fd >= 0 and s.master < 0 else []
    fds = [*s.outputs, *([s.master] if s.master >= 0 else []), *stdin]
    kinds = [*s.outputs.values(), *(["master"] if s.master >= 0 else []), *(["stdin"] if stdin else [])]
    return {"id": s.cid, "dir": s.cdir, "pid": s.pid, "kinds": kinds}, fds


class Link:
    """The supervisor's end: its keeper's pid and channel."""

    def __init__(self, root: str, runroot: str) -> None:
        self.root, self.runroot = root, runroot
        self.pid = 0
        self.chan = -1

    def spawn(self, held: list[Held]) -> None:
        """Fork a keeper and hand it ``held``'s fds."""
        from hutch.process.sync import socketpair

        ours, theirs = socketpair()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the keeper
            code = 1
            try:
                os.close(ours)
                os.closerange(3, theirs)
                os.closerange(theirs + 1, 1 << 16)
                code = keep(theirs, self.root, self.runroot)
            finally:
                os._exit(code)
        os.close(theirs)
        self.pid, self.chan = pid, ours
        from hutch.engine.supervise.protocol import Paths, write_pid

        write_pid(Paths(self.runroot).keeper, pid)
        for s in held:
            self.add(s)

    def add(self, s: Held) -> None:
        from hutch.fastjson import dumps

        doc, fds = describe(s)
        try:
            fdpass.send(self.chan, ("A" + dumps(doc)).encode(), fds)
        except OSError:
            pass  # it is gone: the loop forks another, which gets every container

    def pending(self, cid: str) -> None:
        """The container waits for its restart policy's restart."""
        try:
            os.write(self.chan, f"P{cid}".encode())
        except OSError:
            pass

    def drop(self, cid: str) -> None:
        try:
            os.write(self.chan, f"D{cid}".encode())
        except OSError:
            pass

    def close_stdin(self, cid: str) -> None:
        """The container's stdin was closed (its input ended): the keeper's copy goes too,
        or the container would never read its end."""
        try:
            os.write(self.chan, f"S{cid}".encode())
        except OSError:
            pass

    def lost(self) -> None:
        """The keeper hung up (killed): reap it; the caller forks another."""
        os.close(self.chan)
        self.chan = -1
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.pid = 0


def keep(chan: int, root: str, runroot: str) -> int:  # pragma: no cover - runs in the keeper
    """The keeper's loop: hold the fds until the supervisor ends; then hand them over."""
    import gc

    from hutch.fastjson import loads

    gc.disable()  # it allocates next to nothing; a collection would copy the shared pages
    try:
        with open("/proc/self/comm", "w") as f:
            f.write(COMM)
    except OSError:
        pass
    held: dict[str, tuple[dict[str, Any], list[int]]] = {}
    pending: set[str] = set()  # waiting for a restart
    poller = select.poll()
    poller.register(chan, select.POLLIN)
    while True:
        try:
            poller.poll()
        except InterruptedError:
            continue
        try:
            data, fds = fdpass.recv(chan, 65536, 16)
        except OSError:
            data, fds = b"", []
        if not data:
            break
        if data[:1] == b"A":
            doc: Any = loads(data[1:])
            held[str(doc["id"])] = (doc, fds)
            pending.discard(str(doc["id"]))
        elif data[:1] == b"P":
            pending.add(data[1:].decode())
        elif data[:1] == b"D":
            _, gone = held.pop(data[1:].decode(), ({}, []))
            pending.discard(data[1:].decode())
            fdpass.close_all(gone)
        elif data[:1] == b"S" and data[1:].decode() in held:
            doc, fds = held[data[1:].decode()]
            if "stdin" in doc["kinds"]:
                at = doc["kinds"].index("stdin")
                del doc["kinds"][at]
                os.close(fds.pop(at))
        else:
            fdpass.close_all(fds)
    os.close(chan)
    if not held and not pending:
        return 0  # the supervisor exited with no container left
    return hand_over(list(held.values()), root, runroot, sorted(pending))


def hand_over(held: list[tuple[dict[str, Any], list[int]]], root: str,
              runroot: str, pending: list[str] | None = None) -> int:  # pragma: no cover
    """To a new supervisor (started if need be): every container, its fds and any exit seen."""
    import time

    from hutch.engine.supervise import protocol
    from hutch.engine.supervise.connect import connect
    from hutch.fastjson import dumps

    exits: dict[int, int] = {}
    events: Any = None
    try:
        from hutch._sys.cnproc import ExitEvents

        events = ExitEvents()
    except OSError:
        events = None
    for start in range(0, max(len(held), 1), MAX_FDS // 3):
        chunk = held[start:start + MAX_FDS // 3]
        for attempt in range(50):
            if events is not None:
                exits.update(events.read())
            docs = []
            for doc, _fds in chunk:
                pid = int(doc["pid"])
                docs.append({**doc, "status": exits.get(pid)})
            payload = dumps({"op": "adopt", "containers": docs,
                             "restarts": (pending or []) if start == 0 else []}).encode()
            try:
                sock = connect(root, runroot)
            except Exception:
                time.sleep(0.1 * (attempt + 1))
                continue
            try:
                from hutch.engine import attach

                fdpass.send(sock.fileno(), attach.frame(protocol.REQUEST, payload),
                            [fd for _doc, fds in chunk for fd in fds])
                if protocol.read_status(sock.fileno()) == "ok":
                    break
            except OSError:
                pass
            finally:
                sock.close()
            time.sleep(0.1)
        for _doc, fds in chunk:
            fdpass.close_all(fds)
    if events is not None:
        events.close()
    return 0
