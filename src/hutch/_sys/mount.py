"""mount(2) and friends: mount, umount2, pivot_root, mount_setattr, open_tree, move_mount."""

from __future__ import annotations

import ctypes

from hutch._sys.libc import b, check, raw_syscall
from hutch._sys.libc import mount as _mount
from hutch._sys.libc import umount2 as _umount2
from hutch._sys.nr import NR


def mount(
    source: str | None, target: str, fstype: str | None, flags: int = 0, data: str | None = None
) -> None:
    check(_mount, b(source), b(target), b(fstype), flags, b(data), path=target)


def umount2(target: str, flags: int = 0) -> None:
    check(_umount2, b(target), flags, path=target)


def pivot_root(new_root: str, put_old: str) -> None:
    raw_syscall(NR["pivot_root"], b(new_root), b(put_old), path=new_root)


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


AT_EMPTY_PATH = 0x1000
AT_RECURSIVE = 0x8000


OPEN_TREE_CLONE = 1
OPEN_TREE_CLOEXEC = 0o2000000
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOUNT_ATTR_IDMAP = 0x00100000
AT_FDCWD = -100


def mount_setattr(
    dirfd: int, path: str, flags: int, attr_set: int, attr_clr: int = 0, propagation: int = 0,
    userns_fd: int = 0,
) -> None:
    attr = _MountAttr(attr_set, attr_clr, propagation, userns_fd)
    raw_syscall(
        NR["mount_setattr"],
        ctypes.c_int(dirfd),
        b(path),
        ctypes.c_uint(flags),
        ctypes.byref(attr),
        ctypes.c_size_t(ctypes.sizeof(attr)),
        path=path,
    )


def open_tree(dirfd: int, path: str, flags: int) -> int:
    """A mount (with OPEN_TREE_CLONE: a detached copy of it) as an fd."""
    return raw_syscall(NR["open_tree"], ctypes.c_int(dirfd), b(path), ctypes.c_uint(flags), path=path)


def move_mount(from_fd: int, from_path: str, to_fd: int, to_path: str, flags: int) -> None:
    raw_syscall(NR["move_mount"], ctypes.c_int(from_fd), b(from_path), ctypes.c_int(to_fd), b(to_path),
                ctypes.c_uint(flags), path=to_path)
