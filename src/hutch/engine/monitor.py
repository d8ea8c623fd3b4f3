"""The per-container monitor: the role conmon plays for podman and the shim for containerd.

`hutch start` (and `run`) spawns ``python -I -m hutch.engine.monitor CDIR`` for each
container it starts; the monitor detaches (a session of its own, forked once more so no
`hutch` process is its parent) and lives exactly as long as the container:

1. it becomes a child subreaper and listens on CDIR/attach (`hutch.engine.attach`);
2. it makes the container's stdio: pipes (stdin only with ``-i``, else /dev/null), or with
   ``-t`` a pty whose master the runtime sends over a console socket;
3. it runs ``RUNTIME run --detach`` (create and start in one call); the container's init,
   orphaned when the runtime exits, is reparented to the monitor;
4. it copies the container's output to the json-file log (with rotation) and to attached
   clients, and attached clients' input (and window sizes) to the container;
5. when the init exits it reaps it, reads the OOM-kill counter of its memory cgroup,
   deletes the runtime's container, unmounts the root, records the exit status (or, for
   ``--rm``, removes the container) and sends the status to attached clients.

It reports to the `hutch` that spawned it on the fd named by HUTCH_MONITOR_STATUS_FD: one
line, ``listening`` once clients may connect, then ``ok PID`` or ``error CODE MESSAGE``.

Its settings are CDIR/monitor.json, written by the engine. It is single-threaded, polls
with select.poll, and imports little: it stays resident for every running container.
"""

from __future__ import annotations

import errno
import os
import select
import sys
import time

from hutch.engine import attach, model
from hutch.engine.jsonlog import Writer
from hutch.engine.layout import Layout
from hutch.engine.records import Records, process_start_time
from hutch.engine.spawn import IGNORED, spawn, wait_status
from hutch.fastjson import loads
from hutch.util import timefmt

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from typing import Any
else:  # not signal or subprocess: their enum and selectors imports cost every monitor memory
    import _signal

STATUS_FD_ENV = "HUTCH_MONITOR_STATUS_FD"


class _suppress:
    """contextlib.suppress, without contextlib (its imports cost every monitor ~0.6 MB)."""

    def __init__(self, *kinds: type[BaseException]) -> None:
        self.kinds = kinds

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, _err: object, _tb: object) -> bool:
        return kind is not None and issubclass(kind, self.kinds)
DRAIN_SECONDS = 2.0  # after the init's exit, how long output may still arrive
_PR_SET_CHILD_SUBREAPER = 36


