"""One container the supervisor holds: the role conmon plays for podman and the shim for
containerd, one object per container, driven by the supervisor's one poll loop
(`hutch.engine.supervise.server`). It was the per-container monitor process.

1. it makes the container's stdio: pipes (stdin only with ``-i``, else /dev/null), or with
   ``-t`` a pty whose master comes over a console socket (or a socketpair in-process);
2. with hutch's own runtime it creates and starts the container in-process (the runtime's
   library, `hutch.container`); with another (runc, crun, a path) it runs
   ``RUNTIME run --detach``. Either way the init is the supervisor's child (its
   subreaper);
3. it copies the container's output to the json-file log (with rotation) and to clients
   attached on CDIR/attach, and their input (and window sizes) to the container;
4. when the init exits it reaps it, reads the OOM-kill counter of its memory cgroup, and
   runs the one teardown (`hutch.engine.teardown`: the runtime's container deleted
   in-process for hutch's own runtime), then sends the status to attached clients and
   waiters.

An `Exec` is the same copying for a process exec'd in a running container, its output
streamed to the one client that asked, nothing logged.
"""

from __future__ import annotations

import errno
import os
import select
import time

from hutch.engine import attach, model
from hutch.engine.jsonlog import Writer
from hutch.engine.layout import Layout
from hutch.engine.records import Records
from hutch.engine.spawn import wait_status
from hutch.engine.supervise.starting import in_process, start_cli, start_in_process
from hutch.util import timefmt
from hutch.util.ignoring import ignoring
from hutch.util.procstat import start_time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol

    class Poller(Protocol):
        """The loop's poller, seen by one session: its registrations route events to it."""

        def register(self, fd: int, events: int) -> None: ...
        def unregister(self, fd: int) -> None: ...
        def modify(self, fd: int, events: int) -> None: ...


DRAIN_SECONDS = 2.0  # after the init's exit, how long output may still arrive


