"""Container logs in docker's json-file format, with rotation.

One JSON object per line of output: ``{"log": "text\\n", "stream": "stdout", "time":
"2026-12-02T01:02:03.123456789Z"}``. A line longer than 16 KiB is split, as docker does,
and only the last piece ends with a newline. With ``max_size`` the file is rotated when
it would grow past it: NAME → NAME.1 → ... → NAME.<max_file - 1>, the oldest dropped.
"""

from __future__ import annotations

import os

from hutch.fastjson import dumps, loads
from hutch.util import timefmt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

MAX_LINE = 16 * 1024


class Writer:
    def __init__(self, path: str, max_size: int = 0, max_file: int = 1) -> None:
        self.path, self.max_size, self.max_file = path, max_size, max(1, max_file)
        self._partial: dict[str, bytes] = {"stdout": b"", "stderr": b""}
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        self._size = os.fstat(self._fd).st_size

    def write(self, stream: str, data: bytes) -> None:
        buf = self._partial[stream] + data
        lines = buf.split(b"\n")
        self._partial[stream] = lines.pop()
        out = [self._entry(stream, line + b"\n") for line in lines]
        while len(self._partial[stream]) >= MAX_LINE:
            out.append(self._entry(stream, self._partial[stream][:MAX_LINE]))
            self._partial[stream] = self._partial[stream][MAX_LINE:]
        self._append(out)

    def flush(self) -> None:
        """Write what is left of unfinished lines (at the container's end)."""
        for stream, rest in self._partial.items():
            if rest:
                self._append([self._entry(stream, rest)])
                self._partial[stream] = b""

    def close(self) -> None:
        self.flush()
        os.close(self._fd)

    @staticmethod
    def _entry(stream: str, text: bytes) -> bytes:
        doc = {"log": text.decode("utf-8", "replace"), "stream": stream, "time": timefmt.now()}
        return dumps(doc).encode() + b"\n"  # non-ASCII as \\u escapes: the same JSON

    def _append(self, entries: list[bytes]) -> None:
        """Write whole entries, as few writes as the size limit allows."""
        while entries:
            n, size = 0, self._size
            if self.max_size:
                while n < len(entries) and (size + len(entries[n]) <= self.max_size or (n == 0 and not size)):
                    size += len(entries[n])
                    n += 1
                if n == 0:
                    self._rotate()
                    continue
            else:
                n = len(entries)
            data = b"".join(entries[:n])
            del entries[:n]
            os.write(self._fd, data)
            self._size += len(data)

    def _rotate(self) -> None:
        os.close(self._fd)
        if self.max_file == 1:
            os.truncate(self.path, 0)
        else:
            for i in range(self.max_file - 1, 0, -1):
                src = self.path if i == 1 else f"{self.path}.{i - 1}"
                if os.path.exists(src):
                    os.replace(src, f"{self.path}.{i}")
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        self._size = 0


def files(path: str) -> list[str]:
    """The log's files, oldest first."""
    rotated = []
    i = 1
    while os.path.exists(f"{path}.{i}"):
        rotated.append(f"{path}.{i}")
        i += 1
    return [*reversed(rotated), path] if os.path.exists(path) else list(reversed(rotated))


def parse(line: bytes) -> tuple[str, str, str] | None:
    """(stream, time, text) of one log line; None for a line that is not one."""
    try:
        doc: Any = loads(line)
        return str(doc["stream"]), str(doc["time"]), str(doc["log"])
    except (ValueError, KeyError, TypeError):
        return None


def read(path: str) -> Iterator[tuple[str, str, str]]:
    for name in files(path):
        yield from read_file(name)


def read_file(name: str) -> Iterator[tuple[str, str, str]]:
    """The entries of one of the log's files."""
    try:
        with open(name, "rb") as f:
            for line in f:
                entry = parse(line)
                if entry is not None:
                    yield entry
    except FileNotFoundError:  # rotated away while we read
        return


class Follower:
    """New entries of a growing log (`logs -f`), across rotation: from the end it has now
    (``at_end``), or from the start of its current file (what is in it comes first: nothing
    written between a read and the follow is then seen twice or lost)."""

    def __init__(self, path: str, at_end: bool = True) -> None:
        self.path = path
        self._f: Any = None
        self._ino = 0
        self._buf = b""
        self._open(at_end=at_end)

    def _open(self, at_end: bool) -> None:
        try:
            f = open(self.path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            return
        if self._f is not None:
            self._f.close()
        self._f, self._ino, self._buf = f, os.fstat(f.fileno()).st_ino, b""
        if at_end:
            f.seek(0, os.SEEK_END)

    def new(self) -> Iterator[tuple[str, str, str]]:
        if self._f is None:
            self._open(at_end=False)
            if self._f is None:
                return
        yield from self._read()
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return
        if st.st_ino != self._ino:  # rotated: what was left in the old one is read; now the new
            self._open(at_end=False)
            yield from self._read()
        elif st.st_size < self._f.tell():  # truncated (max-file=1)
            self._f.seek(0)
            self._buf = b""
            yield from self._read()

    def _read(self) -> Iterator[tuple[str, str, str]]:
        data = self._buf + self._f.read()
        lines = data.split(b"\n")
        self._buf = lines.pop()
        for line in lines:
            entry = parse(line)
            if entry is not None:
                yield entry
