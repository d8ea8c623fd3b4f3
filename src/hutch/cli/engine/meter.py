"""Progress of one long copy (import, load, save) on a terminal: one line rewritten in place,
with pull's bar (hutch.image.registry.progress), the bytes so far and the rate:

    Loading [=================>                                ]  120MB/345MB  41.2MB/s

Nothing when the stream is not a terminal (a pipe, a log): the verbs' output stays as it is.
The wrappers count what goes through a file object and delegate everything else to it.
"""

from __future__ import annotations

import time

from hutch.image.registry.progress import bar, human

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any, TextIO


class Meter:
    """A line ``label [bar] done/total rate``, redrawn at most ten times a second."""

    def __init__(self, out: TextIO, label: str, total: int = 0, tty: bool | None = None) -> None:
        self.out, self.label, self.total = out, label, total
        self.on = out.isatty() if tty is None else tty
        self.done = 0
        self.start = time.monotonic()
        self._drawn = 0.0

    def add(self, n: int) -> None:
        self.done += n
        if self.on and time.monotonic() - self._drawn >= 0.1:
            self._draw()

    def _draw(self, end: str = "") -> None:
        self._drawn = now = time.monotonic()
        rate = self.done / max(now - self.start, 1e-3)
        shown = bar(min(self.done, self.total), self.total) if self.total > 0 else human(self.done)
        self.out.write(f"\r\x1b[2K{self.label} {shown}  {human(rate)}/s{end}")
        self.out.flush()

    def close(self) -> None:
        """The last line, finished (only if one was drawn or the copy was long enough to show)."""
        if self.on:
            self._draw("\n")


class Reader:
    """``f`` with its reads counted on ``meter``."""

    def __init__(self, f: IO[bytes], meter: Meter) -> None:
        self._f, self._meter = f, meter

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self._meter.add(len(data))
        return data

    def read1(self, n: int = -1) -> bytes:
        data = self._f.read1(n) if hasattr(self._f, "read1") else self._f.read(n)
        self._meter.add(len(data))
        return data

    def readinto(self, b: Any) -> int:
        n = self._f.readinto(b) if hasattr(self._f, "readinto") else 0
        self._meter.add(n or 0)
        return n or 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)


class Writer:
    """``f`` with its writes counted on ``meter``."""

    def __init__(self, f: IO[bytes], meter: Meter) -> None:
        self._f, self._meter = f, meter

    def write(self, data: Any) -> int:
        n = self._f.write(data)
        self._meter.add(n if n is not None else len(data))
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)


def file_size(f: Any) -> int:
    """The size of a regular file behind ``f`` (0 for a pipe or a terminal)."""
    import os
    import stat

    try:
        st = os.fstat(f.fileno())
    except (OSError, AttributeError, ValueError):
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0
