"""A container's network namespace, made by the engine before the runtime runs (podman's way):
a new namespace kept alive by a bind mount of it on a file under the runroot, so it exists
before the container's first process and outlives every process that is in it. config.json
names the file (``linux.namespaces: {"type": "network", "path": ...}``), so every runtime
(hutch-runtime, runc, crun) joins it.

`create` is what ``ip netns add`` does: this thread unshares a network namespace, bind-mounts
/proc/thread-self/ns/net on the file, and goes back where it was. `remove` unmounts and deletes
the file; the namespace ends with its last process.
"""

from __future__ import annotations

import errno
import os

from hutch._sys import consts as C
from hutch._sys import mount as _mount
from hutch._sys import ns as _ns


def create(path: str) -> None:
    """A new network namespace at ``path`` (a new file: FileExistsError if there is one)."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444))
    try:
        back = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            _ns.unshare(C.CLONE_NEWNET)
            try:
                _mount.mount("/proc/thread-self/ns/net", path, None, C.MS_BIND)
            finally:
                _ns.setns(back, C.CLONE_NEWNET)
        finally:
            os.close(back)
    except BaseException:
        os.unlink(path)
        raise


def remove(path: str) -> None:
    """Unmount and delete ``path``; gone already is no error."""
    try:
        _mount.umount2(path, C.MNT_DETACH)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOENT):  # (not mounted: a create killed midway)
            raise
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def is_namespace(path: str) -> bool:
    """Whether ``path`` is a mounted network namespace (nsfs), not just the file under it."""
    try:
        st, parent = os.stat(path), os.stat(os.path.dirname(path) or ".")
    except OSError:
        return False
    return st.st_dev != parent.st_dev
