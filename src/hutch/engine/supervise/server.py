"""The supervisor's loop: one process per store, single-threaded (the runtime forks the
containers' inits from it, and a fork from a threaded process is unsafe), polling with
select.poll every container's output, attach clients, exits, and its own socket.

It is a child subreaper, so every init (forked by the runtime's short-lived intermediate)
becomes its child, reaped through a pidfd; stray orphans are reaped as they come. It
lives in a session of its own, and exits ``linger`` seconds (HUTCH_SUPERVISOR_LINGER,
default 2) after the last container and client are gone: a `run --rm` in a loop does
not pay its start each time. Every fd it holds is CLOEXEC, so a container gets only its
own stdio.
"""

from __future__ import annotations

import fcntl
import os
import select
import time

from hutch.engine import attach
from hutch.engine.supervise import protocol
from hutch.engine.supervise.keeper import Link
from hutch.engine.supervise.session import Session
from hutch.engine.supervise.starting import Failed
from hutch.util.ignoring import ignoring

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol

    from hutch.engine.supervise.adopt import Exits
    from hutch.engine.supervise.health import Health, Probe
    from hutch.engine.supervise.session import Poller

    class Handler(Protocol):
        def on_event(self, fd: int, ev: int) -> None: ...

LINGER_ENV = "HUTCH_SUPERVISOR_LINGER"
DEFAULT_LINGER = 2.0
_PR_SET_CHILD_SUBREAPER = 36


class _Watch:
    """The loop's poller as one owner sees it: what it registers is routed to it."""

    def __init__(self, loop: Loop, owner: Handler | None = None) -> None:
        self.loop, self.owner = loop, owner

    def bind(self, owner: Handler) -> None:
        self.owner = owner

    def register(self, fd: int, events: int) -> None:
        assert self.owner is not None
        self.loop.poller.register(fd, events)
        self.loop.handlers[fd] = self.owner

    def unregister(self, fd: int) -> None:
        del self.loop.handlers[fd]
        self.loop.poller.unregister(fd)

    def modify(self, fd: int, events: int) -> None:
        self.loop.poller.modify(fd, events)


class _Control:
    """A connection on the supervisor's socket, until its request is read."""

    def __init__(self, loop: Loop, fd: int) -> None:
        self.loop, self.fd, self.frames = loop, fd, attach.Frames()
        self.watch = _Watch(loop, self)
        self.watch.register(fd, select.POLLIN)

    def on_event(self, fd: int, ev: int) -> None:
        from hutch.util import fdpass

        try:
            data, fds = fdpass.recv(fd, 1 << 20, 253)  # (a keeper's hand-over brings fds)
        except BlockingIOError:
            return
        except OSError:
            data, fds = b"", []
        try:
            frames = list(self.frames.feed(data)) if data else []
        except ValueError:
            frames, data = [], b""
        if not data:
            fdpass.close_all(fds)
            self.watch.unregister(fd)
            os.close(fd)
            return
        for kind, payload in frames:
            if kind == protocol.REQUEST:
                self.watch.unregister(fd)
                os.set_blocking(fd, True)
                self.loop.request(fd, payload, fds)
                return
        fdpass.close_all(fds)


