"""One atomic file writer: a reader sees the old content or the new, never a part of either.

The data goes to a temporary file in the target's directory (the same filesystem, so the
rename is atomic), created O_EXCL|O_NOFOLLOW with ``mode`` (less the umask, as open(2)), and
is renamed over the target. A failed write removes the temporary file.

``durable=True`` also survives a crash of the machine (power loss, kernel panic): the file is
fsync'd before the rename, so the name never points at data that is not on disk, and the
directory after it, so the rename itself is. Without it a crash may leave the old file, or an
empty one; a killed process never leaves a partial file either way.

Which callers ask for it (an fsync costs ~0.3-0.5 ms on this VM's disk, more on a busy one):
  - durable: what the engine keeps across reboots and cannot rebuild: its container records,
    a container's config.json, volume.json, the image index, registry credentials;
  - not durable: the runtime's state under ``--root`` (/run/hutch: a tmpfs on most hosts,
    gone at a reboot with the containers it describes) and pid files, as runc writes its
    state.json: ``hutch-runtime create`` stays as cheap as it was.
"""

from __future__ import annotations

import os


def write(path: str, data: bytes, mode: int = 0o600, *, durable: bool = False) -> None:
    """Replace ``path`` with ``data`` atomically (see the module's doc for ``durable``)."""
    directory, base = os.path.split(path)
    tmp = os.path.join(directory, f".{base}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        try:
            view = memoryview(data)
            while view:  # a short write (a full disk) repeats, and then raises ENOSPC
                view = view[os.write(fd, view):]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        _sync_dir(directory or ".")


def _sync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return  # a directory one may write in but not read: the file itself is on disk
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
