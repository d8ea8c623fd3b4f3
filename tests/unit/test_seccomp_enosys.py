"""runc's -ENOSYS stub (hutch.seccomp.enosys) on compiled programs, run through a cBPF
interpreter: what a syscall newer than the profile gets, per architecture. No root."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest

from hutch._sys import libseccomp as L
from hutch.seccomp import enosys
from hutch.seccomp.compile import compile_filter, largest_syscalls
from tests.support import cbpf

X86_64, X86, AARCH64, S390X = 0xC000003E, 0x40000003, 0xC00000B7, 0x80000016
X32 = enosys.X32_SYSCALL_BIT
ENOSYS, EPERM, ALLOW, KILL = 0x00050000 | errno.ENOSYS, 0x00050000 | errno.EPERM, 0x7FFF0000, 0
FILTER = 0x7FFF1234  # stands for libseccomp's filter after a stub
RUNC_TESTDATA = Path("/var/tmp/hutch-conformance/runc-bats/runc/tests/integration/testdata")


def program(sec: dict[str, Any]) -> bytes:
    plan = compile_filter(sec, lambda _msg: None)
    assert plan is not None
    return bytes.fromhex(plan["program"])


def nr(name: str, arch: str = "x86_64") -> int:
    return L.syscall_number_arch(L.arch_token(arch), name)


def has_stub(prog: bytes) -> bool:
    """The stub ends with ``ja +1; ret ERRNO(ENOSYS)``, right before libseccomp's filter."""
    insns = cbpf.decode(prog)
    return any(insns[i:i + 2] == [(0x05, 0, 0, 1), (0x06, 0, 0, ENOSYS)] for i in range(len(insns)))


def with_filter(largest: dict[int, int]) -> bytes:
    return enosys.assemble([*enosys.stub(largest), (0x06, 0, 0, FILTER)])


def test_no_architecture_no_stub() -> None:
    assert enosys.stub({}) == []


def test_one_architecture() -> None:
    prog = with_filter({X86_64: 300})
    assert cbpf.run(prog, 301, X86_64) == ENOSYS
    assert cbpf.run(prog, 1000, X86_64) == ENOSYS
    assert cbpf.run(prog, 300, X86_64) == FILTER
    assert cbpf.run(prog, 0, X86_64) == FILTER
    assert cbpf.run(prog, 1000, X86) == FILTER  # not in the stub: the filter decides
    assert cbpf.run(prog, X32 | 1000, X86_64) == FILTER  # x32 is not in the profile


def test_x86_64_and_x32_each_get_their_maximum() -> None:
    prog = with_filter({X86_64: 300, enosys.SCMP_ARCH_X32: X32 | 500, X86: 400})
    assert cbpf.run(prog, 301, X86_64) == ENOSYS
    assert cbpf.run(prog, 300, X86_64) == FILTER
    assert cbpf.run(prog, X32 | 500, X86_64) == FILTER
    assert cbpf.run(prog, X32 | 501, X86_64) == ENOSYS
    assert cbpf.run(prog, 401, X86) == ENOSYS and cbpf.run(prog, 400, X86) == FILTER


def test_x32_alone() -> None:
    prog = with_filter({enosys.SCMP_ARCH_X32: X32 | 500})
    assert cbpf.run(prog, X32 | 501, X86_64) == ENOSYS
    assert cbpf.run(prog, X32 | 10, X86_64) == FILTER
    assert cbpf.run(prog, 1000, X86_64) == FILTER  # plain x86_64 is not in the profile


def test_s390x_multiplexer_gets_enosys() -> None:
    prog = with_filter({S390X: 300})
    assert cbpf.run(prog, 0, S390X) == ENOSYS  # where s390 leaves a number it does not know
    assert cbpf.run(prog, 1, S390X) == FILTER and cbpf.run(prog, 301, S390X) == ENOSYS


@pytest.mark.parametrize("maxima", [{X86_64: 300}, {X86_64: 300, enosys.SCMP_ARCH_X32: X32 | 500},
                                    {enosys.SCMP_ARCH_X32: X32 | 500}, {S390X: 300}, {AARCH64: 7}])
@pytest.mark.parametrize("distance", [3, 254, 300])
def test_sections_with_long_jumps(maxima: dict[int, int], distance: int) -> None:
    """A section whose ENOSYS return is more than 255 instructions away uses an
    unconditional jump; both shapes answer the same."""
    native = enosys.native_arch(next(iter(maxima)))
    section = enosys._section(native, maxima, distance, distance + 1)
    wrong = (0x06, 0, 0, 0xBAD)
    prog = enosys.assemble([*section, *[wrong] * distance, (0x06, 0, 0, ENOSYS), (0x06, 0, 0, FILTER)])
    for top in maxima.values():
        assert cbpf.run(prog, top, native) == FILTER
        assert cbpf.run(prog, top + 1, native) == ENOSYS
    if native == X86_64 and len(maxima) == 1:
        other = 1000 if enosys.SCMP_ARCH_X32 in maxima else X32 | 1000
        assert cbpf.run(prog, other, native) == FILTER


