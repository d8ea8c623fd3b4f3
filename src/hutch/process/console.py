"""Terminals: the pty a container gets for ``terminal: true``, and how its master travels.

As runc does it: the init opens /dev/ptmx *inside* the container (after
pivot_root, so the container's own devpts instance), makes the slave its
controlling terminal and stdio, and sends the master over the
``--console-socket`` (SCM_RIGHTS, with "/dev/ptmx" as the message, like runc's
utils.SendRawFd) to whoever asked: containerd's shim, conmon, runc's recvtty.
The runtime connects to that socket on the host before forking the init
(`connect_console_socket`), so the path is resolved in the host's mount
namespace; the init only sends on the connected fd (`send_fd`).

Without a console socket, ``run``/``exec`` in the foreground receive the master
themselves (`recv_fd`) and copy between it and their own stdio (`forward`).

Init-path module: imports os, fcntl, struct and hutch._sys only; ``_socket``
(not ``socket``, whose enum and selectors imports cost ~20 ms), ``select`` and
``termios`` are imported inside the functions that need them.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct

from hutch._sys import consts as C
from hutch.util.term import copy_size, raw_attrs, set_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _socket import socket as Socket

# _IO('T', 0x41): open the slave through the master (Linux 4.13+), never by path.
TIOCGPTPEER = 0x5441
# Input read from our stdin but not yet taken by the pty, before we stop reading more.
_MAX_QUEUED = 1 << 16
# runc's MaxNameLen for the name sent with an fd (libcontainer/utils/cmsg.go).
MAX_NAME_LEN = 4096


# --- the console socket -----------------------------------------------------------------


def connect_console_socket(path: str, what: str = "console socket") -> int:
    """Connect to the AF_UNIX stream socket at ``path``; return the connected (CLOEXEC) fd.

    Paths too long for sockaddr_un (108 bytes) are reached through an O_PATH fd of their
    directory, as /proc/self/fd/N/NAME; ``@NAME`` is the abstract socket NAME.
    """
    import _socket

    from hutch.errors import HutchError

    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
    dirfd = -1
    try:
        target = path
        if path.startswith("@"):  # an abstract socket, as Go's net.Dial (runc) reads it
            target = "\0" + path[1:]
        elif len(os.fsencode(path)) >= 108:
            head, name = os.path.split(path)
            dirfd = os.open(head or ".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            target = f"/proc/self/fd/{dirfd}/{name}"
        s.connect(target)
    except OSError as err:
        s.close()
        raise HutchError(f"cannot connect to {what} {path}: {err.strerror or err}") from err
    finally:
        if dirfd >= 0:
            os.close(dirfd)
    return s.detach()


def send_fd(sock_fd: int, fd: int, name: str = "/dev/ptmx") -> None:
    """Send ``fd`` over the connected socket ``sock_fd`` with ``name`` as the message, as
    runc's utils.SendRawFd does (receivers such as go-runc's console socket only use the fd)."""
    from hutch.util import fdpass

    data = name.encode()
    if len(data) > MAX_NAME_LEN:
        raise ValueError(f"fd name longer than {MAX_NAME_LEN} bytes")
    fdpass.send(sock_fd, data, [fd])


def send_console(sock: str | int, master_fd: int) -> None:
    """Send the pty master to a console socket, given as its path or a connected fd."""
    if isinstance(sock, int):
        send_fd(sock, master_fd, "/dev/ptmx")
        return
    sock_fd = connect_console_socket(sock)
    try:
        send_fd(sock_fd, master_fd, "/dev/ptmx")
    finally:
        os.close(sock_fd)


def recv_fd(sock_fd: int) -> int:
    """Receive one fd sent by `send_fd` (or runc) and return it, CLOEXEC.

    ``sock_fd`` is a connected socket (stream or seqpacket), or a listening one: then
    one connection is accepted first and closed after the fd arrived.
    """
    return recv_fd_and_name(sock_fd)[0]


def recv_fd_and_name(sock_fd: int) -> tuple[int, str]:
    """Like `recv_fd`, also returning the name the sender gave (runc: "/dev/ptmx")."""
    import _socket

    s = _socket.socket(fileno=sock_fd)
    conn: Socket | None = None
    try:
        if s.getsockopt(_socket.SOL_SOCKET, _socket.SO_ACCEPTCONN):
            conn_fd, _addr = s._accept()  # type: ignore[attr-defined]  # socket.accept is in socket.py
            conn = _socket.socket(fileno=conn_fd)
        return _recv_one((conn or s).fileno())
    finally:
        s.detach()
        if conn is not None:
            conn.close()


def _recv_one(sock_fd: int) -> tuple[int, str]:
    from hutch.util import fdpass

    try:
        msg, fds = fdpass.recv(sock_fd, MAX_NAME_LEN, 4)
    except OSError as err:
        if err.errno != errno.EBADMSG:
            raise
        why = "too many fds"
    else:
        if len(fds) == 1:
            return fds[0], msg.decode(errors="replace")
        fdpass.close_all(fds)
        why = "connection closed" if not msg and not fds else f"got {len(fds)} fds"
    raise OSError(errno.EBADMSG, f"expected one file descriptor on the console socket ({why})")


# --- the pty ----------------------------------------------------------------------------


def open_pty(rows: int = 0, cols: int = 0) -> tuple[int, int]:
    """A new pty from the /dev/ptmx of the *current* mount namespace: (master, slave), both
    CLOEXEC, the slave opened O_NOCTTY. ``os.openpty()`` is not used: it may reach the
    host's devpts. The window size is set when both ``rows`` and ``cols`` are given."""
    master = os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        fcntl.ioctl(master, C.TIOCSPTLCK, struct.pack("i", 0))  # unlockpt
        slave = _open_peer(master)
        if rows and cols:
            set_size(slave, rows, cols)
    except BaseException:
        os.close(master)
        raise
    return master, slave


