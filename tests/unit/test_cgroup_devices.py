"""Device rules (hutch.cgroups.devices), the eBPF program built from them
(hutch.cgroups.devfilter), and their checks in config.json: pure, no root."""

from __future__ import annotations

import random
import struct

import pytest

from hutch.cgroups import devfilter
from hutch.cgroups.devices import DEFAULT_ALLOWED, DeviceRuleError, Ruleset, container_rules, rule
from hutch.errors import CgroupError, InvalidSpec
from hutch.specconv import resources

DENY_ALL = rule(False, "a")
ALLOW_ALL = rule(True, "a")


def test_deny_all_then_allows_is_an_allow_list() -> None:
    rs = Ruleset.of([DENY_ALL, rule(True, "c", 1, 3), rule(True, "c", 1, 3, "r"),
                     rule(True, "b", 8, -1, "mr")])
    assert not rs.default_allow
    assert rs.exceptions == {("c", 1, 3): "rwm", ("b", 8, -1): "rm"}
    assert rs.allows("c", 1, 3, "w")
    assert rs.allows("b", 8, 17, "r") and not rs.allows("b", 8, 17, "w")
    assert not rs.allows("c", 1, 5, "r")


def test_deny_rules_take_permissions_away() -> None:
    rs = Ruleset.of([DENY_ALL, rule(True, "c", 1, 3), rule(False, "c", 1, 3, "wm")])
    assert rs.exceptions == {("c", 1, 3): "r"}
    rs.apply(False, "c", 1, 3, "r")
    assert rs.exceptions == {}


def test_an_a_rule_resets() -> None:
    rs = Ruleset.of([rule(True, "c", 1, 3), ALLOW_ALL, rule(False, "c", 1, 77, "rw")])
    assert rs.default_allow and rs.exceptions == {("c", 1, 77): "rw"}
    assert not rs.allows("c", 1, 77, "r") and rs.allows("c", 1, 77, "m") and rs.allows("c", 1, 78, "r")
    assert Ruleset.of([*[rule(True, "c", i, 0) for i in range(5)], DENY_ALL]) == Ruleset()


def test_no_holes_in_wildcards() -> None:
    with pytest.raises(DeviceRuleError) as info:
        Ruleset.of([DENY_ALL, rule(True, "c", access="rwm"), rule(False, "c", 1, 77, "r")], "where")
    assert info.value.index == 2
    assert "where[2]" in str(info.value) and "c *:* rwm" in str(info.value)
    # a disjoint permission or another type is fine
    Ruleset.of([DENY_ALL, rule(True, "c", access="m"), rule(False, "c", 1, 77, "r"), rule(False, "b", 1, 77)])


def test_devices_list_round_trip() -> None:
    rs = Ruleset.from_list("c 1:3 rwm\nb *:* m\nc 136:* rw\n")
    assert rs == Ruleset(False, {("c", 1, 3): "rwm", ("b", -1, -1): "m", ("c", 136, -1): "rw"})
    assert Ruleset.from_list("a *:* rwm\n") == Ruleset(True)
    assert Ruleset.from_list("") == Ruleset()
    with pytest.raises(CgroupError):
        Ruleset.from_list("q 1:3 rwm")


def test_transition_from_a_fresh_cgroup_starts_with_deny_all() -> None:
    target = Ruleset.of([DENY_ALL, rule(True, "c", 1, 3), rule(True, "b", access="m")])
    writes = Ruleset.from_list("a *:* rwm").transition(target)
    assert writes == [("devices.deny", "a *:* rwm"), ("devices.allow", "b *:* m"),
                      ("devices.allow", "c 1:3 rwm")]


def test_transition_between_allow_lists_writes_only_the_difference() -> None:
    current = Ruleset.from_list("c 1:3 rwm\nc 1:5 rwm\n")
    target = Ruleset.of([DENY_ALL, rule(True, "c", 1, 3, "r"), rule(True, "c", 1, 9)])
    assert current.transition(target) == [
        ("devices.deny", "c 1:3 wm"), ("devices.deny", "c 1:5 rwm"), ("devices.allow", "c 1:9 rwm"),
    ]
    assert target.transition(target) == []


def test_transition_to_a_deny_list() -> None:
    target = Ruleset.of([ALLOW_ALL, rule(False, "c", 1, 77, "rw")])
    assert Ruleset.from_list("c 1:3 rwm").transition(target) == [
        ("devices.allow", "a *:* rwm"), ("devices.deny", "c 1:77 rw"),
    ]


def test_container_rules_append_the_defaults_minus_replaced_paths() -> None:
    spec = [DENY_ALL]
    rules = container_rules(spec, ["/dev/null", "/dev/fuse"])
    assert rules[0] == DENY_ALL
    assert len(rules) == 1 + len(DEFAULT_ALLOWED) - 1
    assert rule(True, "c", 1, 3) not in rules and rule(True, "c", 1, 5) in rules


