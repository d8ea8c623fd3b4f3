"""Filesystem calls the stdlib lacks: openat2, close_range."""

from __future__ import annotations

import ctypes
import os

from hutch._sys import libc
from hutch._sys.nr import NR


class _OpenHow(ctypes.Structure):
    _fields_ = [
        ("flags", ctypes.c_uint64),
        ("mode", ctypes.c_uint64),
        ("resolve", ctypes.c_uint64),
    ]


_EAGAIN_TRIES = 32


def openat2(dirfd: int, path: str, flags: int, resolve: int, mode: int = 0) -> int:
    """openat2(2): open ``path`` relative to ``dirfd`` under the ``resolve`` rules."""
    how = _OpenHow(flags | os.O_CLOEXEC, mode, resolve)
    for attempt in range(_EAGAIN_TRIES):
        try:
            return libc.raw_syscall(
                NR["openat2"],
                ctypes.c_int(dirfd),
                libc.b(path),
                ctypes.byref(how),
                ctypes.c_size_t(ctypes.sizeof(how)),
                path=path,
            )
        except BlockingIOError:
            # EAGAIN: with RESOLVE_IN_ROOT or RESOLVE_BENEATH, a rename or mount elsewhere in
            # the system raced the lookup, and the kernel will not vouch for ".." handling:
            # openat2(2) says to try again (libpathrs does, a bounded number of times)
            if attempt == _EAGAIN_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def close_range(first: int, last: int, flags: int = 0) -> None:
    libc.raw_syscall(NR["close_range"], ctypes.c_uint(first), ctypes.c_uint(last), ctypes.c_int(flags))
