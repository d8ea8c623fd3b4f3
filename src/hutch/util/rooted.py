"""Paths resolved inside a root: a directory fd that every lookup treats as ``/``.

openat2(2) with ``RESOLVE_IN_ROOT`` resolves each component, symlinks included, as a process
chrooted at the root would: an absolute symlink (``a -> /etc``) or ``..`` stays inside, so a
symlink in an image or a container never leads out to the host (CVE-2018-15664,
CVE-2021-30465). ``RESOLVE_NO_MAGICLINKS`` refuses ``/proc/self/fd/N``-style links.
``hutch._sys.fs.openat2`` retries the kernel's EAGAIN (a rename or mount elsewhere raced
the lookup).

What is made is made on the fd of its already-resolved parent (mkdirat), and reopened
within the root; callers act on the fds returned, never on a path string again.

Used by the init (the container's rootfs, its mounts onto O_PATH fds), layer unpacking,
``hutch cp``, the image's /etc/passwd lookups and volume copy-up. The init imports it: only
``os`` and ``hutch._sys`` here.
"""

from __future__ import annotations

import os

from hutch._sys import consts as C
from hutch._sys.fs import openat2

#: The resolve flags of every lookup inside a root.
IN_ROOT = C.RESOLVE_IN_ROOT | C.RESOLVE_NO_MAGICLINKS

_DIR = C.O_PATH | os.O_DIRECTORY


def fdpath(fd: int) -> str:
    """The magic link that names what ``fd`` refers to (for mount(2), xattrs, utime)."""
    return f"/proc/self/fd/{fd}"


def open_in_root(rootfd: int, path: str, flags: int = C.O_PATH, resolve: int = IN_ROOT) -> int:
    """openat2 of ``path`` below ``rootfd`` (absolute or relative; "" and "/" are the root
    itself). O_CLOEXEC is always added."""
    return openat2(rootfd, path.lstrip("/") or ".", flags, resolve)


def mkdir_all(rootfd: int, path: str, mode: int = 0o755) -> int:
    """Make ``path`` (inside the root) a directory, creating missing levels with ``mode``
    (less the umask); return an O_PATH fd of it.

    An existing directory costs one openat2. Each missing level is made with mkdirat on the
    fd of its resolved parent, and the whole path is then resolved again inside the root:
    a symlink already there is followed inside the root, a dangling one fails (ENOENT),
    and ``..`` is the kernel's (the parent of what was resolved, never above the root).
    """
    rel = "/".join(p for p in path.split("/") if p and p != ".")
    return _mkdir_all(rootfd, rel, mode)


def _mkdir_all(rootfd: int, rel: str, mode: int) -> int:
    try:
        return open_in_root(rootfd, rel, _DIR)
    except FileNotFoundError:
        if not rel:
            raise
    parent, _, base = rel.rpartition("/")
    pfd = _mkdir_all(rootfd, parent, mode)
    try:
        try:
            os.mkdir(base, mode, dir_fd=pfd)
        except FileExistsError:
            pass
    finally:
        os.close(pfd)
    return open_in_root(rootfd, rel, _DIR)


def ensure_dir(root: str, path: str) -> None:
    """Make directory ``path`` inside the tree at ``root`` (as docker makes a missing working
    directory: root's, 0755), every level resolved inside it: a symlink in the tree never
    makes it create anything outside."""
    rfd = os.open(root, _DIR | os.O_CLOEXEC)
    try:
        os.close(mkdir_all(rfd, path))
    finally:
        os.close(rfd)
