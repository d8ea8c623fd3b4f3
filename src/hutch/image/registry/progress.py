"""Progress of a pull or push, in docker's shapes (its jsonmessage display).

On a terminal each layer has a line that is rewritten in place (cursor up, clear line):
``a3ed95caeb02: Downloading [=====>          ]  1.2MB/2.2MB``. Elsewhere (a pipe, a log)
only the changes of status are printed, one line each, as docker does: ``a3ed95caeb02:
Pull complete``. Quiet prints nothing. Threads report through one lock.
"""

from __future__ import annotations

import sys
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

BAR = 50


def human(n: float) -> str:
    """docker's HumanSize: decimal units, three significant digits (``2.22MB``)."""
    from hutch.util.units import human_size

    return human_size(n, 3)


def bar(current: int, total: int) -> str:
    """``[=====>     ]  1.2MB/2.2MB`` (no bar when the total is unknown)."""
    if total <= 0:
        return f"{human(current)}"
    arrow = "=" * min(BAR - 1, BAR * current // total) + ">"
    return f"[{arrow:<{BAR}}] {human(current):>8}/{human(total)}"


class Progress:
    """Lines by id (a layer's short digest), in the order they first appeared."""

    def __init__(self, out: TextIO | None = None, *, quiet: bool = False, tty: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.quiet = quiet
        self.tty = self.out.isatty() if tty is None else tty
        self._ids: list[str] = []
        self._lines: dict[str, str] = {}
        self._status: dict[str, str] = {}
        self._last = 0.0
        self._lock = threading.Lock()

    def message(self, text: str) -> None:
        """A line of its own (``latest: Pulling from library/busybox``, ``Digest: ...``)."""
        if self.quiet:
            return
        with self._lock:
            self._ids.clear()  # lines after this one are a new block
            self._lines.clear()
            self.out.write(text + "\n")
            self.out.flush()

    def update(self, id_: str, status: str, current: int = -1, total: int = 0) -> None:
        """Layer ``id_`` is now in ``status``; with ``current``, a progress bar (terminals)."""
        if self.quiet:
            return
        with self._lock:
            changed = self._status.get(id_) != status
            self._status[id_] = status
            if not self.tty:
                if changed:
                    self.out.write(f"{id_}: {status}\n")
                    self.out.flush()
                return
            now = time.monotonic()
            if not changed and current >= 0 and now - self._last < 0.1 and current < total:
                return  # at most ten redraws a second of a bar
            self._last = now
            line = f"{id_}: {status}" + (f" {bar(current, total)}" if current >= 0 else "")
            if id_ not in self._lines:
                self._ids.append(id_)
                self._lines[id_] = line
                self.out.write(line + "\n")
            else:
                self._lines[id_] = line
                up = len(self._ids) - self._ids.index(id_)
                self.out.write(f"\x1b[{up}A\x1b[2K\r{line}\x1b[{up}B\r")
            self.out.flush()
