"""libc through ctypes: loaded once, every function declared once, errors normalised.

Every wrapper in hutch._sys calls through here. ``check`` turns -1 into an
``OSError`` (which Python maps to FileNotFoundError, PermissionError, ...) with
the path attached, and retries EINTR: PEP 475 covers ``os.*`` but not ctypes.
"""

from __future__ import annotations

import ctypes
import errno
import os

_libc = ctypes.CDLL(None, use_errno=True)

c_int = ctypes.c_int
c_long = ctypes.c_long
c_ulong = ctypes.c_ulong
c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_size_t = ctypes.c_size_t


def _declare(name: str, restype: object, *argtypes: object) -> ctypes._CFuncPtr:  # type: ignore[name-defined]
    fn = getattr(_libc, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


mount = _declare("mount", c_int, c_char_p, c_char_p, c_char_p, c_ulong, c_char_p)
umount2 = _declare("umount2", c_int, c_char_p, c_int)
unshare = _declare("unshare", c_int, c_int)
setns = _declare("setns", c_int, c_int, c_int)
sethostname = _declare("sethostname", c_int, c_char_p, c_size_t)
setdomainname = _declare("setdomainname", c_int, c_char_p, c_size_t)
prctl = _declare("prctl", c_int, c_int, c_ulong, c_ulong, c_ulong, c_ulong)
syscall = _declare("syscall", c_long, c_long)
syscall.argtypes = None  # variadic: callers pass ctypes-typed arguments


def b(s: str | bytes | None) -> bytes | None:
    """Encode a path or string argument for a ``char *`` parameter."""
    if s is None or isinstance(s, bytes):
        return s
    return os.fsencode(s)


def check(fn: ctypes._CFuncPtr, *args: object, path: str | None = None) -> int:  # type: ignore[name-defined]
    """Call ``fn(*args)``; retry on EINTR; raise OSError(errno, strerror, path) on -1."""
    while True:
        ret = fn(*args)
        if ret != -1:
            return int(ret)
        err = ctypes.get_errno()
        if err != errno.EINTR:
            raise OSError(err, os.strerror(err), path)


def raw_syscall(nr: int, *args: object, path: str | None = None) -> int:
    """``syscall(nr, ...)`` for calls glibc does not export; ENOSYS means "absent"."""
    return check(syscall, c_long(nr), *args, path=path)