class Monitor:
    def __init__(self, cdir: str, cfg: dict[str, Any], status_fd: int) -> None:
        self.cdir, self.cfg, self.status_fd = cdir, cfg, status_fd
        self.cid: str = cfg["id"]
        self.layout = Layout(os.path.dirname(cdir), self.cid)
        self.records = Records(os.path.dirname(cdir))
        self.log = Writer(cfg["log_path"], int(cfg.get("log_max_size", 0)), int(cfg.get("log_max_file", 1)))
        self.clients: dict[int, attach.Frames] = {}
        self.pending: dict[int, bytearray] = {}  # unsent output per client
        self.stdin_fd = -1  # our end of the container's stdin
        self.stdin_queue = bytearray()
        self.stdin_eof = False
        self.stdin_polled = False  # the stdin pipe is in the poller (for POLLOUT)
        self.outputs: dict[int, str] = {}  # fd → "stdout" / "stderr"
        self.master = -1
        self.poller = select.poll()

    # ---- reporting ----------------------------------------------------------------------

    def report(self, line: str) -> None:
        if self.status_fd >= 0:
            with _suppress(OSError):
                os.write(self.status_fd, (line + "\n").encode())

    def runtime(self, *args: str, log: bool = False) -> list[str]:
        head = [self.cfg["runtime"], "--root", self.cfg["runtime_root"]]
        if log:
            head += ["--log", self.layout.runtime_log, "--log-format", "json"]
        return [*head, *args]

    # ---- start --------------------------------------------------------------------------

    def start(self) -> int:
        """Run the container; its init's pid, or raise _Failed."""
        tty, want_stdin = bool(self.cfg.get("tty")), bool(self.cfg.get("stdin"))
        console = None
        console_dir = ""
        child_fds: list[int] = []
        if tty:
            console_dir = f"/tmp/hutch-cs-{os.urandom(6).hex()}"  # short: runc needs < 108 bytes
            os.mkdir(console_dir, 0o700)
            console = attach.listen(os.path.join(console_dir, "console"))
            null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
            stdio = child_fds = [null, null, null]
        else:
            if want_stdin:
                r, self.stdin_fd = os.pipe2(os.O_CLOEXEC)
                os.set_blocking(self.stdin_fd, False)
            else:
                r = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
            out_r, out_w = os.pipe2(os.O_CLOEXEC)
            err_r, err_w = os.pipe2(os.O_CLOEXEC)
            self.outputs = {out_r: "stdout", err_r: "stderr"}
            stdio = child_fds = [r, out_w, err_w]
        pid_file = self.layout.init_pid
        argv = ["run", "--detach", "--bundle", self.cfg["bundle"], "--pid-file", pid_file]
        if console is not None:
            argv += ["--console-socket", os.path.join(console_dir, "console")]
        with _suppress(FileNotFoundError):
            os.unlink(self.layout.runtime_log)
        try:
            proc = spawn(self.runtime(*argv, self.cid, log=True), stdio)
            for fd in set(child_fds):
                os.close(fd)
            if console is not None:
                self.master = self._receive_console(console, proc)
            code = wait_status(proc)
        finally:
            if console is not None:
                console.close()
                with _suppress(OSError):
                    os.unlink(os.path.join(console_dir, "console"))
                    os.rmdir(console_dir)
        if code != 0:
            from hutch.engine.runtime_client import failure_code, last_error

            log = self.layout.runtime_log
            raise _Failed(failure_code(log, code) if code else 125,
                          last_error(log) or f"the OCI runtime exited with status {code}")
        try:
            with open(pid_file) as f:
                return int(f.read().strip())
        except (OSError, ValueError) as err:
            raise _Failed(125, f"the OCI runtime wrote no pid file: {err}") from err

    def _receive_console(self, console: Any, proc: int) -> int:
        from hutch.process.console import recv_fd

        while True:
            ready, _w, _x = select.select([console], [], [], 0.05)
            if ready:
                master = recv_fd(console.fileno())
                os.set_blocking(master, False)
                size = self.cfg.get("tty_size")
                if size:
                    from hutch.util.term import set_size

                    set_size(master, int(size[0]), int(size[1]))
                return master
            if os.waitid(os.P_PID, proc, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return -1  # failed before it connected: its status says why

    # ---- the loop -----------------------------------------------------------------------

    def serve(self, listener: Any, pid: int) -> int:
        """Copy until the init has exited and its output is drained; its exit status."""
        pidfd = os.pidfd_open(pid)
        lfd = listener.fileno()
        self.poller.register(lfd, select.POLLIN)
        self.poller.register(pidfd, select.POLLIN)
        for fd in self.outputs:
            self.poller.register(fd, select.POLLIN)
        if self.master >= 0:
            self.poller.register(self.master, select.POLLIN)
        status: int | None = None
        deadline = 0.0
        while True:
            if status is not None and ((not self.outputs and self.master < 0) or time.monotonic() > deadline):
                break
            timeout = None if status is None else max(0.0, deadline - time.monotonic()) * 1000
            try:
                events = self.poller.poll(timeout)
            except InterruptedError:
                continue
            for fd, ev in events:
                if fd == pidfd:
                    self.poller.unregister(pidfd)
                    os.close(pidfd)
                    status = self._reap(pid)
                    deadline = time.monotonic() + DRAIN_SECONDS
                elif fd == lfd:
                    self._accept(listener)
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
        self._reap_orphans()
        assert status is not None
        return status

    def _reap(self, pid: int) -> int:
        try:
            return wait_status(pid)
        except ChildProcessError:  # not our child (a runtime that kept it): no status to read
            return 255

    @staticmethod
    def _reap_orphans() -> None:
        with _suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass

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
        with _suppress(KeyError, ValueError):
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

                with _suppress(OSError, ValueError):
                    set_size(self.master, *attach.parse_resize(payload))

    def _input(self, data: bytes) -> None:
        if self.master >= 0:
            with _suppress(OSError):
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
            with _suppress(OSError):
                os.write(self.master, b"\x04")  # ^D: end of input for a reading program
            return
        self.stdin_eof = True
        if self.stdin_fd >= 0 and not self.stdin_queue:
            if self.stdin_polled:
                self.poller.unregister(self.stdin_fd)
                self.stdin_polled = False
            os.close(self.stdin_fd)
            self.stdin_fd = -1

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

    def finish(self, code: int, oom: bool, error: str = "") -> None:
        """The container's teardown: record the end (or, for --rm, remove it all)."""
        self.log.close()
        from hutch.engine.teardown import Teardown

        def ended(r: dict[str, Any]) -> None:
            r["state"].update(status=model.EXITED, exit_code=code, oom_killed=oom, pid=0, monitor_pid=0,
                              monitor_start=0, paused=False, finished_at=timefmt.now(), error=error)

        remove = bool(self.cfg.get("remove"))  # --rm: the container and its anonymous volumes
        Teardown(self.records, self.cid, self.cfg["runtime"], self.cfg["runtime_root"],
                 self.cfg["engine_root"])(remove=remove, volumes=remove, ended=ended)
        for fd in list(self.clients):
            self.pending[fd] += attach.frame(attach.EXIT, str(code).encode())
            os.set_blocking(fd, True)
            with _suppress(OSError):
                os.write(fd, self.pending[fd])
            self._drop(fd)


class _Failed(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _detach() -> None:
    """A session of our own, and no `hutch` process as parent (fork once more)."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()


def main(cdir: str) -> int:
    status_fd = int(os.environ.pop(STATUS_FD_ENV, "-1"))
    cdir = os.path.normpath(cdir)
    with open(Layout(os.path.dirname(cdir), os.path.basename(cdir)).monitor_settings) as f:
        cfg: dict[str, Any] = loads(f.read())  # type: ignore[assignment]
    _detach()
    if status_fd >= 0:
        os.set_inheritable(status_fd, False)  # the runtime must not hold it
    for sig in IGNORED:
        _signal.signal(sig, _signal.SIG_IGN)
    from hutch._sys.creds import prctl

    prctl(_PR_SET_CHILD_SUBREAPER, 1)
    m = Monitor(cdir, cfg, status_fd)
    listener = attach.listen(m.layout.attach)
    m.report("listening")
    if cfg.get("wait_attach"):  # the foreground client connects before the container runs
        ready, _w, _x = select.select([listener], [], [], 30)
        if ready:
            m._accept(listener)
    try:
        pid = m.start()
    except (_Failed, OSError) as err:
        code = err.code if isinstance(err, _Failed) else 125
        m.report(f"error {code} {str(err).splitlines()[0] if str(err) else 'cannot start'}")
        m.finish(code, False, str(err))
        return 0
    me = os.getpid()

    def running(r: dict[str, Any]) -> None:
        r["state"].update(status=model.RUNNING, pid=pid, exit_code=0, oom_killed=False, error="",
                          started_at=timefmt.now(), finished_at="", monitor_pid=me,
                          monitor_start=process_start_time(me))

    m.records.update(m.cid, running)
    m.report(f"ok {pid}")
    os.close(status_fd)
    m.status_fd = -1
    code = m.serve(listener, pid)
    oom = m.oom_killed()
    listener.close()
    m.finish(code, oom)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: python -m hutch.engine.monitor CONTAINER_DIR\n")
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
