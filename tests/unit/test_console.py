"""hutch.process.console: ptys, fd passing over console sockets, foreground forwarding.

Real ptys from the host's /dev/ptmx and real sockets; no containers.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hutch.process import console
from hutch.util import term


def spawn_on_pty(slave: int, script: str, *, setsid_first: bool = False) -> int:
    """Fork a child that makes ``slave`` its controlling tty and runs ``sh -c script``."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            if setsid_first:
                os.setsid()  # as the exec path does before make_controlling_tty
            console.make_controlling_tty(slave)
            os.execv("/bin/sh", ["sh", "-c", script])
        except BaseException as err:
            os.write(2, f"child: {err!r}\n".encode())
        finally:
            os._exit(127)
    return pid


def read_until_eio(master: int, timeout: float = 10) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not select.select([master], [], [], deadline - time.monotonic())[0]:
            break
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the slave side is closed everywhere
            break
        if not data:
            break
        out += data
    return out


@contextlib.contextmanager
def reaped(pid: int) -> Iterator[list[int]]:
    """Yield [status]; at exit make sure ``pid`` is gone and reaped (SIGKILL if needed)."""
    status: list[int] = []
    try:
        yield status
    finally:
        got, st = os.waitpid(pid, os.WNOHANG)
        if not got:
            deadline = time.monotonic() + 5
            while not got and time.monotonic() < deadline:
                time.sleep(0.02)
                got, st = os.waitpid(pid, os.WNOHANG)
            if not got:
                os.kill(pid, signal.SIGKILL)
                _, st = os.waitpid(pid, 0)
        status.append(st)


