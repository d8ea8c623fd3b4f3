"""linux.seccomp -> BPF (hutch.seccomp.compile): what runc's rules make of a profile. No root."""

from __future__ import annotations

import os
import struct
from typing import Any

import pytest

from hutch._sys import seccomp as K
from hutch.errors import InvalidSpec
from hutch.seccomp.compile import _arg_rules, compile_filter


def compiled(sec: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    warnings: list[str] = []
    return compile_filter(sec, warnings.append), warnings  # type: ignore[return-value]


def instructions(program_hex: str) -> list[tuple[int, int, int, int]]:
    data = bytes.fromhex(program_hex)
    return [struct.unpack_from("=HBBI", data, i) for i in range(0, len(data), 8)]


def test_nothing_asked_is_no_filter() -> None:
    assert compiled({})[0] is None
    assert compiled({"syscalls": []})[0] is None


def test_a_profile_compiles_to_bpf_ending_in_returns() -> None:
    rule = {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
    plan, warnings = compiled({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule]})
    assert plan is not None and not warnings
    insns = instructions(plan["program"])
    rets = {k for code, _, _, k in insns if code == 0x06}  # BPF_RET | BPF_K
    assert 0x7FFF0000 in rets  # SECCOMP_RET_ALLOW
    assert 0x00050000 | 13 in rets  # SECCOMP_RET_ERRNO | EACCES
    assert plan["flags"] == 0 and plan["listener_path"] == ""


def test_errno_defaults_to_eperm_and_a_rule_like_the_default_is_dropped() -> None:
    plan, _ = compiled({"defaultAction": "SCMP_ACT_ERRNO",
                        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO"},
                                     {"names": ["write"], "action": "SCMP_ACT_ALLOW"}]})
    assert plan is not None
    rets = {k for code, _, _, k in instructions(plan["program"]) if code == 0x06}
    assert 0x00050000 | 1 in rets and 0x7FFF0000 in rets


def test_flags_and_notify() -> None:
    plan, _ = compiled({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG",
                                                                   "SECCOMP_FILTER_FLAG_TSYNC"],
                        "listenerPath": "/run/agent.sock", "listenerMetadata": "m",
                        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]})
    assert plan is not None
    assert plan["flags"] == K.FLAG_LOG | K.FLAG_NEW_LISTENER
    assert (plan["listener_path"], plan["listener_metadata"]) == ("/run/agent.sock", "m")


def test_unknown_names_warn_once() -> None:
    rule = {"names": ["nope1", "mkdir", "nope2"], "action": "SCMP_ACT_KILL"}
    plan, warnings = compiled({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_SHEB"],
                               "syscalls": [rule]})
    assert plan is not None
    assert len(warnings) == 1 and all(w in warnings[0] for w in ("nope1", "nope2", "SCMP_ARCH_SHEB"))


def test_conditions_and_unless_one_argument_is_tested_twice() -> None:
    a = {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}
    b = {"index": 1, "value": 2, "op": "SCMP_CMP_GE"}
    c = {"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}
    assert _arg_rules([a, b], "p") == [[(0, 4, 1, 0), (1, 5, 2, 0)]]  # one rule: AND
    assert _arg_rules([a, c], "p") == [[(0, 4, 1, 0)], [(0, 4, 3, 0)]]  # one rule each: OR
    assert _arg_rules([], "p") == [[]]


@pytest.mark.parametrize(("sec", "path"), [
    ({"defaultAction": "SCMP_ACT_NOPE"}, "$.linux.seccomp.defaultAction"),
    ({"defaultAction": "SCMP_ACT_NOTIFY"}, "$.linux.seccomp.defaultAction"),
    ({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4096}, "$.linux.seccomp.defaultAction"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["X"]}, "$.linux.seccomp.flags[0]"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]},
     "$.linux.seccomp.listenerPath"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/x",
      "syscalls": [{"names": ["write"], "action": "SCMP_ACT_NOTIFY"}]}, "$.linux.seccomp.syscalls[0].names"),
    ({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_KILL",
                    "args": [{"index": 9, "value": 0, "op": "SCMP_CMP_EQ"}]}]},
     "$.linux.seccomp.syscalls[0].args[0].index"),
])
def test_bad_profiles(sec: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidSpec) as info:
        compiled(sec)
    assert info.value.jsonpath == path


def _count_compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """An empty in-memory cache, and a list that grows by one per real compilation."""
    from hutch.seccomp import compile as mod

    monkeypatch.setattr(mod, "_CACHE", {})
    calls: list[int] = []
    real = mod.compile_filter

    def counting(sec: Any, warn: Any, where: str = "$.linux.seccomp") -> Any:
        calls.append(1)
        return real(sec, warn, where)

    monkeypatch.setattr(mod, "compile_filter", counting)
    return calls


def test_the_same_profile_is_compiled_once_and_warns_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from hutch.seccomp import compile as mod

    calls = _count_compiles(monkeypatch)
    sec = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
           "syscalls": [{"names": ["read", "no_such_call_hutch"], "action": "SCMP_ACT_ALLOW"}]}
    said: list[str] = []
    first = mod.compile_cached(sec, said.append)
    again = mod.compile_cached(dict(reversed(list(sec.items()))), said.append)  # key order is no matter
    assert first == again and first is not again and len(calls) == 1
    assert len(said) == 2 and "no_such_call_hutch" in said[1] and said[0] == said[1]
    other = mod.compile_cached({**sec, "defaultAction": "SCMP_ACT_KILL"}, said.append)
    assert other != first and len(calls) == 2
    with pytest.raises(InvalidSpec):  # an error is raised every time, never remembered
        mod.compile_cached({"defaultAction": "SCMP_ACT_BOGUS"}, said.append)
    with pytest.raises(InvalidSpec):
        mod.compile_cached({"defaultAction": "SCMP_ACT_BOGUS"}, said.append)


def test_a_compiled_profile_is_kept_on_disk_for_the_next_process(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Any) -> None:
    from hutch.seccomp import compile as mod

    calls = _count_compiles(monkeypatch)
    cache = str(tmp_path / "cache")
    sec = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
           "syscalls": [{"names": ["read", "no_such_call_hutch"], "action": "SCMP_ACT_ALLOW"}]}
    said: list[str] = []
    first = mod.compile_cached(sec, said.append, cache)
    [name] = os.listdir(cache)
    assert os.stat(os.path.join(cache, name)).st_mode & 0o777 == 0o600
    assert os.stat(cache).st_mode & 0o777 == 0o700
    monkeypatch.setattr(mod, "_CACHE", {})  # a new process
    assert mod.compile_cached(sec, said.append, cache) == first and len(calls) == 1
    assert said[0] == said[1]  # the warnings come back too
    # a file that holds another profile under this name is a miss, and is replaced
    path = os.path.join(cache, name)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("no_such_call_hutch", "no_such_call_other"))
    monkeypatch.setattr(mod, "_CACHE", {})
    assert mod.compile_cached(sec, said.append, cache) == first and len(calls) == 2
    # at most _DISK_ENTRIES files: the oldest go
    monkeypatch.setattr(mod, "_DISK_ENTRIES", 2)
    for action in ("SCMP_ACT_KILL", "SCMP_ACT_TRAP"):
        mod.compile_cached({**sec, "defaultAction": action}, said.append, cache)
    assert len(os.listdir(cache)) == 2 and name not in os.listdir(cache)
