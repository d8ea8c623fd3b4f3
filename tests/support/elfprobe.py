"""A tiny static x86-64 program, made byte by byte, that makes one raw syscall and exits
with its errno (0 when it succeeded with 0): a probe of what a seccomp filter answers
for any syscall number, needing no compiler and no libc in the container."""

from __future__ import annotations

import platform
import struct

_BASE = 0x400000
_HEADERS = 64 + 56  # ELF header and one program header

SUPPORTED = platform.machine() == "x86_64"


def syscall_probe(nr: int) -> bytes:
    """``syscall(nr, 0, 0, 0)``, then ``exit(-result)``."""
    code = (
        b"\xb8" + struct.pack("<I", nr)  # mov eax, nr
        + b"\x31\xff\x31\xf6\x31\xd2"  # xor edi, edi; xor esi, esi; xor edx, edx
        + b"\x0f\x05"  # syscall
        + b"\xf7\xd8\x89\xc7"  # neg eax; mov edi, eax
        + b"\xb8\x3c\x00\x00\x00\x0f\x05"  # mov eax, 60 (exit); syscall
    )
    size = _HEADERS + len(code)
    ident = b"\x7fELF\x02\x01\x01" + bytes(9)  # 64-bit, little endian, SysV
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, _BASE + _HEADERS, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, _BASE, _BASE, size, size, 0x1000)  # PT_LOAD, R+X
    return header + phdr + code
