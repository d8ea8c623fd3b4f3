"""Seccomp profile templates (hutch.engine.seccomp_profile): containers/common's conditions. No root."""

from __future__ import annotations

from typing import Any

from hutch.engine.seccomp_profile import from_template, kernel_version

TEMPLATE: dict[str, Any] = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 38,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "",
         "includes": {}, "excludes": {}},
        {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
        {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["clone3"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.3"}},
        {"names": ["old"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "4.0"}},
        {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_NE"}]},
    ],
}


def names(profile: dict[str, Any]) -> list[tuple[str, str]]:
    return [(n, c["action"]) for c in profile["syscalls"] for n in c["names"]]


def test_without_caps_on_amd64() -> None:
    p = from_template(TEMPLATE, ["CAP_KILL"], machine="x86_64", release="6.1.0-1-amd64")
    assert p["defaultAction"] == "SCMP_ACT_ERRNO" and p["defaultErrnoRet"] == 38
    assert p["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert names(p) == [("read", "SCMP_ACT_ALLOW"), ("write", "SCMP_ACT_ALLOW"),
                        ("arch_prctl", "SCMP_ACT_ALLOW"), ("bpf", "SCMP_ACT_ERRNO"),
                        ("clone3", "SCMP_ACT_ALLOW"), ("socket", "SCMP_ACT_ALLOW")]
    assert all(set(c) <= {"names", "action", "errnoRet", "args"} for c in p["syscalls"])
    assert p["syscalls"][-1]["args"] == [{"index": 0, "value": 16, "op": "SCMP_CMP_NE"}]


def test_caps_arch_and_kernel_decide() -> None:
    p = from_template(TEMPLATE, ["CAP_SYS_ADMIN"], machine="aarch64", release="4.19.0")
    assert p["architectures"] == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
    got = names(p)
    assert ("bpf", "SCMP_ACT_ALLOW") in got and ("bpf", "SCMP_ACT_ERRNO") not in got
    assert ("arch_prctl", "SCMP_ACT_ALLOW") not in got and ("clone3", "SCMP_ACT_ALLOW") not in got


def test_kernel_version() -> None:
    assert kernel_version("6.18.0-1-cloud-amd64") == (6, 18)
    assert kernel_version("5.3") == (5, 3)