def _open_peer(master: int) -> int:
    """The slave of ``master``: by TIOCGPTPEER, which opens it through the master's own devpts
    mount, or, on kernels without it, /dev/pts/<TIOCGPTN>."""
    flags = os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC
    try:
        return fcntl.ioctl(master, TIOCGPTPEER, flags)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTTY):
            raise
    num = struct.unpack("I", fcntl.ioctl(master, C.TIOCGPTN, struct.pack("I", 0)))[0]
    return os.open(f"/dev/pts/{num}", flags)


def pts_name(fd: int) -> str:
    """/dev/pts/N for a pty master or slave fd."""
    if os.isatty(fd) and os.major(os.fstat(fd).st_rdev) == 5:  # the ptmx device itself
        num = struct.unpack("I", fcntl.ioctl(fd, C.TIOCGPTN, struct.pack("I", 0)))[0]
        return f"/dev/pts/{num}"
    return os.ttyname(fd)


def make_controlling_tty(slave: int) -> None:
    """Make ``slave`` the controlling terminal and stdin/stdout/stderr; close ``slave`` if it
    is not one of 0-2. Starts a new session unless this process already leads one."""
    if os.getsid(0) != os.getpid():
        os.setsid()
    fcntl.ioctl(slave, C.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        if fd == slave:
            os.set_inheritable(fd, True)  # dup2 onto itself would leave CLOEXEC set
        else:
            os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)


# --- the runtime's own foreground terminal ----------------------------------------------


def forward(master: int, stdin_fd: int = 0, stdout_fd: int = 1, until_pid: int | None = None) -> None:
    """Copy ``stdin_fd`` → ``master`` and ``master`` → ``stdout_fd`` until the container side
    closes (the master reads EIO/EOF) or, with ``until_pid``, that process has exited (its
    remaining output is still copied); neither fd nor the process is closed or reaped here.

    A terminal on ``stdin_fd`` is put in raw mode, restored on return (also on errors),
    and its size is copied to the pty now and on every SIGWINCH (when called from the main
    thread). When ``stdin_fd`` reaches EOF the pty gets its EOF character (^D) if it is in
    canonical mode, so ``echo x | hutch-runtime run`` ends a reading ``cat``.
    """
    import select
    import termios

    sizer = stdin_fd if os.isatty(stdin_fd) else stdout_fd if os.isatty(stdout_fd) else -1
    saved = termios.tcgetattr(stdin_fd) if os.isatty(stdin_fd) else None
    was_blocking = os.get_blocking(master)
    winch = Winch() if sizer >= 0 else None
    pidfd = -1
    try:
        if saved is not None:
            # TCSANOW, not tty.setraw's TCSAFLUSH: keep what the user typed ahead.
            termios.tcsetattr(stdin_fd, termios.TCSANOW, raw_attrs(saved))
        os.set_blocking(master, False)
        if until_pid is not None:
            try:
                pidfd = os.pidfd_open(until_pid)
            except ProcessLookupError:  # gone (and reaped) already
                _drain(master, stdout_fd)
                return
        if sizer >= 0:
            copy_size(sizer, master)
        if winch is not None:
            winch.install()
        poller = select.poll()
        poller.register(master, select.POLLIN)
        stdin_open = _is_open(stdin_fd)
        if stdin_open:
            poller.register(stdin_fd, select.POLLIN)
        if winch is not None and winch.read_fd >= 0:
            poller.register(winch.read_fd, select.POLLIN)
        if pidfd >= 0:
            poller.register(pidfd, select.POLLIN)
        to_master = b""
        at_line_start = True
        out_ok = True
        while True:
            events = dict(poller.poll())
            if winch is not None and winch.read_fd in events and winch.drain():
                copy_size(sizer, master)
            if master in events:
                data = _read(master)
                if data is None:  # EIO: every slave fd is closed
                    return
                if data and out_ok:
                    out_ok = _write_all(stdout_fd, data)
            if stdin_fd in events and stdin_open:
                try:
                    data = os.read(stdin_fd, 65536)
                except OSError:  # EIO: our terminal hung up
                    data = b""
                if data:
                    to_master += data
                    at_line_start = data.endswith((b"\n", b"\r"))
                else:
                    stdin_open = False
                    poller.unregister(stdin_fd)
                    to_master += _eof_chars(master, at_line_start)
            if to_master:
                try:
                    to_master = to_master[os.write(master, to_master) :]
                except BlockingIOError:
                    pass
                except OSError as err:  # EIO: the container side went away
                    if err.errno != errno.EIO:
                        raise
                    to_master = b""
                # Wait for room in the pty's input queue only while there is something to put,
                # and stop reading stdin while much is queued (the container is not reading).
                poller.modify(master, select.POLLIN | (select.POLLOUT if to_master else 0))
                if stdin_open:
                    poller.modify(stdin_fd, select.POLLIN if len(to_master) < _MAX_QUEUED else 0)
            if pidfd >= 0 and pidfd in events:
                if out_ok:
                    _drain(master, stdout_fd)  # what it wrote before exiting
                return
    finally:
        if pidfd >= 0:
            os.close(pidfd)
        if winch is not None:
            winch.uninstall()
        os.set_blocking(master, was_blocking)
        if saved is not None:
            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)


