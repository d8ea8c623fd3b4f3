"""Terminals: the pty a container gets for ``terminal: true``, and how its master travels.

As runc does it: the init opens /dev/ptmx *inside* the container (its own devpts
instance), makes the slave its controlling terminal and stdio, and sends the
master over the ``--console-socket`` (SCM_RIGHTS) to whoever asked (containerd's
shim, conmon). Without a console socket, ``run`` in the foreground receives the
master itself and copies between it and its own terminal (``forward``).
"""

from __future__ import annotations

import fcntl
import os
import struct

from hutch._sys import consts as C


def connect_console_socket(path: str) -> int:
    """Connect to the AF_UNIX console socket at ``path``; return the (CLOEXEC) fd."""
    import socket

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError as err:
        s.close()
        from hutch.errors import HutchError

        raise HutchError(f"cannot connect to console socket {path}: {err.strerror}") from None
    return s.detach()


def send_fd(sock_fd: int, fd: int, name: str) -> None:
    """Send ``fd`` with ``name`` as the message (runc's utils.SendFile) over ``sock_fd``."""
    import socket

    s = socket.socket(fileno=os.dup(sock_fd))
    try:
        socket.send_fds(s, [name.encode()], [fd])
    finally:
        s.close()


def recv_fd(sock_fd: int) -> int:
    """Receive one fd sent by ``send_fd`` (the receiving side of a console socket)."""
    import socket

    s = socket.socket(fileno=os.dup(sock_fd))
    try:
        _msg, fds, _flags, _addr = socket.recv_fds(s, 4096, 1)
    finally:
        s.close()
    if not fds:
        raise OSError(0, "no file descriptor received on the console socket")
    os.set_inheritable(fds[0], False)
    return fds[0]


def open_pty(rows: int = 0, cols: int = 0) -> tuple[int, int]:
    """A pty from the /dev/ptmx of the current mount namespace: (master, slave)."""
    master = os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        fcntl.ioctl(master, C.TIOCSPTLCK, struct.pack("i", 0))
        num = struct.unpack("I", fcntl.ioctl(master, C.TIOCGPTN, struct.pack("I", 0)))[0]
        slave = os.open(f"/dev/pts/{num}", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    except BaseException:
        os.close(master)
        raise
    if rows and cols:
        set_size(slave, rows, cols)
    return master, slave


def set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, C.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def make_controlling_tty(slave: int) -> None:
    """Make ``slave`` our controlling terminal and stdin/stdout/stderr."""
    try:
        os.setsid()
    except PermissionError:
        pass  # already a session leader
    fcntl.ioctl(slave, C.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)


def forward(master: int, stdin_fd: int = 0, stdout_fd: int = 1) -> None:
    """Copy stdin → master and master → stdout until the container side closes.

    A terminal on stdin is put in raw mode (restored on exit) and its size is
    copied to the pty now and on every SIGWINCH.
    """
    import select

    from hutch._sys import sig as signal

    saved = None
    resized = [True]
    if os.isatty(stdin_fd):
        import termios
        import tty

        saved = termios.tcgetattr(stdin_fd)
        tty.setraw(stdin_fd)
    old_winch = signal.signal(signal.SIGWINCH, lambda _s, _f: resized.__setitem__(0, True))
    poll = select.poll()
    poll.register(master, select.POLLIN)
    poll.register(stdin_fd, select.POLLIN)
    try:
        while True:
            if resized[0]:
                resized[0] = False
                if os.isatty(stdin_fd):
                    size = fcntl.ioctl(stdin_fd, C.TIOCGWINSZ, b"\0" * 8)
                    fcntl.ioctl(master, C.TIOCSWINSZ, size)
            for fd, _ev in poll.poll(200):
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: every slave fd is closed
                    data = b""
                if fd == master:
                    if not data:
                        return
                    _write_all(stdout_fd, data)
                elif data:
                    _write_all(master, data)
                else:
                    poll.unregister(stdin_fd)
    finally:
        signal.signal(signal.SIGWINCH, old_winch)
        if saved is not None:
            import termios

            termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        n = os.write(fd, data)
        data = data[n:]