class Loop:
    def __init__(self, root: str, runroot: str, listener: Any, linger: float,
                 link: Link | None = None) -> None:
        self.root, self.runroot, self.listener, self.linger = root, runroot, listener, linger
        self.paths = protocol.Paths(runroot)
        self.poller = select.poll()
        self.handlers: dict[int, Handler] = {}
        self.sessions: dict[str, Session] = {}
        self.execs: list[Session] = []
        self.poller.register(listener.fileno(), select.POLLIN)
        self.idle_since = time.monotonic()
        self.link = link or Link(root, runroot)
        self.exits: Exits | None = None  # exits of adopted containers (not our children)
        self.restarts: dict[str, float] = {}  # container id -> when its restart policy starts it again
        self.healths: dict[str, Health] = {}  # the health checks of running containers

    # ---- the keeper ---------------------------------------------------------------------

    def keep(self, session: Session) -> None:
        """Tell the keeper of a running container (forking it first if there is none)."""
        self.keeper()
        session.on_stdin_closed = self.link.close_stdin
        self.link.add(session)

    def keeper(self) -> None:
        """Fork the keeper if there is none (`boot` forks the first one before this module
        is even loaded; see there)."""
        if self.link.chan < 0:
            self.link.spawn([])
        if self.link.chan not in self.handlers:  # (its hang-up says it was killed: `on_event`)
            self.poller.register(self.link.chan, select.POLLIN)
            self.handlers[self.link.chan] = self

    def on_event(self, fd: int, ev: int) -> None:
        """The keeper's channel hung up: it was killed. A new one gets every container."""
        del self.handlers[fd]
        self.poller.unregister(fd)
        self.link.lost()
        if self.sessions:
            for session in self.sessions.values():
                self.keep(session)
        if self.restarts:
            self.keeper()
            for cid in self.restarts:
                self.link.pending(cid)

    # ---- requests -----------------------------------------------------------------------

    def request(self, fd: int, payload: bytes, fds: list[int]) -> None:
        from hutch.fastjson import loads
        from hutch.util import fdpass

        try:
            req: Any = loads(payload)
            op = req["op"]
        except (ValueError, KeyError, TypeError):
            os.close(fd)
            fdpass.close_all(fds)
            return
        if op == "adopt":
            self._adopt(fd, req, fds)
            return
        fdpass.close_all(fds)
        if op in ("start", "exec"):
            from hutch.cgroups import warmup  # the container's cgroup migration, made fast

            warm = warmup.start_here()
            try:
                if op == "start":
                    self._start(fd, str(req["dir"]), bool(req.get("attach")))
                else:
                    self._exec(fd, req)
            finally:
                warmup.reap(warm, timeout=0)  # killed; the loop's stray reaper collects it
        elif op == "cancel":  # the user stopped a container waiting for its restart
            cid = str(req.get("id"))
            if self.restarts.pop(cid, None) is not None:
                self.link.drop(cid)
            with ignoring(OSError):
                protocol.send(fd, protocol.STATUS, b"ok")
            os.close(fd)
        elif op == "wait":
            session = self.sessions.get(str(req.get("id")))
            if session is None:
                with ignoring(OSError):
                    protocol.send(fd, protocol.STATUS, b"gone")
                os.close(fd)
            else:
                session.waiters.append(fd)
        else:
            os.close(fd)

    def _start(self, fd: int, cdir: str, want_attach: bool) -> None:
        """Start the container ``cdir``, answering on ``fd`` (-1: a restart policy's start)."""
        from hutch.engine.layout import Layout
        from hutch.fastjson import loads

        cdir = os.path.normpath(cdir)
        try:
            with open(Layout(os.path.dirname(cdir), os.path.basename(cdir)).monitor_settings) as f:
                cfg: Any = loads(f.read())
        except (OSError, ValueError) as err:
            _answer(fd, f"error 125 cannot read the settings: {err}")
            return
        watch = _Watch(self)
        session = watch.owner = Session(watch, cdir, cfg)
        if cfg["id"] in self.sessions:
            _answer(fd, f"error 125 container {cfg['id']} is already running")
            return
        self.restarts.pop(cfg["id"], None)
        try:
            session.listener = attach.listen(session.layout.attach)
            pid = session.start()
        except (Failed, OSError) as err:
            code = err.code if isinstance(err, Failed) else 125
            text = str(err).splitlines()[0] if str(err) else "cannot start"
            if session.listener is not None:
                session.listener.close()
                session.listener = None
            session._reap_stray_output()
            try:  # the record says Created again before the `start` hears of it (as docker's)
                session.finish(code, False, str(err), started=False)
            finally:
                _answer(fd, f"error {code} {text}")
            return
        session.running(pid)
        from hutch.engine import events  # docker's start event, here: no die can come before it

        events.container(cfg["engine_root"], "start", session.records.load(session.cid) or cfg)
        if not want_attach:  # `start`, `run -d`: the record says running once they return
            session.mark_running()
        self.sessions[session.cid] = session
        self.keep(session)
        self.check_health(session)
        if fd < 0:  # (a restart policy's start)
            return
        with ignoring(OSError):
            protocol.send(fd, protocol.STATUS, f"ok {pid}".encode())
        if want_attach:  # an attached `run` starts pumping while the record is written
            session.mark_running()
            os.set_blocking(fd, False)
            session.clients[fd] = attach.Frames()
            session.pending[fd] = bytearray()
            session.poller.register(fd, select.POLLIN)
        else:
            os.close(fd)

    def _adopt(self, fd: int, req: dict[str, Any], fds: list[int]) -> None:
        """A keeper hands over the containers of a killed supervisor."""
        from hutch.engine.supervise.adopt import Exits, adopt
        from hutch.util import fdpass

        if self.exits is None:
            self.exits = Exits()
            if self.exits.fileno() >= 0:
                self.poller.register(self.exits.fileno(), select.POLLIN)
                self.handlers[self.exits.fileno()] = self.exits
        at = 0
        for doc in req.get("containers", []):
            n = len(doc["kinds"])
            mine, at = fds[at:at + n], at + n
            if str(doc["id"]) in self.sessions:
                fdpass.close_all(mine)
                continue
            watch = _Watch(self)
            session = adopt(doc, mine, watch, self.exits, watch.bind)
            if session is not None:
                self.sessions[session.cid] = session
                self.keep(session)
                self.check_health(session)
        fdpass.close_all(fds[at:])
        for cid in req.get("restarts", []):  # containers that were waiting for their restart
            self.pending_restart(str(cid))
        with ignoring(OSError):
            protocol.send(fd, protocol.STATUS, b"ok")
        os.close(fd)

    # ---- restart policies, health checks --------------------------------------------------

    def pending_restart(self, cid: str) -> None:
        """A container its restart policy starts again (after a hand-over: the wait its
        record says, from now)."""
        from hutch.engine.records import Records

        record = Records(os.path.join(self.root, "containers")).load(cid)
        if record is None or record["state"]["status"] != "restarting" or cid in self.sessions:
            return
        me = os.getpid()
        from hutch.util.procstat import start_time

        def held(r: dict[str, Any]) -> None:
            if r["state"]["status"] == "restarting":
                r["state"].update(monitor_pid=me, monitor_start=start_time(me))

        Records(os.path.join(self.root, "containers")).update(cid, held)
        self.schedule_restart(cid, float(record["state"].get("restart_delay", 0.1)))

    def schedule_restart(self, cid: str, delay: float) -> None:
        self.restarts[cid] = time.monotonic() + delay
        self.link.pending(cid)

    def _restart(self, cid: str) -> None:
        """A restart policy's start: `start`'s path (the root, the network, monitor.json),
        then the container run as any start runs it."""
        from hutch.engine.containers import Engine
        from hutch.engine.lifecycle import RestartCancelled
        from hutch.errors import HutchError

        self.link.drop(cid)
        eng = Engine(self.root, self.runroot)
        record = eng.store.load(cid)
        if record is None:
            return
        try:
            lay = eng.prepare_start(record, restarting=True)
        except RestartCancelled:
            return
        except (HutchError, OSError) as err:
            error = str(err)

            def failed(r: dict[str, Any]) -> None:
                r["state"].update(status="exited", monitor_pid=0, monitor_start=0, error=error)

            eng.store.update(cid, failed)
            return
        self._start(-1, lay.dir, False)

    def check_health(self, session: Session) -> None:
        """Start the health checks of a container that has a Healthcheck."""
        from hutch.engine import healthcheck
        from hutch.engine.supervise.starting import in_process

        check = session.cfg.get("healthcheck")
        if healthcheck.enabled(check):
            from hutch.engine.supervise.health import Health

            runtime = session.cfg["runtime"]
            self.healths[session.cid] = Health(session.records, session.cid, dict(check or {}),
                                               session.cfg["runtime_root"], self._probe,
                                               "" if in_process(runtime) else runtime)

    def _probe(self, make: Callable[[Poller], Probe]) -> Probe:
        """Start one health check (an exec, as `_exec`'s): raises Failed."""
        watch = _Watch(self)
        probe = make(watch)
        watch.bind(probe)
        try:
            pid = probe.start()
        except Failed:
            probe._reap_stray_output()
            raise
        probe.running(pid)
        self.execs.append(probe)
        return probe

    def _exec(self, fd: int, req: dict[str, Any]) -> None:
        from hutch.engine.supervise.execs import Exec

        watch = _Watch(self)
        ex = watch.owner = Exec(watch, os.path.join(self.runroot, "runtime"), req, fd)
        try:
            pid = ex.start()
        except Failed as err:
            ex._reap_stray_output()
            ex.fail(err.code, str(err).splitlines()[0] if str(err) else "exec failed")
            return
        with ignoring(OSError):
            protocol.send(fd, protocol.STATUS, f"ok {pid}".encode())
        if req.get("detach"):
            os.close(fd)
        else:
            ex.attach_client()
        ex.running(pid)
        self.execs.append(ex)

    # ---- the loop -----------------------------------------------------------------------

    def run(self) -> None:
        lfd = self.listener.fileno()
        while True:
            now = time.monotonic()
            for s in [s for s in self.sessions.values() if s.done(now)]:
                del self.sessions[s.cid]
                self.link.drop(s.cid)
                health = self.healths.pop(s.cid, None)
                if health is not None:
                    health.stop()
                s.end()
                if s.restart_in is not None:
                    self.schedule_restart(s.cid, s.restart_in)
            for cid in [c for c, due in self.restarts.items() if due <= now]:
                del self.restarts[cid]
                self._restart(cid)
            for health in list(self.healths.values()):
                if health.due <= now:
                    health.tick(now)
            for ex in [e for e in self.execs if e.done(now)]:
                self.execs.remove(ex)
                ex.end()
            _reap_strays({s.pid for s in (*self.sessions.values(), *self.execs)})
            busy = self.sessions or self.execs or self.restarts or \
                set(self.handlers) - {self.link.chan, self.exits_fd()}
            if busy:
                self.idle_since = time.monotonic()
            elif time.monotonic() - self.idle_since >= self.linger and self._exit():
                return
            timeout = self._timeout(busy)
            try:
                events = self.poller.poll(timeout)
            except InterruptedError:
                continue
            for fd, ev in events:
                if fd == lfd:
                    self._accept()
                elif fd in self.handlers:
                    self.handlers[fd].on_event(fd, ev)

    def exits_fd(self) -> int:
        return self.exits.fileno() if self.exits is not None else -1

    def _timeout(self, busy: object) -> float:
        now = time.monotonic()
        waits = [max(0.0, s.deadline - now) for s in (*self.sessions.values(), *self.execs)
                 if s.status is not None]
        waits += [max(0.0, due - now)
                  for due in (*self.restarts.values(), *(h.due for h in self.healths.values()))]
        if not busy:
            waits.append(max(0.0, self.idle_since + self.linger - now))
        return min([*waits, 5.0]) * 1000  # (stray orphans are reaped at least that often)

    def _accept(self) -> None:
        try:
            fd = attach.accept(self.listener)
        except OSError:
            return
        os.set_blocking(fd, False)
        _Control(self, fd)

    def _exit(self) -> bool:
        """Go, unless a client is on its way (it holds the lock shared until connected)."""
        lock = os.open(self.paths.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            if select.select([self.listener], [], [], 0)[0]:
                return False
            for path in (self.paths.sock, self.paths.pid):
                with ignoring(FileNotFoundError):
                    os.unlink(path)
            self.listener.close()
            return True
        finally:
            os.close(lock)


def _answer(fd: int, line: str) -> None:
    """A start's STATUS line to its client (none for a restart policy's start, ``fd`` -1)."""
    if fd < 0:
        return
    with ignoring(OSError):
        protocol.send(fd, protocol.STATUS, line.encode())
    os.close(fd)


def _reap_strays(ours: set[int]) -> None:
    """Reap orphans that came to us (processes of containers without a PID namespace),
    leaving inits and exec'd processes to their sessions."""
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None or info.si_pid in ours:
            return
        with ignoring(ChildProcessError):
            os.waitpid(info.si_pid, 0)


def main(root: str, runroot: str, status_fd: int, link: Link | None = None) -> int:
    """The supervisor of ``root``: bind its socket, say "ready" on ``status_fd``, serve."""
    from hutch._sys.creds import prctl
    prctl(_PR_SET_CHILD_SUBREAPER, 1)
    paths = protocol.Paths(runroot)
    listener = attach.listen(paths.sock)
    protocol.write_pid(paths.pid, os.getpid())
    try:
        linger = float(os.environ.get(LINGER_ENV, DEFAULT_LINGER))
    except ValueError:
        linger = DEFAULT_LINGER
    loop = Loop(root, runroot, listener, linger, link)
    loop.keeper()  # watched (and forked, if boot did not)
    if status_fd >= 0:
        with ignoring(OSError):
            os.write(status_fd, b"ready\n")
        os.close(status_fd)
    loop.run()
    return 0
