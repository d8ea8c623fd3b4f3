"""An exclusive flock on a lock file, held for a ``with`` block (the engine's stores)."""

from __future__ import annotations

import contextlib
import fcntl
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


@contextlib.contextmanager
def locked(directory: str, name: str = "lock") -> Iterator[None]:
    """Hold LOCK_EX on ``directory``/``name`` (both made if missing); released on exit,
    and by the kernel if the process dies."""
    os.makedirs(directory, exist_ok=True)
    fd = os.open(os.path.join(directory, name), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
