"""`update`'s request handling: flags and --resources JSON to changes, runc's zero rule, merging."""

from __future__ import annotations

from pathlib import Path

import pytest

from hutch.cli.args import parse
from hutch.cli.runtime.update import flags as update_flags
from hutch.cli.runtime.update import parse_value, read_request, request_from_flags
from hutch.container.update import merge, normalize_request
from hutch.errors import InvalidArgument


def flags(*argv: str) -> dict[str, object]:
    return request_from_flags(parse([*argv, "box"], update_flags()))


def test_flags_to_request() -> None:
    assert flags("--memory", "512m", "--memory-swap=-1", "--cpu-quota", "50000", "--cpu-period",
                 "100000", "--cpu-shares", "512", "--pids-limit", "-1", "--cpuset-cpus", "0-1",
                 "--blkio-weight", "300") == {
        "memory": {"limit": 512 << 20, "swap": -1},
        "cpu": {"quota": 50000, "period": 100000, "shares": 512, "cpus": "0-1"},
        "pids": {"limit": -1},
        "blockIO": {"weight": 300},
    }
    assert flags("--cpu-share", "2") == {"cpu": {"shares": 2}}  # runc's own spelling
    assert flags() == {}


@pytest.mark.parametrize(("argv", "words"), [
    (["--memory", "lots"], "--memory"),
    (["--cpu-period", "-5"], "--cpu-period"),
    (["--cpu-quota", "1.5"], "--cpu-quota"),
    (["--pids-limit", "x"], "--pids-limit"),
    (["--cpu-share", str(1 << 64)], "out of range"),
    (["--memory-reservation", "-2"], "--memory-reservation"),
])
def test_bad_flag_values(argv: list[str], words: str) -> None:
    with pytest.raises(InvalidArgument, match=words):
        flags(*argv)


def test_parse_value_kinds() -> None:
    assert parse_value("memory", "ram", "-1") == -1
    assert parse_value("memory", "ram", "1k") == 1024
    assert parse_value("cpu-quota", "i64", "-1") == -1
    assert parse_value("cpuset-mems", "str", "0") == "0"


def test_normalize_drops_zero_devices_and_kernel_memory() -> None:
    warnings: list[str] = []
    got = normalize_request({
        "devices": [{"allow": False, "access": "rwm"}],
        "memory": {"limit": 0, "reservation": 1024, "kernel": 4096, "swappiness": 0},
        "cpu": {"shares": 0, "cpus": "", "quota": -1},
        "pids": {"limit": 0},
        "blockIO": {"weight": 0},
        "network": None,
        "unified": {"memory.high": "max"},
    }, "--resources", warnings.append)
    # swappiness 0 is a real value (runc's "zero is unchanged" covers only what it reads)
    assert got == {"memory": {"reservation": 1024, "swappiness": 0}, "cpu": {"quota": -1},
                   "unified": {"memory.high": "max"}}
    assert warnings == ["kernel memory settings are ignored and will be removed"]
    assert normalize_request({"memory": {"disableOOMKiller": False}}, "x", warnings.append) == {
        "memory": {"disableOOMKiller": False}}  # False is not a zero
    with pytest.raises(InvalidArgument, match="--resources: the resources must be a JSON object"):
        normalize_request([1], "--resources", warnings.append)


def test_merge() -> None:
    current = {
        "devices": [{"allow": False, "access": "rwm"}],
        "memory": {"limit": 100, "swap": 200},
        "cpu": {"quota": 1000, "period": 10000},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 0}, {"pageSize": "1GB", "limit": 0}],
    }
    got = merge(current, {"memory": {"limit": 150}, "cpu": {"quota": 2000}, "pids": {"limit": 10},
                          "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]})
    assert got == {
        "devices": [{"allow": False, "access": "rwm"}],
        "memory": {"limit": 150, "swap": 200},
        "cpu": {"quota": 2000, "period": 10000},  # runc: one of quota/period keeps the other
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}, {"pageSize": "1GB", "limit": 0}],
        "pids": {"limit": 10},
    }
    assert current["memory"] == {"limit": 100, "swap": 200}  # not modified
    assert merge(current, {"memory": {"limit": -1}})["memory"] == {"limit": -1, "swap": -1}
    assert merge(current, {"memory": {"limit": -1, "swap": 300}})["memory"] == {"limit": -1, "swap": 300}


def test_read_request(tmp_path: Path) -> None:
    f = tmp_path / "r.json"
    f.write_text('{"memory": {"limit": 1}}')
    assert read_request(str(f)) == {"memory": {"limit": 1}}
    f.write_text('{"memory": ')
    with pytest.raises(InvalidArgument, match=r"r\.json is not valid JSON: .*line 1"):
        read_request(str(f))
    with pytest.raises(InvalidArgument, match=r"cannot read .*nope"):
        read_request(str(tmp_path / "nope"))


def test_resources_keys_match_in_any_case_as_go_does() -> None:
    from hutch.spec.lite import fold_keys

    doc = {"CPU": {"Cpus": "1", "MEMS": "0", "realtimePeriod": 5}, "Pids": {"LIMIT": 3},
           "blockio": {"WeightDevice": [{"Major": 8, "minor": 0, "WEIGHT": 10}]},
           "Unified": {"Memory.Min": "1"}, "hugepagelimits": [{"PageSize": "2MB", "Limit": 1}],
           "nosuch": {"X": 1}}
    assert fold_keys("Resources", doc) == {
        "cpu": {"cpus": "1", "mems": "0", "realtimePeriod": 5}, "pids": {"limit": 3},
        "blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 10}]},
        "unified": {"Memory.Min": "1"},  # a map's keys are data, not field names
        "hugepageLimits": [{"pageSize": "2MB", "limit": 1}],
        "nosuch": {"X": 1},  # unknown: left for the checks to name
    }
    assert doc["CPU"] == {"Cpus": "1", "MEMS": "0", "realtimePeriod": 5}  # not changed in place
    assert fold_keys("Resources", [1]) == [1]
