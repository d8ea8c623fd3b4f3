"""A classic-BPF interpreter for seccomp programs, enough for what libseccomp and
hutch.seccomp.enosys emit: run a program on a seccomp_data (nr, arch, args) and get the
filter's return value, as the kernel would, without loading anything."""

from __future__ import annotations

import struct

_MASK = 0xFFFFFFFF


def decode(program: bytes) -> list[tuple[int, int, int, int]]:
    return [struct.unpack_from("=HBBI", program, i) for i in range(0, len(program), 8)]


def seccomp_data(nr: int, arch: int, args: tuple[int, ...] = ()) -> bytes:
    """struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6]."""
    full = (list(args) + [0] * 6)[:6]
    return struct.pack("=iIQ6Q", nr, arch, 0, *(a & 0xFFFFFFFFFFFFFFFF for a in full))


def run(program: bytes, nr: int, arch: int, args: tuple[int, ...] = ()) -> int:
    """The value the filter returns for syscall ``nr`` on ``arch`` with ``args``."""
    insns = decode(program)
    data = seccomp_data(nr, arch, args)
    a = x = 0
    mem = [0] * 16
    pc = 0
    while True:
        code, jt, jf, k = insns[pc]
        pc += 1
        cls = code & 0x07
        if code == 0x20:  # ld [k]
            a = struct.unpack_from("=I", data, k)[0]
        elif code == 0x00:  # ld #k
            a = k
        elif code == 0x60:  # ld M[k]
            a = mem[k]
        elif code == 0x61:  # ldx M[k]
            x = mem[k]
        elif code == 0x02:  # st M[k]
            mem[k] = a
        elif code == 0x03:  # stx M[k]
            mem[k] = x
        elif code == 0x54:  # and #k
            a &= k
        elif code == 0x87:  # txa
            a = x
        elif code == 0x07:  # tax
            x = a
        elif code == 0x06:  # ret #k
            return k
        elif code == 0x16:  # ret a
            return a
        elif cls == 0x05:  # jumps
            op, src = code & 0xF0, code & 0x08
            operand = x if src else k
            if op == 0x00:
                pc += k
                continue
            if op == 0x10:
                taken = a == operand
            elif op == 0x20:
                taken = a > operand
            elif op == 0x30:
                taken = a >= operand
            elif op == 0x40:
                taken = bool(a & operand)
            else:
                raise ValueError(f"unknown jump {code:#x} at {pc - 1}")
            pc += jt if taken else jf
        else:
            raise ValueError(f"unknown instruction {code:#x} at {pc - 1}")
        a &= _MASK
