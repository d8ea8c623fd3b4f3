"""The client side of an attach: what `hutch run` (in the foreground), `start -a` and
`attach` do with the container's monitor socket.

Output frames go to our stdout and stderr; our stdin goes to the container with ``-i``
(its end closes the container's stdin, as docker's StdinOnce); with ``-t`` our terminal is
in raw mode (so ^C reaches the container through its pty) and window size changes are
sent on. Without a terminal, the signals a user sends to `hutch` (SIGINT, SIGTERM...) are
passed to the container's init, as docker's ``--sig-proxy`` does. ``-a`` picks the streams
attached. With ``-it``, the detach keys (Ctrl-P Ctrl-Q unless ``--detach-keys``) typed in a
row detach the client and leave the container running (docker's escape proxy: the keys of a
sequence not completed go on to the container).
"""

from __future__ import annotations

import os
import select

from hutch._sys import sig
from hutch.engine import attach
from hutch.util.ignoring import ignoring

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _socket import socket
    from typing import Any

    from hutch.process.console import Winch

DETACHED = -1  # what `pump` returns when the user typed the detach keys
PROXIED = (sig.SIGINT, sig.SIGTERM, sig.SIGHUP, sig.SIGQUIT, sig.SIGUSR1, sig.SIGUSR2)


def terminal_size() -> tuple[int, int] | None:
    from hutch.util.term import get_size

    for fd in (0, 1):
        if os.isatty(fd):
            with ignoring(OSError):
                return get_size(fd)
    return None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            select.select([], [fd], [])
        except BrokenPipeError:
            return


class EscapeProxy:
    """Finds the detach keys in what is typed: `feed` gives what goes on to the container,
    and sets ``detached`` once the whole sequence was typed (its bytes are not sent)."""

    def __init__(self, keys: bytes) -> None:
        self.keys, self.held, self.detached = keys, b"", False

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            if byte == self.keys[len(self.held)]:
                self.held += bytes((byte,))
                if self.held == self.keys:
                    self.detached, self.held = True, b""
                    return bytes(out)
                continue
            out += self.held  # (not the sequence: what was held goes on)
            self.held = b""
            if byte == self.keys[0]:
                self.held = bytes((byte,))
            else:
                out.append(byte)
        return bytes(out)


def pump(sock: socket, *, stdin: bool, tty: bool, pid: int = 0, sig_proxy: bool = True,
         streams: frozenset[str] | None = None, detach_keys: bytes = b"\x10\x11") -> int | None:
    """Copy until the monitor sends the exit status (returned), or None if it went away, or
    `DETACHED`. ``streams``: the ones attached (None: stdout, stderr, and stdin if ``stdin``)."""
    fd = sock.fileno()
    stdin = stdin and (streams is None or "stdin" in streams)
    out_ok = streams is None or "stdout" in streams
    err_ok = streams is None or "stderr" in streams
    escape = EscapeProxy(detach_keys) if tty and stdin else None
    saved: list[Any] | None = None
    winch: Winch | None = None
    if tty:  # (the terminal's modules are loaded only then)
        import termios

        from hutch.process.console import Winch

        saved = termios.tcgetattr(0) if stdin and os.isatty(0) else None
        winch = Winch() if terminal_size() is not None else None
    pidfd = -1
    old_handlers: dict[int, object] = {}
    if not tty and sig_proxy and pid:
        with ignoring(OSError):
            pidfd = os.pidfd_open(pid)

        def proxy(signum: int, _frame: object) -> None:
            with ignoring(OSError):
                sig.pidfd_send_signal(pidfd, signum)

        if pidfd >= 0:
            for s in PROXIED:
                with ignoring(ValueError):  # not the main thread
                    old_handlers[s] = sig.signal(s, proxy)
    frames = attach.Frames()
    try:
        if saved is not None:
            from hutch.util.term import raw_attrs

            termios.tcsetattr(0, termios.TCSANOW, raw_attrs(saved))
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        if stdin:
            poller.register(0, select.POLLIN)
        if winch is not None:
            winch.install()
            if winch.read_fd >= 0:
                poller.register(winch.read_fd, select.POLLIN)
            size = terminal_size()
            if size:  # the process may be gone already: its exit status is still to be read
                with ignoring(OSError):
                    sock.sendall(attach.frame(attach.RESIZE, attach.resize_payload(*size)))
        while True:
            for ready, _ev in poller.poll():
                if ready == fd:
                    try:
                        data = sock.recv(65536)
                    except ConnectionResetError:  # closed with our last frame unread: gone
                        data = b""
                    if not data:
                        return None
                    for kind, payload in frames.feed(data):
                        if kind == attach.STDOUT:
                            if out_ok:
                                _write_all(1, payload)
                        elif kind == attach.STDERR:
                            if err_ok:
                                _write_all(2, payload)
                        elif kind == attach.EXIT:
                            return int(payload or b"0")
                elif ready == 0:
                    data = os.read(0, 65536)
                    if escape is not None and data:
                        data = escape.feed(data)
                        if escape.detached:
                            if data:
                                with ignoring(OSError):
                                    sock.sendall(attach.frame(attach.STDIN, data))
                            return DETACHED
                        if not data:
                            continue
                    with ignoring(OSError):
                        sock.sendall(attach.frame(attach.STDIN if data else attach.CLOSE_STDIN, data))
                    if not data:
                        poller.unregister(0)
                elif winch is not None and ready == winch.read_fd:
                    winch.drain()
                    size = terminal_size()
                    if size:
                        with ignoring(OSError):
                            sock.sendall(attach.frame(attach.RESIZE, attach.resize_payload(*size)))
    finally:
        if saved is not None:
            termios.tcsetattr(0, termios.TCSANOW, saved)
        if winch is not None:
            winch.uninstall()
        for signum, handler in old_handlers.items():
            sig.signal(signum, handler)  # type: ignore[arg-type]
        if pidfd >= 0:
            os.close(pidfd)
