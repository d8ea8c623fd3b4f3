"""seccomp(2): install a precompiled classic-BPF filter on the calling thread."""

from __future__ import annotations

import ctypes

from hutch._sys import libc
from hutch._sys.nr import NR

SECCOMP_SET_MODE_FILTER = 1
SECCOMP_GET_ACTION_AVAIL = 2

# SECCOMP_FILTER_FLAG_* (include/uapi/linux/seccomp.h)
FLAG_TSYNC = 1
FLAG_LOG = 2
FLAG_SPEC_ALLOW = 4
FLAG_NEW_LISTENER = 8
FLAG_TSYNC_ESRCH = 16
FLAG_WAIT_KILLABLE_RECV = 32


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def set_mode_filter(program: bytes, flags: int) -> int:
    """Install ``program`` (struct sock_filter[], 8 bytes each). Returns the listener fd
    with FLAG_NEW_LISTENER, else 0. Needs no_new_privs or CAP_SYS_ADMIN."""
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.addressof(buf))
    return libc.raw_syscall(
        NR["seccomp"], ctypes.c_uint(SECCOMP_SET_MODE_FILTER), ctypes.c_uint(flags), ctypes.byref(prog),
        path="seccomp",
    )


def action_available(action: int) -> bool:
    """Whether this kernel knows the filter return value ``action`` (SECCOMP_RET_*)."""
    value = ctypes.c_uint32(action)
    try:
        libc.raw_syscall(NR["seccomp"], ctypes.c_uint(SECCOMP_GET_ACTION_AVAIL), ctypes.c_uint(0),
                         ctypes.byref(value))
    except OSError:
        return False
    return True