class Session:
    """A container's stdio, attach clients and end, for as long as it runs."""

    def __init__(self, poller: Poller, cdir: str, cfg: dict[str, Any]) -> None:
        self.cdir, self.cfg = cdir, cfg
        self.cid: str = cfg["id"]
        self.layout = Layout(os.path.dirname(cdir), self.cid)
        self.records = Records(os.path.dirname(cdir))
        self.log: Writer | None = Writer(cfg["log_path"], int(cfg.get("log_max_size", 0)),
                                         int(cfg.get("log_max_file", 1)))
        self._io(poller)

    def _io(self, poller: Poller) -> None:
        self.clients: dict[int, attach.Frames] = {}
        self.pending: dict[int, bytearray] = {}  # unsent output per client
        self.stdin_fd = -1  # our end of the container's stdin
        self.stdin_queue = bytearray()
        self.stdin_eof = False
        self.stdin_polled = False  # the stdin pipe is in the poller (for POLLOUT)
        self.outputs: dict[int, str] = {}  # fd → "stdout" / "stderr"
        self.master = -1
        self.poller = poller
        self.listener: Any = None
        self.pid = 0
        self.pidfd = -1
        self.status: int | None = None  # the init's exit status, once reaped
        self.deadline = 0.0
        self.waiters: list[int] = []  # `wait` connections: told when the teardown is done
        #: for a container adopted from a killed supervisor: its exit status, not being its parent
        self.adopted: Callable[[int], int] | None = None
        #: told the container's id when its stdin is closed (the keeper holds a copy of it)
        self.on_stdin_closed: Callable[[str], None] | None = None
        #: once it ended: the wait before its restart policy starts it again (None: it does not)
        self.restart_in: float | None = None

    # ---- start --------------------------------------------------------------------------

    def start(self) -> int:
        """Run the container; its init's pid, or raise Failed."""
        tty, want_stdin = bool(self.cfg.get("tty")), bool(self.cfg.get("stdin"))
        null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
        try:
            if tty:
                stdio = [null, null, null]
            else:
                if want_stdin:
                    r, self.stdin_fd = os.pipe2(os.O_CLOEXEC)
                    os.set_blocking(self.stdin_fd, False)
                else:
                    r = null
                out_r, out_w = os.pipe2(os.O_CLOEXEC)
                err_r, err_w = os.pipe2(os.O_CLOEXEC)
                self.outputs = {out_r: "stdout", err_r: "stderr"}
                stdio = [r, out_w, err_w]
            try:
                if in_process(self.cfg["runtime"]):
                    return start_in_process(self, stdio, tty)
                return start_cli(self, stdio, tty)
            finally:
                for fd in set(stdio) - {null}:
                    os.close(fd)
        finally:
            os.close(null)

    def _set_master(self, master: int) -> None:
        os.set_blocking(master, False)
        size = self.cfg.get("tty_size")
        if size:
            from hutch.util.term import set_size

            set_size(master, int(size[0]), int(size[1]))
        self.master = master

    def running(self, pid: int) -> None:
        """The container runs as ``pid``: poll its end, its output, its attach socket."""
        self.pid = pid
        self.pidfd = os.pidfd_open(pid)
        self.poller.register(self.pidfd, select.POLLIN)
        for fd in self.outputs:
            self.poller.register(fd, select.POLLIN)
        if self.master >= 0:
            self.poller.register(self.master, select.POLLIN)
        if self.listener is not None:
            self.poller.register(self.listener.fileno(), select.POLLIN)

    # ---- events -------------------------------------------------------------------------

    def on_event(self, fd: int, ev: int) -> None:
        if fd == self.pidfd:
            self.poller.unregister(fd)
            os.close(fd)
            self.pidfd = -1
            self.status = self._reap(self.pid)
            self.deadline = time.monotonic() + DRAIN_SECONDS
        elif self.listener is not None and fd == self.listener.fileno():
            self._accept(self.listener)
        elif fd in self.outputs:
            self._read_output(fd, self.outputs[fd])
        elif fd == self.master:
            self._read_output(fd, "stdout")
        elif fd == self.stdin_fd:
            self._flush_stdin()
        elif fd in self.clients:
            if ev & select.POLLOUT:
                self._send_pending(fd)
            if ev & (select.POLLIN | select.POLLHUP | select.POLLERR) and fd in self.clients:
                self._read_client(fd)

    def done(self, now: float) -> bool:
        """The init has exited and its output is drained (or the drain's time is up)."""
        return self.status is not None and ((not self.outputs and self.master < 0) or now > self.deadline)

    def _reap(self, pid: int) -> int:
        try:
            return wait_status(pid)
        except ChildProcessError:  # not our child (adopted, or a runtime that kept it)
            return self.adopted(pid) if self.adopted is not None else 255

    def _read_output(self, fd: int, stream: str) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError as err:  # EIO: the pty's last slave is closed
            if err.errno != errno.EIO:
                raise
            data = b""
        if not data:
            self.poller.unregister(fd)
            os.close(fd)
            if fd == self.master:
                self.master = -1
            else:
                del self.outputs[fd]
            return
        self._output(stream, data)

    def _output(self, stream: str, data: bytes) -> None:
        """What the container wrote: to the log and the attached clients."""
        if self.log is not None:
            self.log.write(stream, data)
        self._broadcast(attach.frame(attach.STDOUT if stream == "stdout" else attach.STDERR, data))

    def _broadcast(self, data: bytes) -> None:
        for fd in list(self.clients):
            self.pending[fd] += data
            self._send_pending(fd)

    def _send_pending(self, fd: int) -> None:
        buf = self.pending[fd]
        try:
            while buf:
                n = os.write(fd, buf)
                del buf[:n]
        except BlockingIOError:
            pass
        except OSError:
            self._drop(fd)
            return
        self.poller.modify(fd, select.POLLIN | (select.POLLOUT if buf else 0))

    def _accept(self, listener: Any) -> None:
        try:
            fd = attach.accept(listener)
        except OSError:
            return
        os.set_blocking(fd, False)
        self.clients[fd] = attach.Frames()
        self.pending[fd] = bytearray()
        self.poller.register(fd, select.POLLIN)

    def _drop(self, fd: int) -> None:
        self.clients.pop(fd, None)
        self.pending.pop(fd, None)
        with ignoring(KeyError, ValueError):
            self.poller.unregister(fd)
        os.close(fd)

    def _read_client(self, fd: int) -> None:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(fd)
            return
        try:
            frames = list(self.clients[fd].feed(data))
        except ValueError:
            self._drop(fd)
            return
        for kind, payload in frames:
            if kind == attach.STDIN:
                self._input(payload)
            elif kind == attach.CLOSE_STDIN:
                self._close_stdin()
            elif kind == attach.RESIZE and self.master >= 0:
                from hutch.util.term import set_size

                with ignoring(OSError, ValueError):
                    set_size(self.master, *attach.parse_resize(payload))

    def _input(self, data: bytes) -> None:
        if self.master >= 0:
            with ignoring(OSError):
                os.write(self.master, data)  # a pty takes a line discipline's worth at once
            return
        if self.stdin_fd < 0:
            return
        self.stdin_queue += data
        self._flush_stdin()

    def _flush_stdin(self) -> None:
        try:
            while self.stdin_queue:
                n = os.write(self.stdin_fd, self.stdin_queue)
                del self.stdin_queue[:n]
        except BlockingIOError:
            pass
        except OSError:  # the container closed its stdin
            self.stdin_queue.clear()
        if self.stdin_queue and not self.stdin_polled:
            self.poller.register(self.stdin_fd, select.POLLOUT)
            self.stdin_polled = True
        elif not self.stdin_queue and self.stdin_polled:
            self.poller.unregister(self.stdin_fd)
            self.stdin_polled = False
        if not self.stdin_queue and self.stdin_eof:
            self._close_stdin()

    def _close_stdin(self) -> None:
        if self.master >= 0:
            with ignoring(OSError):
                os.write(self.master, b"\x04")  # ^D: end of input for a reading program
            return
        self.stdin_eof = True
        if self.stdin_fd >= 0 and not self.stdin_queue:
            if self.stdin_polled:
                self.poller.unregister(self.stdin_fd)
                self.stdin_polled = False
            os.close(self.stdin_fd)
            self.stdin_fd = -1
            if self.on_stdin_closed is not None:
                self.on_stdin_closed(self.cid)

    # ---- the end ------------------------------------------------------------------------

    def oom_killed(self) -> bool:
        """Whether the kernel OOM-killed a process of the container's memory cgroup."""
        path = self.cfg.get("cgroup", "").strip("/")
        if not path:
            return False
        unified = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
        name = f"/sys/fs/cgroup/{path}/memory.events" if unified \
            else f"/sys/fs/cgroup/memory/{path}/memory.oom_control"
        try:
            with open(name) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value) > 0
        except (OSError, ValueError):
            pass
        return False

    def end(self) -> None:
        """The container has ended: its teardown, then the word to clients and waiters."""
        self._reap_stray_output()
        oom = self.oom_killed()
        if self.listener is not None:
            with ignoring(KeyError):
                self.poller.unregister(self.listener.fileno())
            self.listener.close()
            self.listener = None
        assert self.status is not None
        self.finish(self.status, oom)

    def _reap_stray_output(self) -> None:
        """Stop copying: what the drain did not get is left unread."""
        for fd in [*self.outputs, *([self.master] if self.master >= 0 else [])]:
            with ignoring(KeyError):
                self.poller.unregister(fd)
            os.close(fd)
        self.outputs.clear()
        self.master = -1
        if self.stdin_fd >= 0:
            if self.stdin_polled:
                self.poller.unregister(self.stdin_fd)
                self.stdin_polled = False
            os.close(self.stdin_fd)
            self.stdin_fd = -1

    def finish(self, code: int, oom: bool, error: str = "", *, started: bool = True) -> None:
        """The container's teardown: record the end (or, for --rm, remove it all). A container
        that never ``started`` (its process could not be run) is left Created with the exit
        status and the error, as docker leaves it."""
        if self.log is not None:
            self.log.close()
        from hutch.engine.teardown import Teardown

        me = os.getpid()
        monitor = (me, start_time(me))

        def ended(r: dict[str, Any]) -> None:
            from hutch.engine.supervise.restarts import ended as end_of

            self.restart_in = end_of(r, code, oom, error, monitor, started)

        from hutch.engine import events

        record = self.records.load(self.cid)
        if record is not None:  # (docker's die: its exit code, before --rm's destroy)
            events.container(self.cfg["engine_root"], "die", record, exitCode=code)
            events.volumes(self.cfg["engine_root"], "unmount", record)
        remove = bool(self.cfg.get("remove"))  # --rm: the container and its anonymous volumes
        try:
            Teardown(self.records, self.cid, self.cfg["runtime"], self.cfg["runtime_root"],
                     self.cfg["engine_root"], in_process=in_process(self.cfg["runtime"]))(
                remove=remove, volumes=remove, ended=ended)
            if remove:  # for a `wait` that comes after the removal (hutch.engine.exits)
                from hutch.engine.exits import remember

                with ignoring(OSError):
                    remember(self.cfg["engine_root"], self.cid, code)
        finally:
            self.tell(code)

    def tell(self, code: int) -> None:
        """The exit status to attached clients (EXIT) and waiters; they are closed."""
        for fd in list(self.clients):
            self.pending[fd] += attach.frame(attach.EXIT, str(code).encode())
            os.set_blocking(fd, True)
            with ignoring(OSError):
                os.write(fd, self.pending[fd])
            self._drop(fd)
        for fd in self.waiters:
            from hutch.engine.supervise import protocol

            with ignoring(OSError):
                protocol.send(fd, protocol.STATUS, f"ok {code}".encode())
            os.close(fd)
        self.waiters.clear()

    def mark_running(self, started: bool = True) -> None:
        """The record says running, held by this supervisor (``started``: just now, else
        adopted from a killed supervisor)."""
        pid, me = self.pid, os.getpid()

        def running(r: dict[str, Any]) -> None:
            r["state"].update(monitor_pid=me, monitor_start=start_time(me))
            if started:
                r["state"].update(status=model.RUNNING, pid=pid, exit_code=0, oom_killed=False, error="",
                                  started_at=timefmt.now(), finished_at="")
                from hutch.engine import healthcheck

                if healthcheck.enabled((r.get("config") or {}).get("healthcheck")):
                    log = (r["state"].get("health") or {}).get("Log") or []
                    r["state"]["health"] = {"Status": "starting", "FailingStreak": 0, "Log": log}

        self.records.update(self.cid, running)