@contextlib.contextmanager
def watchdog(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging) if the block takes longer than ``seconds``."""

    def expire(_s: int, _f: object) -> None:
        raise TimeoutError(f"took longer than {seconds}s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def closing(*fds: int) -> Iterator[None]:
    try:
        yield
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)


def kill_pid_in(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
        os.kill(int(path.read_text()), signal.SIGKILL)


# --- open_pty / make_controlling_tty -----------------------------------------------------


@pytest.mark.parametrize("setsid_first", [False, True], ids=["fresh", "session-leader"])
def test_pty_as_controlling_terminal(setsid_first: bool) -> None:
    master, slave = console.open_pty(33, 101)
    with closing(master, slave):
        assert os.get_inheritable(master) is False and os.get_inheritable(slave) is False
        name = console.pts_name(master)
        assert name.startswith("/dev/pts/") and os.ttyname(slave) == name
        assert term.get_size(slave) == (33, 101)
        script = "tty; stty size; [ -t 0 ] && [ -t 2 ] && echo ok"
        pid = spawn_on_pty(slave, script, setsid_first=setsid_first)
        os.close(slave)
        with reaped(pid) as status:
            out = read_until_eio(master)
        assert status == [0]
        assert out.decode().split("\r\n") == [name, "33 101", "ok", ""]


def test_open_pty_without_size_leaves_it_zero() -> None:
    master, slave = console.open_pty()
    with closing(master, slave):
        assert term.get_size(slave) == (0, 0)
        term.set_size(master, 10, 20)
        assert term.get_size(slave) == (10, 20)


# --- fd passing ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [socket.SOCK_STREAM, socket.SOCK_SEQPACKET], ids=["stream", "seqpacket"])
def test_send_recv_over_socketpair(kind: int) -> None:
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    r, w = os.pipe()
    with a, b, closing(r, w):
        console.send_fd(a.fileno(), w, "/dev/ptmx")
        got, name = console.recv_fd_and_name(b.fileno())
        with closing(got):
            assert name == "/dev/ptmx"
            assert os.get_inheritable(got) is False
            assert os.path.sameopenfile(got, w) and got != w
            os.write(got, b"via the passed fd")
            assert os.read(r, 100) == b"via the passed fd"
        a.getpeername()  # both sockets are still usable: nothing closed them
        assert a.fileno() >= 0 and b.fileno() >= 0


def test_recv_without_fd_is_an_error() -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with a, b:
        a.send(b"no fd here")
        with pytest.raises(OSError, match="expected one file descriptor"):
            console.recv_fd(b.fileno())
        a.close()
        with pytest.raises(OSError, match="connection closed"):
            console.recv_fd(b.fileno())


def listener(path: str) -> socket.socket:
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    return srv


def test_console_socket_path(tmp_path: Path) -> None:
    path = str(tmp_path / "console.sock")
    master, slave = console.open_pty()
    with listener(path) as srv, closing(master, slave):
        sock = console.connect_console_socket(path)
        with closing(sock):
            assert os.get_inheritable(sock) is False
            console.send_fd(sock, master, "/dev/ptmx")
        got = console.recv_fd(srv.fileno())  # accepts the connection itself
        with closing(got):
            assert os.path.sameopenfile(got, master)
            os.write(got, b"x\n")  # typed on the master: the slave reads it
            assert os.read(slave, 10) == b"x\n"


def test_send_console_by_path_and_long_path(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    path = str(deep / "console.sock")
    assert len(path) > 108
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dirfd = os.open(deep, os.O_PATH)
    r, w = os.pipe()
    with srv, closing(dirfd, r, w):
        srv.bind(f"/proc/self/fd/{dirfd}/console.sock")
        srv.listen(1)
        console.send_console(path, w)
        got, name = console.recv_fd_and_name(srv.fileno())
        with closing(got):
            assert name == "/dev/ptmx" and os.path.sameopenfile(got, w)


def test_connect_to_missing_socket(tmp_path: Path) -> None:
    from hutch.errors import HutchError

    with pytest.raises(HutchError, match=r"cannot connect to console socket .*No such file"):
        console.connect_console_socket(str(tmp_path / "nope.sock"))


# --- forward ------------------------------------------------------------------------------


def test_forward_pipe_stdin(tmp_path: Path) -> None:
    master, slave = console.open_pty()
    in_r, in_w = os.pipe()
    out = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT, 0o600)
    with closing(master, slave, in_r, in_w, out):
        pid = spawn_on_pty(slave, 'read x; echo "got:$x"; cat; echo "cat:$?"')
        os.close(slave)
        os.write(in_w, b"hello\nworld")  # no final newline: EOF needs two ^D
        os.close(in_w)
        with reaped(pid) as status, watchdog(10):
            console.forward(master, stdin_fd=in_r, stdout_fd=out)
    assert status == [0]
    text = (tmp_path / "out").read_bytes().decode()  # not read_text: it turns \r\n into \n
    assert "got:hello\r\n" in text
    assert text.count("world") == 2  # the pty's echo of "world", then cat's copy
    assert text.endswith("cat:0\r\n")


def test_forward_until_pid_with_slave_held_open(tmp_path: Path) -> None:
    master, slave = console.open_pty()
    in_r, in_w = os.pipe()
    out = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT, 0o600)
    bg = tmp_path / "bg"
    try:
        with closing(master, slave, in_r, in_w, out):
            # The background sleep keeps the slave open: the master never reads EIO.
            pid = spawn_on_pty(slave, f"sleep 30 & echo $! > {bg}; echo done")
            os.close(slave)
            with reaped(pid) as status, watchdog(10):
                t0 = time.monotonic()
                console.forward(master, stdin_fd=in_r, stdout_fd=out, until_pid=pid)
                assert time.monotonic() - t0 < 5
        assert status == [0]
        assert (tmp_path / "out").read_bytes() == b"done\r\n"
    finally:
        kill_pid_in(bg)


def test_forward_until_pid_already_gone(tmp_path: Path) -> None:
    master, slave = console.open_pty()
    out = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT, 0o600)
    with closing(master, slave, out):
        pid = spawn_on_pty(slave, "echo bye")
        os.close(slave)
        os.waitpid(pid, 0)
        with watchdog(10):
            console.forward(master, stdin_fd=-1, stdout_fd=out, until_pid=pid)
    assert (tmp_path / "out").read_bytes() == b"bye\r\n"


def test_forward_tty_stdin_raw_mode_and_window_size() -> None:
    """Our 'local terminal' is a second pty; a thread types into it and reads the screen."""
    ours_m, ours_s = console.open_pty(40, 120)
    master, slave = console.open_pty()
    cooked = termios.tcgetattr(ours_s)
    screen = bytearray()
    raw_seen: list[bool] = []
    stop = threading.Event()
    failure: list[BaseException] = []

    def wait_for(text: bytes, timeout: float = 5) -> None:
        deadline = time.monotonic() + timeout
        while text not in screen:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{text!r} not in {bytes(screen)!r}")
            time.sleep(0.01)

    def terminal() -> None:
        try:
            deadline = time.monotonic() + 5
            while termios.tcgetattr(ours_s)[3] & termios.ICANON:  # forward has started
                assert time.monotonic() < deadline, "our terminal never went raw"
                time.sleep(0.01)
            raw_seen.append(True)
            os.write(ours_m, b"go\r")  # read by forward's loop, so after the initial resize
            wait_for(b"40 120\r\n")
            term.set_size(ours_m, 50, 130)  # the user resizes the window...
            os.kill(os.getpid(), signal.SIGWINCH)  # ...and the terminal says so
            time.sleep(0.3)
            os.write(ours_m, b"hi\r")  # raw mode: Enter arrives as CR, the pty maps it
            wait_for(b"got:hi")
        except BaseException as err:
            failure.append(err)
            os.kill(pid, signal.SIGKILL)  # unblocks forward: the slave closes

    def read_screen() -> None:
        while not stop.is_set():
            if select.select([ours_m], [], [], 0.05)[0]:
                try:
                    screen.extend(os.read(ours_m, 4096))
                except OSError:
                    return

    with closing(ours_m, ours_s, master, slave):
        pid = spawn_on_pty(slave, 'read x; stty size; read x; stty size; echo "got:$x"')
        os.close(slave)
        # Both threads end before the fds are closed: a number reused by the next test must
        # not be read by a leftover thread.
        reader = threading.Thread(target=read_screen, daemon=True)
        driver = threading.Thread(target=terminal, daemon=True)
        reader.start()
        driver.start()
        try:
            with reaped(pid) as status, watchdog(15):
                console.forward(master, stdin_fd=ours_s, stdout_fd=ours_s)
        finally:
            driver.join(5)
            stop.set()
            reader.join(5)
        assert not driver.is_alive() and not reader.is_alive()
        assert not failure, (failure, bytes(screen))
        assert status == [0]
        assert raw_seen == [True]
        assert termios.tcgetattr(ours_s) == cooked  # restored
        assert signal.getsignal(signal.SIGWINCH) == signal.SIG_DFL
        assert signal.set_wakeup_fd(-1) == -1  # no wakeup fd left behind
        assert b"40 120\r\n" in screen and b"50 130\r\n" in screen


def test_forward_large_input_waits_for_the_container(tmp_path: Path) -> None:
    """1 MiB of input is far more than the pty queues: forward must wait for room (POLLOUT)."""
    size = 1 << 20
    (tmp_path / "in").write_bytes(bytes(range(256)) * (size // 256))
    master, slave = console.open_pty()
    stdin = os.open(tmp_path / "in", os.O_RDONLY)
    out = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT, 0o600)
    with closing(master, slave, stdin, out):
        pid = spawn_on_pty(slave, f"stty raw -echo; echo ready; head -c {size} | wc -c")
        os.close(slave)
        with reaped(pid) as status, watchdog(20):
            seen = b""
            while b"ready" not in seen:  # raw before any input arrives
                seen += os.read(master, 100)
            console.forward(master, stdin_fd=stdin, stdout_fd=out)
    assert status == [0]
    assert (tmp_path / "out").read_bytes().split() == [str(size).encode()]
