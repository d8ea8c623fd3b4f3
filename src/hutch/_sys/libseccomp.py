"""libseccomp (Debian's libseccomp2) through ctypes: build a filter and export its BPF.

Only the runtime's parent side uses this, to compile a config's ``linux.seccomp``
into a classic-BPF program before anything forks (STYLE P7: heavy work in the
parent); the container's init loads the bytes with seccomp(2) (hutch._sys.seccomp)
and never sees libseccomp. The library is opened on first use.

Every call returns a negative errno on failure; :func:`_check` turns that into
``OSError``.
"""

from __future__ import annotations

import ctypes
import os

# libseccomp's actions (seccomp.h); ERRNO and TRACE carry a 16-bit value.
ACT_KILL_PROCESS = 0x80000000
ACT_KILL_THREAD = 0x00000000
ACT_TRAP = 0x00030000
ACT_NOTIFY = 0x7FC00000
ACT_ERRNO = 0x00050000
ACT_TRACE = 0x7FF00000
ACT_LOG = 0x7FFC0000
ACT_ALLOW = 0x7FFF0000

# enum scmp_compare
CMP_NE, CMP_LT, CMP_LE, CMP_EQ, CMP_GE, CMP_GT, CMP_MASKED_EQ = 1, 2, 3, 4, 5, 6, 7

# enum scmp_filter_attr
ATTR_CTL_NNP = 3
ATTR_CTL_OPTIMIZE = 8

#: seccomp_syscall_resolve_name's answer for an unknown name (__NR_SCMP_ERROR)
NR_ERROR = -1


class ArgCmp(ctypes.Structure):
    """struct scmp_arg_cmp"""

    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


class _Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint), ("minor", ctypes.c_uint), ("micro", ctypes.c_uint)]


_loaded: list[ctypes.CDLL] = []


def lib() -> ctypes.CDLL:
    """libseccomp.so.2, loaded and declared once; OSError if this host lacks it."""
    if not _loaded:
        try:
            so = ctypes.CDLL("libseccomp.so.2", use_errno=True)
        except OSError as err:
            raise OSError(0, f"libseccomp is not installed ({err})", "libseccomp.so.2") from None
        c_void_p, c_uint32, c_int, c_uint, c_char_p = (
            ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.c_char_p)
        for name, res, args in (
            ("seccomp_init", c_void_p, [c_uint32]),
            ("seccomp_release", None, [c_void_p]),
            ("seccomp_arch_add", c_int, [c_void_p, c_uint32]),
            ("seccomp_arch_resolve_name", c_uint32, [c_char_p]),
            ("seccomp_syscall_resolve_name", c_int, [c_char_p]),
            ("seccomp_syscall_resolve_name_arch", c_int, [c_uint32, c_char_p]),
            ("seccomp_rule_add_array", c_int, [c_void_p, c_uint32, c_int, c_uint, ctypes.POINTER(ArgCmp)]),
            ("seccomp_attr_set", c_int, [c_void_p, c_int, c_uint32]),
            ("seccomp_export_bpf", c_int, [c_void_p, c_int]),
            ("seccomp_version", ctypes.POINTER(_Version), []),
        ):
            fn = getattr(so, name)
            fn.restype, fn.argtypes = res, args
        _loaded.append(so)
    return _loaded[0]


def _check(ret: int, what: str) -> int:
    if ret < 0:
        raise OSError(-ret, os.strerror(-ret), what)
    return ret


def version() -> tuple[int, int, int]:
    v = lib().seccomp_version().contents
    return (v.major, v.minor, v.micro)


def arch_token(name: str) -> int:
    """libseccomp's token for an architecture name (``x86_64``, ``x86``, ``aarch64``); 0 if unknown."""
    return int(lib().seccomp_arch_resolve_name(name.encode()))


def syscall_number(name: str) -> int:
    """The native number of syscall ``name`` as libseccomp knows it, or NR_ERROR."""
    return int(lib().seccomp_syscall_resolve_name(name.encode()))


def syscall_number_arch(token: int, name: str) -> int:
    """The number of syscall ``name`` on architecture ``token`` (x32's carry the x32 bit),
    NR_ERROR if it has none there, or a negative pseudo-number for one libseccomp
    multiplexes (socketcall, ipc)."""
    return int(lib().seccomp_syscall_resolve_name_arch(token, name.encode()))


class Filter:
    """A libseccomp filter context (seccomp_init ... seccomp_release)."""

    def __init__(self, default_action: int) -> None:
        self._lib = lib()
        ctx = self._lib.seccomp_init(default_action)
        if not ctx:
            raise OSError(22, "seccomp_init refused the default action", "seccomp_init")
        self._ctx = ctypes.c_void_p(ctx)
        # we only export: loading, and so the no_new_privs choice, is the init's
        _check(self._lib.seccomp_attr_set(self._ctx, ATTR_CTL_NNP, 0), "seccomp_attr_set")

    def close(self) -> None:
        if self._ctx:
            self._lib.seccomp_release(self._ctx)
            self._ctx = ctypes.c_void_p()

    def __enter__(self) -> Filter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_arch(self, token: int) -> None:
        ret = self._lib.seccomp_arch_add(self._ctx, token)
        if ret != -17:  # EEXIST: the native one is there already
            _check(ret, "seccomp_arch_add")

    def optimize(self, level: int) -> None:
        _check(self._lib.seccomp_attr_set(self._ctx, ATTR_CTL_OPTIMIZE, level), "seccomp_attr_set")

    def add_rule(self, action: int, nr: int, args: list[tuple[int, int, int, int]]) -> None:
        """One rule: ``action`` for syscall ``nr`` when all of ``args`` (index, op, a, b) match."""
        arr = (ArgCmp * max(1, len(args)))(*(ArgCmp(i, op, a, b) for i, op, a, b in args))
        _check(self._lib.seccomp_rule_add_array(self._ctx, action, nr, len(args), arr), "seccomp_rule_add")

    def export_bpf(self) -> bytes:
        """The filter as a classic-BPF program (struct sock_filter[]), native endian."""
        fd = os.memfd_create("hutch-seccomp", os.MFD_CLOEXEC)
        try:
            _check(self._lib.seccomp_export_bpf(self._ctx, fd), "seccomp_export_bpf")
            size = os.lseek(fd, 0, os.SEEK_END)
            return os.pread(fd, size, 0)
        finally:
            os.close(fd)
