"""The -ENOSYS stub: a classic-BPF prefix that runc puts before libseccomp's filter.

A profile's default action (EPERM, a kill...) would otherwise also hit syscalls newer
than the profile, and glibc falls back to an older syscall only on ENOSYS (clone3,
faccessat2, close_range, statx...). runc 1.1.5 (libcontainer/seccomp/patchbpf) therefore
returns ENOSYS for every syscall number above the largest one the profile names, per
architecture, and lets the rest through to the filter. This module builds the same stub
from those largest numbers; it is pure (no libseccomp: :mod:`hutch.seccomp.compile` finds
the numbers) and returns ``struct sock_filter`` instructions.

Its shape, as runc's::

    ld [4]                       ; seccomp_data.arch
    jeq ARCH_1, → section 1      ; one test per native architecture
    ...
    ja → filter                  ; any other architecture
    section:  ld [0]             ; seccomp_data.nr
              (s390/s390x: nr 0, the multiplexer of unknown syscalls, gets ENOSYS)
              (x86_64: the x32 bit picks the x86_64 or the x32 maximum)
              jgt MAX, → ENOSYS
              ja → filter
    ja → filter
    ret ERRNO(ENOSYS)
    <libseccomp's filter>

Jumps are counted from the end, as the program is built back to front; one longer than
a conditional jump's 8-bit offset becomes a test over an unconditional ``ja``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    Insn = tuple[int, int, int, int]  # struct sock_filter: code, jt, jf, k

# AUDIT_ARCH_* values that need a case of their own (libseccomp's tokens for the real
# architectures are these values; SCMP_ARCH_X32's is not, hence the x32 bit below)
AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_S390 = 0x00000016
AUDIT_ARCH_S390X = 0x80000016
SCMP_ARCH_X32 = 0x4000003E
#: x32 syscalls are x86_64's with this bit set in the number
X32_SYSCALL_BIT = 1 << 30
#: SECCOMP_RET_ERRNO | ENOSYS
RET_ENOSYS = 0x00050000 | 38
_S390_MULTIPLEXER = 0  # setup(2): where s390 leaves a syscall number it does not know

_LD_W_ABS, _JA, _JEQ, _JGT, _JSET, _RET_K = 0x20, 0x05, 0x15, 0x25, 0x45, 0x06
_MAX_SKIP = 255
_OFF_NR, _OFF_ARCH = 0, 4


def native_arch(token: int) -> int:
    """The AUDIT_ARCH_* value the kernel puts in seccomp_data.arch for libseccomp's
    architecture ``token`` (x32 runs as x86_64)."""
    return AUDIT_ARCH_X86_64 if token == SCMP_ARCH_X32 else token


def _ld(off: int) -> Insn:
    return (_LD_W_ABS, 0, 0, off)


def _ja(skip: int) -> Insn:
    return (_JA, 0, 0, skip)


def _ret(k: int) -> Insn:
    return (_RET_K, 0, 0, k)


def _jump(op: int, k: int, jt: int, jf: int = 0) -> Insn:
    assert 0 <= jt <= _MAX_SKIP and 0 <= jf <= _MAX_SKIP, (jt, jf)
    return (op, jt, jf, k)


def _section(native: int, maxima: Mapping[int, int], to_enosys: int, to_filter: int) -> list[Insn]:
    """The checks of one native architecture. ``to_enosys``/``to_filter``: how far the
    ENOSYS return and the filter are from the end of the section."""
    section = [_ld(_OFF_NR)]
    if len(maxima) == 2:
        # x86_64 and x32 together: the x32 bit picks which maximum applies
        if native != AUDIT_ARCH_X86_64 or set(maxima) != {AUDIT_ARCH_X86_64, SCMP_ARCH_X32}:
            raise ValueError(f"unexpected architectures sharing {native:#x}: {sorted(maxima)}")
        x86, x32 = maxima[AUDIT_ARCH_X86_64], maxima[SCMP_ARCH_X32]
        if to_enosys + 2 <= _MAX_SKIP:
            section += [_jump(_JSET, X32_SYSCALL_BIT, 1),
                        _jump(_JGT, x86, to_enosys + 2, 1),
                        _jump(_JGT, x32, to_enosys + 1),
                        _ja(to_filter)]
        else:
            section += [_jump(_JSET, X32_SYSCALL_BIT, 1),
                        _jump(_JGT, x86, 1, 2),
                        _jump(_JGT, x32, 0, 1),  # jle x32, +1
                        _ja(to_enosys + 1),
                        _ja(to_filter)]
        return section
    ((token, nr),) = maxima.items()
    if token in (AUDIT_ARCH_S390, AUDIT_ARCH_S390X):
        section += [_jump(_JEQ, _S390_MULTIPLEXER, 0, 1), _ret(RET_ENOSYS)]  # jne 0, +1
    if to_enosys + 1 <= _MAX_SKIP:
        tail = [_jump(_JGT, nr, to_enosys + 1), _ja(to_filter)]
    else:
        tail = [_jump(_JGT, nr, 0, 1), _ja(to_enosys + 1), _ja(to_filter)]  # jle nr, +1
    if native == AUDIT_ARCH_X86_64:
        # only one of the two modes is in the profile: the other goes on to the filter
        if token == SCMP_ARCH_X32:
            tail.insert(0, _jump(_JSET, X32_SYSCALL_BIT, 0, len(tail) - 1))  # not x32: skip
        else:
            tail.insert(0, _jump(_JSET, X32_SYSCALL_BIT, len(tail) - 1))  # x32: skip
    return section + tail


def stub(largest: Mapping[int, int]) -> list[Insn]:
    """The stub for ``largest``: libseccomp architecture token -> the largest syscall
    number the profile names for it (as libseccomp numbers it: x32's carry the x32 bit).
    Architectures appear in the stub in the order given. Empty: no stub."""
    by_native: dict[int, dict[int, int]] = {}
    for token, nr in largest.items():
        by_native.setdefault(native_arch(token), {})[token] = nr
    if not by_native:
        return []
    tail: list[Insn] = [_ja(1), _ret(RET_ENOSYS)]
    from_end: dict[int, int] = {}
    for native, maxima in by_native.items():
        tail = _section(native, maxima, len(tail) - 1, len(tail)) + tail
        from_end[native] = len(tail)
    tail.insert(0, _ja(len(tail)))  # an architecture not tested goes on to the filter
    for native in reversed(by_native):
        jump = len(tail) - from_end[native]
        if jump <= _MAX_SKIP:
            tail.insert(0, _jump(_JEQ, native, jump))
        else:
            tail[0:0] = [_jump(_JEQ, native, 0, 1), _ja(jump)]  # jne native, +1; ja section
    return [_ld(_OFF_ARCH), *tail]


def assemble(program: list[Insn]) -> bytes:
    """Instructions as struct sock_filter[] in native byte order (what seccomp(2) takes)."""
    import struct

    return b"".join(struct.pack("=HBBI", *insn) for insn in program)
