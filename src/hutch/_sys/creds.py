"""Credentials: prctl, capget/capset. (setres[ug]id and setgroups come from os.)"""

from __future__ import annotations

import ctypes

from hutch._sys import libc
from hutch._sys.consts import LINUX_CAPABILITY_VERSION_3
from hutch._sys.nr import NR


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    return libc.check(libc.prctl, option, arg2, arg3, arg4, arg5)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def capget(pid: int = 0) -> tuple[int, int, int]:
    """Return (effective, permitted, inheritable) as 64-bit masks."""
    hdr = _CapHeader(LINUX_CAPABILITY_VERSION_3, pid)
    data = (_CapData * 2)()
    libc.raw_syscall(NR["capget"], ctypes.byref(hdr), data)
    return (
        data[0].effective | data[1].effective << 32,
        data[0].permitted | data[1].permitted << 32,
        data[0].inheritable | data[1].inheritable << 32,
    )


def capset(effective: int, permitted: int, inheritable: int) -> None:
    hdr = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    m = 0xFFFFFFFF
    data[0].effective, data[1].effective = effective & m, effective >> 32
    data[0].permitted, data[1].permitted = permitted & m, permitted >> 32
    data[0].inheritable, data[1].inheritable = inheritable & m, inheritable >> 32
    libc.raw_syscall(NR["capset"], ctypes.byref(hdr), data)