def test_largest_syscalls_per_architecture() -> None:
    tokens = [L.arch_token(a) for a in ("x86_64", "x32", "x86", "x86_64")]
    got = largest_syscalls(tokens, ["read", "socket", "openat", "nope"])
    assert got == {X86_64: nr("openat"), enosys.SCMP_ARCH_X32: nr("openat", "x32"), X86: nr("openat", "x86")}
    assert got[enosys.SCMP_ARCH_X32] & X32
    assert largest_syscalls(tokens, ["socket"])[X86_64] == nr("socket")  # x86's socket is a pseudo-number
    assert X86 not in largest_syscalls(tokens, ["socket"])
    # read is 0 on x86_64: no stub there, as runc (which takes 0 for "none found")
    assert largest_syscalls(tokens, ["read"]) == {enosys.SCMP_ARCH_X32: X32, X86: 3}


def allow(*names: str) -> dict[str, Any]:
    return {"names": list(names), "action": "SCMP_ACT_ALLOW"}


def test_runc_bats_profile() -> None:
    """runc's seccomp_syscall_test1 profile: the out-of-bounds fake syscall 1000 gets
    ENOSYS, a known one the profile leaves out gets the default EPERM, an unknown
    architecture the filter's kill."""
    path = RUNC_TESTDATA / "seccomp_syscall_test1.json"
    if not path.exists():
        pytest.skip("runc's bats suite is not prepared here")
    prog = program(json.loads(path.read_text()))
    assert cbpf.run(prog, 1000, X86_64, (0xDEADBEEF, 0xCAFEFEED, 0x1337)) == ENOSYS
    assert cbpf.run(prog, 1000, X86) == ENOSYS and cbpf.run(prog, 1000, AARCH64) == ENOSYS
    assert cbpf.run(prog, nr("unshare"), X86_64) == EPERM
    assert cbpf.run(prog, nr("write"), X86_64) == ALLOW
    assert cbpf.run(prog, 1000, 0x12345678) == KILL


def test_the_stub_comes_before_the_filter_and_obeys_the_arguments() -> None:
    sec = {"defaultAction": "SCMP_ACT_KILL_PROCESS", "architectures": ["SCMP_ARCH_X86_64"],
           "syscalls": [allow("write", "exit_group"),
                        {"names": ["kcmp"], "action": "SCMP_ACT_ERRNO", "errnoRet": 3,
                         "args": [{"index": 1, "value": 7, "op": "SCMP_CMP_EQ"}]}]}
    prog = program(sec)
    top = nr("kcmp")
    assert cbpf.run(prog, top + 1, X86_64) == ENOSYS
    assert cbpf.run(prog, top, X86_64, (0, 7)) == 0x00050000 | 3
    assert cbpf.run(prog, top, X86_64, (0, 8)) == L.ACT_KILL_PROCESS
    assert cbpf.run(prog, nr("write"), X86_64) == ALLOW
    assert cbpf.run(prog, nr("read"), X86_64) == L.ACT_KILL_PROCESS


@pytest.mark.parametrize(("default", "extra", "stub"), [
    ("SCMP_ACT_ERRNO", {}, True),
    ("SCMP_ACT_KILL", {}, True),
    ("SCMP_ACT_TRAP", {}, True),
    ("SCMP_ACT_ERRNO", {"defaultErrnoRet": errno.ENOSYS}, False),  # the default says it already
    ("SCMP_ACT_ALLOW", {}, False),
    ("SCMP_ACT_LOG", {}, False),
    ("SCMP_ACT_TRACE", {}, False),  # a tracer handles new syscalls itself (runc)
])
def test_which_default_actions_get_the_stub(default: str, extra: dict[str, Any], stub: bool) -> None:
    sec = {"defaultAction": default, "architectures": ["SCMP_ARCH_X86_64"],
           "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_KILL" if default == "SCMP_ACT_ALLOW"
                         else "SCMP_ACT_ALLOW"}], **extra}
    prog = program(sec)
    assert has_stub(prog) is stub
    if stub:
        assert cbpf.run(prog, 1000, X86_64) == ENOSYS


def test_no_architectures_listed_no_stub() -> None:
    """As runc: the stub covers the architectures the profile lists, and only those."""
    prog = program({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [allow("getpid")]})
    assert not has_stub(prog)
    assert cbpf.run(prog, 1000, X86_64) == EPERM
