"""Directories made inside a tree, every level resolved inside it (openat2 RESOLVE_IN_ROOT): a
symlink in a container's or an image's tree never makes them create anything outside.

Below ``containers`` (the working directory a container starts in) and ``copy`` (the
directories a tar stream implies).
"""

from __future__ import annotations

import contextlib
import os

from hutch._sys.consts import O_PATH
from hutch._sys.fs import openat2

RESOLVE = 0x10 | 0x02  # RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS


def dir_fd(root: int, rel: str) -> int:
    """An O_PATH fd of directory ``rel`` below ``root`` (resolved inside it; missing
    levels made 0755, as a tar without directory entries needs)."""
    try:
        return openat2(root, rel or ".", O_PATH | os.O_DIRECTORY, RESOLVE)
    except FileNotFoundError:
        if not rel:
            raise
    parent, _, base = rel.rpartition("/")
    pfd = dir_fd(root, parent)
    try:
        with contextlib.suppress(FileExistsError):
            os.mkdir(base, 0o755, dir_fd=pfd)
    finally:
        os.close(pfd)
    return openat2(root, rel, O_PATH | os.O_DIRECTORY, RESOLVE)


def ensure_dir(root: str, path: str) -> None:
    """Make directory ``path`` inside the tree at ``root`` (as docker makes a missing working
    directory, root's and 0755), every level resolved inside it: a symlink in the container
    never makes it create anything outside."""
    rfd = os.open(root, O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.close(dir_fd(rfd, path.strip("/")))
    finally:
        os.close(rfd)
