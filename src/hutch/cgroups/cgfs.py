"""The one place hutch reads, writes, creates and removes cgroupfs entries (P6, P11).

Every call names the hierarchy it works in, so every failure renders as one line
that says where: ``cgroup memory: cannot create /sys/fs/cgroup/memory/hutch/x:
Permission denied``. The ``OSError`` stays attached as ``__cause__`` and its
errno as ``CgroupIOError.errno``.

:class:`CgroupFS` is the seam: managers take an instance, tests pass a subclass
that plays the kernel's part on a tmp_path tree (populating new directories with
control files, refusing rmdir while busy).

Plain ``os`` calls with ``O_NOFOLLOW``: cgroupfs has no symlinks, and the paths
come from the mount table plus a cgroup path already checked for ``..``.
(openat2 with RESOLVE_BENEATH from a root fd, as runc does, would be a later
hardening confined to this module.)
"""

from __future__ import annotations

import errno as _errno
import os

from hutch.errors import CgroupError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


class CgroupIOError(CgroupError):
    """A cgroupfs operation failed; ``errno`` is the kernel's answer."""

    def __init__(self, hierarchy: str, op: str, path: str, err: OSError):
        reason = err.strerror or str(err)
        super().__init__(f"cgroup {hierarchy}: cannot {op} {path}: {reason}")
        self.hierarchy = hierarchy
        self.op = op
        self.path = path
        self.errno = err.errno or 0


class CgroupFS:
    """File operations on cgroupfs, each wrapped into :class:`CgroupIOError`."""

    def mkdir(self, hierarchy: str, path: str) -> bool:
        """Create directory ``path``; False if it already existed."""
        try:
            os.mkdir(path, 0o755)
        except FileExistsError as err:
            if os.path.isdir(path):
                return False
            raise CgroupIOError(hierarchy, "create", path, err) from err
        except OSError as err:
            raise CgroupIOError(hierarchy, "create", path, err) from err
        return True

    def rmdir(self, hierarchy: str, path: str) -> bool:
        """Remove cgroup directory ``path``; False if it was already gone."""
        try:
            os.rmdir(path)
        except FileNotFoundError:
            return False
        except OSError as err:
            raise CgroupIOError(hierarchy, "remove", path, err) from err
        return True

    def read(self, hierarchy: str, dirpath: str, name: str) -> str:
        """Return the whole content of control file ``dirpath/name``."""
        path = os.path.join(dirpath, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
            try:
                chunks: list[bytes] = []
                while chunk := os.read(fd, 65536):
                    chunks.append(chunk)
            finally:
                os.close(fd)
        except OSError as err:
            raise CgroupIOError(hierarchy, "read", path, err) from err
        return b"".join(chunks).decode("utf-8", "surrogateescape")

    def write(self, hierarchy: str, dirpath: str, name: str, data: str) -> None:
        """Write ``data`` to control file ``dirpath/name`` in one write(2)."""
        path = os.path.join(dirpath, name)
        raw = data.encode()
        try:
            # O_TRUNC is accepted (and ignored) by cgroupfs; it keeps fake trees honest.
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW)
            try:
                if os.write(fd, raw) != len(raw):
                    raise OSError(_errno.EIO, "short write")
            finally:
                os.close(fd)
        except OSError as err:
            raise CgroupIOError(hierarchy, f"write {data!r} to", path, err) from err

    def has(self, dirpath: str, name: str) -> bool:
        """True if control file ``dirpath/name`` exists."""
        return os.path.exists(os.path.join(dirpath, name))

    def isdir(self, path: str) -> bool:
        return os.path.isdir(path)

    def walk(self, path: str) -> Iterator[str]:
        """``path`` and every cgroup below it, parents before children.

        Directories that vanish while walking (a cgroup being removed) are skipped.
        """
        for dirpath, _dirs, _files in os.walk(path):
            yield dirpath
