"""An exclusive flock on a lock file, held for a ``with`` block (the engine's stores).

A class, not ``contextlib.contextmanager``: every container's monitor takes this lock, and
contextlib (with collections and functools) would cost each of them ~0.6 MB.
"""

from __future__ import annotations

import fcntl
import os


class locked:
    """Hold LOCK_EX on ``directory``/``name`` (both made if missing); released on exit,
    and by the kernel if the process dies."""

    def __init__(self, directory: str, name: str = "lock") -> None:
        self.path = os.path.join(directory, name)
        self.directory = directory
        self.fd = -1

    def __enter__(self) -> None:
        os.makedirs(self.directory, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd

    def __exit__(self, *_exc: object) -> None:
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)
