"""Cgroup v2's device controller: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE.

Cgroup v2 has no devices.allow file. The kernel instead runs the programs attached to a
cgroup (and to its ancestors) on every device access by its processes, with a
``struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }`` in R1, where
``access_type`` is the device type (low 16 bits: 1 block, 2 char) and the access
(high 16 bits: 1 mknod, 2 read, 4 write). Returning 1 allows, 0 denies (EPERM).

:func:`program` assembles one from a :class:`hutch.cgroups.devices.Ruleset`, as crun
and runc do: load the four values into R2..R5, then one block per exception
("not this type? next block. not a subset of these accesses? next. not this
major? next. not this minor? next. return allow"), then return the default. The
blocks' order does not matter: every exception has the same verdict.

Pure (``struct`` only); :mod:`hutch._sys.bpf` loads and attaches the result.
"""

from __future__ import annotations

import struct

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cgroups.devices import Ruleset

#: Values of struct bpf_cgroup_dev_ctx (include/uapi/linux/bpf.h).
DEV_BLOCK = 1
DEV_CHAR = 2
ACC_MKNOD = 1
ACC_READ = 2
ACC_WRITE = 4
_ACC = {"m": ACC_MKNOD, "r": ACC_READ, "w": ACC_WRITE}
_TYPE = {"b": DEV_BLOCK, "c": DEV_CHAR}

# Opcodes (include/uapi/linux/bpf_common.h, bpf.h): class | op | source.
LDX_W = 0x61  # BPF_LDX | BPF_MEM | BPF_W:    dst = *(u32 *)(src + off)
AND32_K = 0x54  # BPF_ALU | BPF_AND | BPF_K:  (u32) dst &= imm
RSH32_K = 0x74  # BPF_ALU | BPF_RSH | BPF_K:  (u32) dst >>= imm
MOV32_K = 0xB4  # BPF_ALU | BPF_MOV | BPF_K:  (u32) dst = imm
MOV32_X = 0xBC  # BPF_ALU | BPF_MOV | BPF_X:  (u32) dst = src
JNE_K = 0x55  # BPF_JMP | BPF_JNE | BPF_K:    if dst != imm: pc += off
JNE_X = 0x5D  # BPF_JMP | BPF_JNE | BPF_X:    if dst != src: pc += off
EXIT = 0x95  # BPF_JMP | BPF_EXIT:            return R0

# A placeholder offset, "to the start of the next block", resolved by instructions():
# every jump here goes forward, so no real offset is negative.
_NEXT = -1

# (opcode, dst, src, off, imm)
Insn = tuple[int, int, int, int, int]


def _block(kind: str, major: int, minor: int, access: str, verdict: int) -> list[Insn]:
    out: list[Insn] = [(JNE_K, 2, 0, _NEXT, _TYPE[kind])]
    bits = sum(_ACC[p] for p in set(access))
    if bits != ACC_MKNOD | ACC_READ | ACC_WRITE:
        # R1 = R3 & bits; if R1 != R3 (something asked for is not in bits): next
        out += [(MOV32_X, 1, 3, 0, 0), (AND32_K, 1, 0, 0, bits), (JNE_X, 1, 3, _NEXT, 0)]
    if major >= 0:
        out.append((JNE_K, 4, 0, _NEXT, major))
    if minor >= 0:
        out.append((JNE_K, 5, 0, _NEXT, minor))
    out += [(MOV32_K, 0, 0, 0, verdict), (EXIT, 0, 0, 0, 0)]
    return out


def instructions(rules: Ruleset) -> list[Insn]:
    """The program as (opcode, dst, src, off, imm) tuples, offsets resolved."""
    prologue: list[Insn] = [
        (LDX_W, 2, 1, 0, 0),
        (AND32_K, 2, 0, 0, 0xFFFF),  # R2 = device type
        (LDX_W, 3, 1, 0, 0),
        (RSH32_K, 3, 0, 0, 16),  # R3 = access
        (LDX_W, 4, 1, 4, 0),  # R4 = major
        (LDX_W, 5, 1, 8, 0),  # R5 = minor
    ]
    out = list(prologue)
    for allow, kind, major, minor, access in rules.rules():
        block = _block(kind, major, minor, access, int(allow))
        start, end = len(out), len(out) + len(block)
        for pc, (code, dst, src, off, imm) in enumerate(block, start):
            out.append((code, dst, src, end - (pc + 1) if off == _NEXT else off, imm))
    out += [(MOV32_K, 0, 0, 0, int(rules.default_allow)), (EXIT, 0, 0, 0, 0)]
    return out


def program(rules: Ruleset) -> bytes:
    """The program's bytes: 8 per instruction (code, dst | src << 4, s16 off, s32 imm),
    little-endian as on every architecture hutch supports."""
    return b"".join(
        struct.pack("<BBhi", code, dst | src << 4, off, imm)
        for code, dst, src, off, imm in instructions(rules)
    )


def run(insns: list[Insn], kind: int, access: int, major: int, minor: int) -> int:
    """Interpret ``insns`` (only the opcodes this module emits) on one device access:
    how the tests check the assembled program against :meth:`Ruleset.allows`."""
    ctx = {0: kind | access << 16, 4: major, 8: minor}
    reg = [0] * 11
    pc = 0
    while True:
        code, dst, src, off, imm = insns[pc]
        pc += 1
        if code == LDX_W:
            reg[dst] = ctx[off]
        elif code == AND32_K:
            reg[dst] &= imm
        elif code == RSH32_K:
            reg[dst] >>= imm
        elif code == MOV32_K:
            reg[dst] = imm
        elif code == MOV32_X:
            reg[dst] = reg[src]
        elif code in (JNE_K, JNE_X):
            if reg[dst] != (imm if code == JNE_K else reg[src]):
                pc += off
        elif code == EXIT:
            return reg[0]
        else:
            raise ValueError(f"opcode {code:#x} at {pc - 1} is not one this module emits")
