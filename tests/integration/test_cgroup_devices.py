"""The device cgroup on real containers: what a container may open is what its rules
(and runc's defaults after them) allow. v1 (hybrid) here: read back from devices.list
too; v2 in the guest: an eBPF filter, checked by its effect only.

The probe device is ``c 1:77``: the mem driver has no minor 77, so opening it fails
with ENXIO when the cgroup lets the open through, and with EPERM when the cgroup
refuses it; no real device is touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_cgroup_ops import cgroup_record, one_line_error

pytestmark = pytest.mark.root

#: devices.list of a container with runc's default config, as runc 1.1 leaves it here.
RUNC_DEFAULT_LIST = """\
b *:* m
c *:* m
c 1:3 rwm
c 1:5 rwm
c 1:7 rwm
c 1:8 rwm
c 1:9 rwm
c 5:0 rwm
c 5:2 rwm
c 10:200 rwm
c 136:* rwm
"""

# Open /tmp/probe (c 1:77) for reading, then writing, and /tmp/probe2 (c 1:78) for
# reading, with shell builtins; each line says what the open got.
PROBE = (
    "mknod /tmp/probe c 1 77 && mknod /tmp/probe2 c 1 78 && mknod /tmp/null c 1 3 || exit 9; "
    "{ true < /tmp/probe; true > /tmp/probe; true < /tmp/probe2; echo x > /tmp/null && echo null-ok; } "
    "> /tmp/out 2>&1; true"
)


def _run_probe(runtime: Any, bundle: Any, cid: str, rules: list[dict[str, Any]]) -> str:
    cfg = bundle.config
    for s in ("bounding", "effective", "permitted"):
        cfg["process"]["capabilities"][s].append("CAP_MKNOD")
    cfg["process"]["args"] = ["sh", "-c", PROBE]
    cfg["root"]["readonly"] = False
    cfg["linux"]["resources"]["devices"] = rules
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), cid, check=False)
    assert r.returncode == 0, r.stderr
    return (bundle.rootfs / "tmp" / "out").read_text()


def _lines(out: str) -> list[str]:
    """Each probe line reduced to its errno text (or null-ok)."""
    return [line.rsplit(": ", 1)[-1] for line in out.strip().splitlines()]


def test_default_rules_match_runc(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """runc's default config: the same allow list as runc's; an unlisted device is
    refused (EPERM) for read and write, though mknod of it is allowed."""
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    record = cgroup_record(runtime, cid)
    v1 = [p for k, p in record["paths"].items() if "devices" in k.split(",")]
    if v1:
        assert Path(v1[0], "devices.list").read_text() == RUNC_DEFAULT_LIST
    runtime("delete", "--force", cid)

    out = _run_probe(runtime, bundle, unique_id(), [{"allow": False, "access": "rwm"}])
    assert _lines(out) == ["Operation not permitted"] * 3 + ["null-ok"], out


def test_no_rules_still_get_the_allow_list(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """A config that says nothing about devices still gets the defaults, not all devices."""
    out = _run_probe(runtime, bundle, unique_id(), [])
    assert _lines(out) == ["Operation not permitted"] * 3 + ["null-ok"], out


def test_an_allow_rule_opens_one_device_for_its_access(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """allow c 1:77 r: reading gets through to the driver (ENXIO), writing does not
    (EPERM), nor does the neighbour 1:78."""
    rules = [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 1, "minor": 77,
                                                  "access": "r"}]
    out = _run_probe(runtime, bundle, unique_id(), rules)
    assert _lines(out) == ["No such device or address", "Operation not permitted",
                           "Operation not permitted", "null-ok"], out


def test_a_deny_list(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """allow all, then deny c 1:77 rw: only that device is refused (privileged-like)."""
    rules = [{"allow": True, "access": "rwm"}, {"allow": False, "type": "c", "major": 1, "minor": 77,
                                                 "access": "rw"}]
    out = _run_probe(runtime, bundle, unique_id(), rules)
    assert _lines(out) == ["Operation not permitted", "Operation not permitted",
                           "No such device or address", "null-ok"], out


def test_access_letters_other_than_rwm_are_ignored(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """As runc: deny c 1:77 "rwa" is deny rw (runc's update.bats writes "rwa")."""
    rules = [{"allow": True, "access": "rwm"}, {"allow": False, "type": "c", "major": 1, "minor": 77,
                                                 "access": "rwa"}]
    out = _run_probe(runtime, bundle, unique_id(), rules)
    assert _lines(out) == ["Operation not permitted", "Operation not permitted",
                           "No such device or address", "null-ok"], out


def test_exec_is_held_to_the_rules(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    cfg = bundle.config
    for s in ("bounding", "effective", "permitted"):
        cfg["process"]["capabilities"][s].append("CAP_MKNOD")
    cfg["process"]["args"] = ["sh", "-c", "mknod /tmp/probe c 1 77; sleep 30"]
    cfg["root"]["readonly"] = False
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    r = runtime("exec", cid, "sh", "-c", "for i in 1 2 3 4 5 6 7 8 9; do [ -e /tmp/probe ] && break; "
                "sleep 0.2; done; true < /tmp/probe", check=False)
    assert "Operation not permitted" in r.stderr, r
    runtime("delete", "--force", cid)


def test_a_hole_in_a_wildcard_is_refused(runtime: Any, bundle: Any, unique_id: Any,
                                         no_leaks: Any) -> None:
    """Allowing c *:* rwm then denying c 1:77: cgroup v1 would silently keep 1:77
    allowed, so hutch refuses the config (as runc does)."""
    cid = unique_id()
    bundle.config["linux"]["resources"]["devices"] = [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "access": "rwm"},
        {"allow": False, "type": "c", "major": 1, "minor": 77, "access": "r"},
    ]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), cid, check=False)
    one_line_error(r, "$.linux.resources.devices[2]", "c *:* rwm", "hole")
    assert runtime.ids() == []
    no_leaks(cid)


@pytest.mark.parametrize(("rule", "words"), [
    ({"allow": True, "type": "x"}, "$.linux.resources.devices[0].type"),
    ({"allow": True, "access": "xa"}, "$.linux.resources.devices[0].access"),
    ({"allow": True, "access": ""}, "$.linux.resources.devices[0].access"),
    ({"allow": True, "type": "c", "major": -2}, "$.linux.resources.devices[0].major"),
])
def test_bad_device_rules(runtime: Any, bundle: Any, unique_id: Any, no_leaks: Any,
                          rule: dict[str, Any], words: str) -> None:
    cid = unique_id()
    bundle.config["linux"]["resources"]["devices"] = [rule]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), cid, check=False)
    one_line_error(r, words)
    assert runtime.ids() == []
    no_leaks(cid)
