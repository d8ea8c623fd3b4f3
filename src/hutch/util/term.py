"""Terminal helpers: window sizes and raw mode, for the runtime's console forwarding and the
engine's attach. ``termios`` is imported only by what needs it."""

from __future__ import annotations

import fcntl
import struct

from hutch._sys import consts as C

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def get_size(fd: int) -> tuple[int, int]:
    """(rows, cols) of the terminal ``fd``."""
    rows, cols, _x, _y = struct.unpack("HHHH", fcntl.ioctl(fd, C.TIOCGWINSZ, bytes(8)))
    return rows, cols


def set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, C.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def copy_size(src: int, dst: int) -> None:
    """Give terminal ``dst`` the window size of ``src``; nothing if either went away."""
    try:
        fcntl.ioctl(dst, C.TIOCSWINSZ, fcntl.ioctl(src, C.TIOCGWINSZ, bytes(8)))
    except OSError:
        pass  # the terminal went away; the size does not matter any more


def raw_attrs(attrs: list[Any]) -> list[Any]:
    """cfmakeraw(3) on a tcgetattr list."""
    import termios

    iflag, oflag, cflag, lflag, ispeed, ospeed, cc = attrs
    iflag &= ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP | termios.INLCR
               | termios.IGNCR | termios.ICRNL | termios.IXON)
    oflag &= ~termios.OPOST
    lflag &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.ISIG | termios.IEXTEN)
    cflag = (cflag & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
    cc = list(cc)
    cc[termios.VMIN] = 1
    cc[termios.VTIME] = 0
    return [iflag, oflag, cflag, lflag, ispeed, ospeed, cc]