def _eof_chars(master: int, at_line_start: bool) -> bytes:
    """What to type into the pty so its reader sees end of file: VEOF once at the start of a
    line, twice after a partial one (the first only ends the line); nothing in raw mode."""
    import termios

    try:
        attrs = termios.tcgetattr(master)  # a pty master reports its slave's settings
    except termios.error:
        return b""
    lflag, cc = attrs[3], attrs[6]
    eof = cc[termios.VEOF]
    if not lflag & termios.ICANON or not isinstance(eof, bytes) or eof == b"\0":
        return b""
    return eof if at_line_start else eof * 2


def _drain(master: int, stdout_fd: int) -> None:
    """Copy what the non-blocking ``master`` holds now to ``stdout_fd``."""
    while (data := _read(master)) and _write_all(stdout_fd, data):
        pass


def _is_open(fd: int) -> bool:
    try:
        fcntl.fcntl(fd, fcntl.F_GETFD)
    except OSError:
        return False
    return True


def _read(fd: int) -> bytes | None:
    """Up to 64 KiB from the non-blocking ``fd``; b"" if nothing is there, None on EOF/EIO."""
    try:
        return os.read(fd, 65536) or None
    except BlockingIOError:
        return b""
    except OSError as err:
        if err.errno == errno.EIO:
            return None
        raise


def _write_all(fd: int, data: bytes) -> bool:
    """Write all of ``data``; False if the reader is gone (EPIPE): output is dropped from then
    on while the container keeps running, as with any closed pipe."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except BrokenPipeError:
        return False
    return True


class Winch:
    """SIGWINCH noticed through a wakeup fd, so poll() returns for it (PEP 475 would otherwise
    restart the poll). The previous handler and wakeup fd are restored by `uninstall`."""

    def __init__(self) -> None:
        self.read_fd = -1
        self._write_fd = -1
        self._old_handler: object = None
        self._old_wakeup = -1
        self._installed = False

    def install(self) -> None:
        from hutch._sys import sig as signal

        if TYPE_CHECKING:
            from signal import set_wakeup_fd
        else:
            from _signal import set_wakeup_fd

        self.read_fd, self._write_fd = os.pipe()
        for fd in (self.read_fd, self._write_fd):
            os.set_blocking(fd, False)
        try:
            self._old_handler = signal.signal(signal.SIGWINCH, _ignore)
        except ValueError:  # not the main thread: no resizes, the initial size stays
            self._close()
            return
        self._old_wakeup = set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        self._installed = True

    def drain(self) -> bool:
        """Read the signal numbers that arrived; True if SIGWINCH was among them."""
        from hutch._sys import sig as signal

        got = b""
        try:
            while chunk := os.read(self.read_fd, 256):
                got += chunk
        except BlockingIOError:
            pass
        return signal.SIGWINCH in got

    def uninstall(self) -> None:
        from hutch._sys import sig as signal

        if TYPE_CHECKING:
            from signal import set_wakeup_fd
        else:
            from _signal import set_wakeup_fd

        if self._installed:
            set_wakeup_fd(self._old_wakeup)
            old = self._old_handler
            signal.signal(signal.SIGWINCH, old if callable(old) or isinstance(old, int) else signal.SIG_DFL)
            self._installed = False
        self._close()

    def _close(self) -> None:
        for fd in (self.read_fd, self._write_fd):
            if fd >= 0:
                os.close(fd)
        self.read_fd = self._write_fd = -1


def _ignore(_signum: int, _frame: object) -> None:
    pass
