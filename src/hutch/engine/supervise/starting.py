"""How the supervisor starts a container: hutch's own runtime as a library (create and
start in-process, the init forked from the supervisor), or another OCI runtime through its
command line (``run --detach``, the pty master over a console socket)."""

from __future__ import annotations

import os
import select

from hutch.engine import attach
from hutch.engine.spawn import spawn, wait_status
from hutch.util.ignoring import ignoring

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    from hutch.engine.layout import Layout

    class Session(Protocol):
        """What starting needs of a session (`hutch.engine.supervise.session`)."""

        cid: str
        cfg: dict[str, Any]
        layout: Layout

        def _set_master(self, master: int) -> None: ...


def in_process(runtime: str) -> bool:
    """Whether ``runtime`` (a path) is hutch's own, which the supervisor calls as a library."""
    return os.path.basename(runtime) == "hutch-runtime"


def failure_code(message: str) -> int:
    """docker's exit status for a runtime error: 127 for a command that does not exist, 126
    for one that cannot be run, 125 for anything else."""
    msg = message.lower()
    if "not found" in msg or "no such file or directory" in msg:
        return 127
    if "permission denied" in msg:
        return 126
    return 125


class Failed(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _warn(msg: str) -> None:
    os.write(2, f"warning: {msg}\n".encode())


def start_in_process(self: Session, stdio: list[int], tty: bool) -> int:
    """hutch's runtime as a library: create and start, the init forked from here."""
    from hutch.container.create import CreateOptions, create
    from hutch.container.delete import delete
    from hutch.container.start import start
    from hutch.container.store import Store
    from hutch.errors import HutchError

    store = Store(self.cfg["runtime_root"])
    ours = theirs = -1
    if tty:
        from hutch.process.sync import socketpair

        ours, theirs = socketpair()
    try:
        try:
            state = create(store, self.cid, self.cfg["bundle"],
                           CreateOptions(console_fd=theirs, stdio=(stdio[0], stdio[1], stdio[2]), warm=True),
                           _warn)
        finally:
            if theirs >= 0:
                os.close(theirs)
        if ours >= 0:
            from hutch.process.console import recv_fd

            self._set_master(recv_fd(ours))
        try:
            start(store, self.cid, _warn)
        except BaseException:
            with ignoring(HutchError, OSError):
                delete(store, self.cid, True, _warn)
            raise
    except (HutchError, OSError) as err:
        text = str(err) or type(err).__name__
        if isinstance(err, OSError) and err.strerror:  # (no "[Errno N]")
            text = f"{err.filename}: {err.strerror}" if err.filename else err.strerror
        raise Failed(failure_code(text), text) from err
    finally:
        if ours >= 0:
            os.close(ours)
    return int(state["pid"])



def _runtime(self: Session, *args: str, log: bool = False) -> list[str]:
    head = [self.cfg["runtime"], "--root", self.cfg["runtime_root"]]
    if log:
        head += ["--log", self.layout.runtime_log, "--log-format", "json"]
    return [*head, *args]

def start_cli(self: Session, stdio: list[int], tty: bool) -> int:
    """Another OCI runtime, through its command line: ``run --detach``."""
    console = None
    console_dir = ""
    if tty:
        console_dir = f"/tmp/hutch-cs-{os.urandom(6).hex()}"  # short: runc needs < 108 bytes
        os.mkdir(console_dir, 0o700)
        console = attach.listen(os.path.join(console_dir, "console"))
    pid_file = self.layout.init_pid
    argv = ["run", "--detach", "--bundle", self.cfg["bundle"], "--pid-file", pid_file]
    if console is not None:
        argv += ["--console-socket", os.path.join(console_dir, "console")]
    with ignoring(FileNotFoundError):
        os.unlink(self.layout.runtime_log)
    try:
        proc = spawn(_runtime(self, *argv, self.cid, log=True), stdio)
        if console is not None:
            _receive_console(self, console, proc)
        code = wait_status(proc)
    finally:
        if console is not None:
            console.close()
            with ignoring(OSError):
                os.unlink(os.path.join(console_dir, "console"))
                os.rmdir(console_dir)
    if code != 0:
        from hutch.engine.runtime_client import failure_code as cli_failure_code
        from hutch.engine.runtime_client import last_error

        log = self.layout.runtime_log
        raise Failed(cli_failure_code(log, code) if code else 125,
                     last_error(log) or f"the OCI runtime exited with status {code}")
    try:
        with open(pid_file) as f:
            return int(f.read().strip())
    except (OSError, ValueError) as err:
        raise Failed(125, f"the OCI runtime wrote no pid file: {err}") from err

def _receive_console(self: Session, console: Any, proc: int) -> None:
    from hutch.process.console import recv_fd

    while True:
        ready, _w, _x = select.select([console], [], [], 0.05)
        if ready:
            self._set_master(recv_fd(console.fileno()))
            return
        if os.waitid(os.P_PID, proc, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return  # failed before it connected: its status says why

