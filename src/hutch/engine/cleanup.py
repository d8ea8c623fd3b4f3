"""Removing what a container left on the host: its root's mount and its directory."""

from __future__ import annotations

import contextlib
import os
import shutil


def unmount(path: str) -> None:
    from hutch._sys.mount import umount2

    with contextlib.suppress(OSError):
        umount2(path, 2)  # MNT_DETACH: a process may still hold it for a moment


def remove_container_dir(cdir: str) -> None:
    """Unmount CDIR/merged and remove CDIR (the caller holds the records' lock)."""
    unmount(os.path.join(cdir, "merged"))
    shutil.rmtree(cdir, ignore_errors=True)