# ---- the eBPF program ------------------------------------------------------------------


def _random_ruleset(rng: random.Random) -> Ruleset:
    rules = [rng.choice([DENY_ALL, ALLOW_ALL])]
    for _ in range(rng.randrange(8)):
        kind = rng.choice("bc")
        major = rng.choice([-1, 1, 8, 136])
        minor = rng.choice([-1, 0, 3, 77])
        access = "".join(p for p in "rwm" if rng.random() < 0.6) or "r"
        rules.append(rule(rng.random() < 0.5, kind, major, minor, access))
    rs = Ruleset()
    for r in rules:
        try:
            rs.apply(r["allow"], r["type"], r["major"], r["minor"], r["access"])
        except CgroupError:
            pass  # a hole in a wildcard: skip that rule
    return rs


def test_the_program_decides_as_the_rules() -> None:
    """For many random rulesets, the assembled program (interpreted) gives the verdict
    Ruleset.allows gives, for every device and access of a sample."""
    rng = random.Random(20261201)
    kinds = {"b": devfilter.DEV_BLOCK, "c": devfilter.DEV_CHAR}
    accesses = {"r": devfilter.ACC_READ, "w": devfilter.ACC_WRITE, "m": devfilter.ACC_MKNOD}
    for _ in range(300):
        rs = _random_ruleset(rng)
        insns = devfilter.instructions(rs)
        for kind in "bc":
            for major in (1, 8, 136, 200):
                for minor in (0, 3, 77, 5):
                    for acc in "rwm":
                        want = rs.allows(kind, major, minor, acc)
                        got = devfilter.run(insns, kinds[kind], accesses[acc], major, minor)
                        assert got == int(want), (rs, kind, major, minor, acc)


def test_program_encoding() -> None:
    rs = Ruleset.of([DENY_ALL, rule(True, "c", 1, 3)])
    code = devfilter.program(rs)
    insns = devfilter.instructions(rs)
    assert len(code) == 8 * len(insns)
    # r2 = *(u32 *)(r1 + 0): opcode 0x61, dst 2 in the low nibble, src 1 in the high one
    assert code[:8] == struct.pack("<BBhi", 0x61, 0x12, 0, 0)
    assert insns[-2:] == [(devfilter.MOV32_K, 0, 0, 0, 0), (devfilter.EXIT, 0, 0, 0, 0)]
    # an rwm rule has no access test: type, major, minor, verdict, exit
    assert len(insns) == 6 + 5 + 2


def test_every_jump_lands_on_a_block_start() -> None:
    rs = Ruleset.of([DENY_ALL, *(rule(True, "c", i, -1 if i % 2 else 0, "rw") for i in range(6))])
    insns = devfilter.instructions(rs)
    starts = {i for i, ins in enumerate(insns) if i >= 6 and insns[i - 1][0] == devfilter.EXIT} | {6}
    for pc, (code, _, _, off, _) in enumerate(insns):
        if code in (devfilter.JNE_K, devfilter.JNE_X):
            assert off >= 0 and pc + 1 + off in starts


# ---- config.json checks ---------------------------------------------------------------


def test_rules_are_normalized() -> None:
    out = resources.check({"devices": [{"allow": False}, {"allow": True, "type": "c", "major": 1,
                                                          "access": "mr"}]})
    assert out["devices"] == [DENY_ALL, rule(True, "c", 1, -1, "rm")]
    # letters other than r, w, m are ignored, as runc does (runc's own tests use "rwa")
    kmsg = {"allow": False, "type": "c", "major": 1, "minor": 11, "access": "rwa"}
    out = resources.check({"devices": [kmsg]})
    assert out["devices"] == [rule(False, "c", 1, 11, "rw")]


@pytest.mark.parametrize(("bad", "path"), [
    ({"type": "c"}, "$.linux.resources.devices[0]"),
    ({"allow": 1}, "$.linux.resources.devices[0].allow"),
    ({"allow": True, "type": "u"}, "$.linux.resources.devices[0].type"),
    ({"allow": True, "access": "xa"}, "$.linux.resources.devices[0].access"),
    ({"allow": True, "access": ""}, "$.linux.resources.devices[0].access"),
    ({"allow": True, "major": 5000}, "$.linux.resources.devices[0].major"),
    ({"allow": True, "minor": -3}, "$.linux.resources.devices[0].minor"),
])
def test_bad_rules(bad: dict[str, object], path: str) -> None:
    with pytest.raises(InvalidSpec) as info:
        resources.check({"devices": [bad]})
    assert info.value.jsonpath == path
