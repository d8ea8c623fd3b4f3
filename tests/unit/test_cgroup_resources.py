"""linux.resources: check() (validation, normalization), translate() (v1, v2, hybrid
tables and runc's conversions) and Manager.set() on fake cgroup trees under tmp_path."""

from __future__ import annotations

import copy
import errno
import os
from pathlib import Path
from typing import Any

import pytest

from hutch.cgroups import translate as tr
from hutch.cgroups.cgfs import CgroupFS, CgroupIOError
from hutch.cgroups.cpulist import parse_list
from hutch.cgroups.limits import ResourceWriteError, hugepage_sizes
from hutch.cgroups.manager import Manager
from hutch.errors import CgroupError, InvalidSpec
from hutch.specconv.resources import check, check_unified_key, page_size_bytes

V1 = {"memory": 1, "cpu": 1, "cpuacct": 1, "cpuset": 1, "pids": 1, "io": 1, "hugetlb": 1,
      "net_cls": 1, "net_prio": 1, "rdma": 1}
V2 = {c: 2 for c in ("memory", "cpu", "cpuset", "pids", "io", "hugetlb", "rdma", "misc", "cgroup")}
HYBRID = {"memory": 1, "cpu": 1, "cpuacct": 1, "cpuset": 1, "pids": 1, "io": 1, "hugetlb": 2, "cgroup": 2}

FULL: dict[str, Any] = {
    "devices": [{"allow": False, "type": "a", "major": -1, "minor": -1, "access": "rwm"}],
    "memory": {"limit": 100 << 20, "reservation": 50 << 20, "swap": 200 << 20, "kernelTCP": 8 << 20,
               "swappiness": 10, "disableOOMKiller": True, "useHierarchy": True},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "burst": 1000, "realtimeRuntime": 950,
            "realtimePeriod": 1000000, "cpus": "0-1", "mems": "0", "idle": 0},
    "pids": {"limit": 32},
    "blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 300}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}],
                "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 0}]},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}],
    "network": {"classID": 0x100001, "priorities": [{"name": "eth0", "priority": 5}]},
    "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 100}},
}


def keys(writes: list[tr.Write]) -> list[tuple[int, str, str, str]]:
    return [w.key() for w in writes]


# ---- check() -----------------------------------------------------------------------------


def test_check_accepts_a_full_config_and_is_idempotent() -> None:
    res = copy.deepcopy(FULL)
    res["unified"] = {"memory.high": "1G", "cgroup.max.depth": "3"}
    once = check(res)
    assert once == res
    assert check(once) == once


def test_check_drops_nulls_and_unset_markers() -> None:
    assert check(None) == {}
    assert check({"memory": {"limit": None, "swappiness": -1}, "cpu": None}) == {"memory": {}}
    assert check({"memory": {"swappiness": 2**64 - 1}}) == {"memory": {}}
    assert check({"cpu": {"cpus": " 0-1 \n"}}) == {"cpu": {"cpus": "0-1"}}


@pytest.mark.parametrize(
    ("res", "path", "words"),
    [
        ({"memroy": {}}, "$.linux.resources.memroy", "unknown field"),
        ({"memory": {"limit": -2}}, "$.linux.resources.memory.limit", "-1 for unlimited"),
        ({"memory": {"limit": "1G"}}, "$.linux.resources.memory.limit", "expected an integer"),
        ({"memory": {"limit": True}}, "$.linux.resources.memory.limit", "a boolean"),
        ({"memory": {"limit": 2**63}}, "$.linux.resources.memory.limit", "out of range"),
        ({"memory": {"reservation": -5}}, "$.linux.resources.memory.reservation", "byte count -5 out"),
        ({"memory": {"limit": 200, "swap": 100}}, "$.linux.resources.memory.swap", "below the memory limit"),
        ({"memory": {"swappiness": 101}}, "$.linux.resources.memory.swappiness", "0..100"),
        ({"memory": {"disableOOMKiller": 1}}, "$.linux.resources.memory.disableOOMKiller", "true or false"),
        ({"cpu": {"shares": 1}}, "$.linux.resources.cpu.shares", "2..262144"),
        ({"cpu": {"shares": 262145}}, "$.linux.resources.cpu.shares", "2..262144"),
        ({"cpu": {"shares": -1}}, "$.linux.resources.cpu.shares", "out of range"),
        ({"cpu": {"quota": 999}}, "$.linux.resources.cpu.quota", "1000.."),
        ({"cpu": {"quota": -2}}, "$.linux.resources.cpu.quota", "-1 for no limit"),
        ({"cpu": {"quota": 2**44}}, "$.linux.resources.cpu.quota", "out of range"),
        ({"cpu": {"period": 999}}, "$.linux.resources.cpu.period", "1000..1000000"),
        ({"cpu": {"period": 1000001}}, "$.linux.resources.cpu.period", "1000..1000000"),
        ({"cpu": {"quota": 5000, "burst": 6000}}, "$.linux.resources.cpu.burst", "must not exceed the quota"),
        ({"cpu": {"idle": 2}}, "$.linux.resources.cpu.idle", "0..1"),
        ({"cpu": {"realtimeRuntime": -3}}, "$.linux.resources.cpu.realtimeRuntime", "-1 for no limit"),
        ({"cpu": {"realtimeRuntime": 2000, "realtimePeriod": 1000}}, "$.linux.resources.cpu.realtimeRuntime",
         "must not exceed"),
        ({"cpu": {"cpus": "2-1"}}, "$.linux.resources.cpu.cpus", "backwards"),
        ({"cpu": {"cpus": "0,,1"}}, "$.linux.resources.cpu.cpus", "not a number"),
        ({"cpu": {"mems": "x"}}, "$.linux.resources.cpu.mems", "not a number"),
        ({"cpu": {"cpus": 1}}, "$.linux.resources.cpu.cpus", "expected a string"),
        ({"pids": {"limit": -2}}, "$.linux.resources.pids.limit", "out of range"),
        ({"pids": {"limit": 4194305}}, "$.linux.resources.pids.limit", "out of range"),
        ({"pids": {}}, "$.linux.resources.pids.limit", "required"),
        ({"blockIO": {"weight": 5}}, "$.linux.resources.blockIO.weight", "10..1000"),
        ({"blockIO": {"leafWeight": 1001}}, "$.linux.resources.blockIO.leafWeight", "10..1000"),
        ({"blockIO": {"weightDevice": [{"major": 8, "minor": 0}]}},
         "$.linux.resources.blockIO.weightDevice[0]",
         "needs weight or leafWeight"),
        ({"blockIO": {"throttleReadBpsDevice": [{"major": 4096, "minor": 0, "rate": 1}]}},
         "$.linux.resources.blockIO.throttleReadBpsDevice[0].major", "out of range"),
        ({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0}]}},
         "$.linux.resources.blockIO.throttleReadBpsDevice[0].rate", "required"),
        ({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": -1}]}},
         "$.linux.resources.blockIO.throttleReadBpsDevice[0].rate", "out of range"),
        ({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]}, "$.linux.resources.hugepageLimits[0].pageSize",
         "such as 2MB"),
        ({"hugepageLimits": [{"pageSize": "3MB", "limit": 1}]},
         "$.linux.resources.hugepageLimits[0].pageSize",
         "power of two"),
        ({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}, {"pageSize": "2MB", "limit": 2}]},
         "$.linux.resources.hugepageLimits[1].pageSize", "listed twice"),
        ({"hugepageLimits": {"pageSize": "2MB"}}, "$.linux.resources.hugepageLimits", "expected an array"),
        ({"network": {"classID": -1}}, "$.linux.resources.network.classID", "out of range"),
        ({"network": {"priorities": [{"name": "a/b", "priority": 1}]}},
         "$.linux.resources.network.priorities[0].name", "not a network interface name"),
        ({"rdma": {"mlx": {}}}, "$.linux.resources.rdma.mlx", "needs hcaHandles or hcaObjects"),
        ({"rdma": {"a b": {"hcaHandles": 1}}}, "$.linux.resources.rdma.a b", "not an RDMA device name"),
        ({"unified": {"memory.high": 5}}, "$.linux.resources.unified['memory.high']", "expected a string"),
        ({"unified": {"../memory.max": "1"}}, "$.linux.resources.unified['../memory.max']", "no slashes"),
        ({"unified": {"..": "1"}}, "$.linux.resources.unified['..']", "no slashes"),
        ({"unified": {"memory": "1"}}, "$.linux.resources.unified['memory']", "CONTROLLER.PARAMETER"),
        ({"unified": {".max": "1"}}, "$.linux.resources.unified['.max']", "CONTROLLER.PARAMETER"),
        ({"unified": {"cgroup.procs": "1"}}, "$.linux.resources.unified['cgroup.procs']", "core cgroup file"),
        ({"unified": {"cgroup.subtree_control": "+cpu"}},
         "$.linux.resources.unified['cgroup.subtree_control']",
         "core cgroup file"),
        ("nope", "$.linux.resources", "expected an object"),
    ],
)
def test_check_names_the_bad_field(res: Any, path: str, words: str) -> None:
    with pytest.raises(InvalidSpec) as exc:
        check(res)
    assert exc.value.jsonpath == path
    assert words in str(exc.value)
    assert "\n" not in str(exc.value)


def test_check_where_prefixes_paths() -> None:
    with pytest.raises(InvalidSpec) as exc:
        check({"pids": {"limit": -7}}, "resources")
    assert exc.value.jsonpath == "resources.pids.limit"


@pytest.mark.parametrize(("text", "want"), [
    ("0", [0]), ("0-2,4", [0, 1, 2, 4]), ("3,1", [1, 3]), ("0-7:2/4", [0, 1, 4, 5]), (" 1-2\n", [1, 2]),
])
def test_parse_list(text: str, want: list[int]) -> None:
    assert parse_list(text) == want


@pytest.mark.parametrize("text", ["", "-1", "1-", "a", "1,", "0-3:5/4", "0:1/2", "99999"])
def test_parse_list_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_list(text)


def test_page_sizes_and_unified_keys() -> None:
    assert page_size_bytes("64KB") == 65536
    assert page_size_bytes("2MB") == 2 << 20
    assert page_size_bytes("1GB") == 1 << 30
    assert check_unified_key("io.max") is None
    assert check_unified_key("cgroup.max.descendants") is None
    assert check_unified_key("cgroup.kill") is not None


# ---- translate(): v1 --------------------------------------------------------------------------


def test_v1_table() -> None:
    got = keys(tr.translate(check(FULL), V1))
    assert got == [
        (1, "memory", "memory.kmem.tcp.limit_in_bytes", str(8 << 20)),
        (1, "memory", "memory.limit_in_bytes", str(100 << 20)),
        (1, "memory", "memory.memsw.limit_in_bytes", str(200 << 20)),
        (1, "memory", "memory.soft_limit_in_bytes", str(50 << 20)),
        (1, "memory", "memory.swappiness", "10"),
        (1, "memory", "memory.oom_control", "1"),
        (1, "memory", "memory.use_hierarchy", "1"),
        (1, "pids", "pids.max", "32"),
        (1, "cpu", "cpu.shares", "512"),
        (1, "cpu", "cpu.cfs_period_us", "100000"),
        (1, "cpu", "cpu.cfs_burst_us", "1000"),
        (1, "cpu", "cpu.cfs_quota_us", "50000"),
        (1, "cpu", "cpu.idle", "0"),
        (1, "cpu", "cpu.rt_period_us", "1000000"),
        (1, "cpu", "cpu.rt_runtime_us", "950"),
        (1, "cpuset", "cpuset.cpus", "0-1"),
        (1, "cpuset", "cpuset.mems", "0"),
        (1, "blkio", "blkio.weight", "500"),
        (1, "blkio", "blkio.weight_device", "8:0 300"),
        (1, "blkio", "blkio.throttle.read_bps_device", "8:0 1000"),
        (1, "blkio", "blkio.throttle.write_iops_device", "8:0 0"),
        (1, "hugetlb", "hugetlb.2MB.limit_in_bytes", str(4 << 20)),
        (1, "hugetlb", "hugetlb.2MB.rsvd.limit_in_bytes", str(4 << 20)),
        (1, "net_cls", "net_cls.classid", str(0x100001)),
        (1, "net_prio", "net_prio.ifpriomap", "eth0 5"),
        (1, "rdma", "rdma.max", "mlx5_1 hca_handle=3 hca_object=100"),
    ]


def test_v1_flags_and_alternatives() -> None:
    writes = {w.file: w for w in tr.translate(check(FULL), V1)}
    assert writes["cpu.cfs_period_us"].retry and writes["cpu.cfs_burst_us"].retry
    assert not writes["cpu.cfs_quota_us"].retry
    assert writes["cpu.rt_period_us"].retry
    assert writes["memory.kmem.tcp.limit_in_bytes"].verify
    assert writes["hugetlb.2MB.rsvd.limit_in_bytes"].optional
    assert writes["blkio.weight"].choices == [("blkio.weight", "500"), ("blkio.bfq.weight", "500")]
    assert writes["blkio.weight_device"].choices[1] == ("blkio.bfq.weight_device", "8:0 300")
    assert writes["memory.limit_in_bytes"].field == "linux.resources.memory.limit"
    assert "swap accounting" in writes["memory.memsw.limit_in_bytes"].hint
    # the period is retried only when a quota comes after it
    alone = tr.translate(check({"cpu": {"period": 200000}}), V1)
    assert not alone[0].retry


@pytest.mark.parametrize(
    ("memory", "current", "order"),
    [
        # growing: memsw first while the current limit is below the new memsw
        ({"limit": 300, "swap": 400}, "100", ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]),
        # shrinking: the limit first, so that memsw >= limit holds after each write
        ({"limit": 50, "swap": 80}, "100", ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]),
        # a new cgroup (limit unknown = unlimited): limit first
        ({"limit": 50, "swap": 80}, None, ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]),
        # unlimited memory+swap: memsw first
        ({"limit": 50, "swap": -1}, "100", ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]),
        ({"limit": -1}, None, ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]),
        ({"limit": 50}, None, ["memory.limit_in_bytes"]),
        ({"swap": 80}, None, ["memory.memsw.limit_in_bytes"]),
    ],
)
def test_v1_memory_and_swap_order(memory: dict[str, int], current: str | None, order: list[str]) -> None:
    cur = {"memory.limit_in_bytes": current} if current else None
    writes = tr.translate({"memory": memory}, V1, cur)
    assert [w.file for w in writes] == order


def test_v1_implied_swap_is_optional_explicit_is_not() -> None:
    implied = tr.translate({"memory": {"limit": -1}}, V1)
    assert implied[0].file == "memory.memsw.limit_in_bytes" and implied[0].optional
    explicit = tr.translate({"memory": {"limit": 10, "swap": 20}}, V1)
    assert not any(w.optional for w in explicit)


def test_v1_refusals() -> None:
    with pytest.raises(CgroupError, match=r"memory\.swap: cgroup v1 cannot limit memory\+swap"):
        tr.translate({"memory": {"limit": -1, "swap": 100}}, V1)


def test_v1_pids_values() -> None:
    assert tr.translate({"pids": {"limit": -1}}, V1)[0].value == "max"
    assert tr.translate({"pids": {"limit": 0}}, V1)[0].value == "1"  # runc writes 0 as 1


def test_zero_means_unset() -> None:
    res = {"memory": {"limit": 0, "swap": 0, "reservation": 0}, "cpu": {"shares": 0, "quota": 0, "period": 0},
           "blockIO": {"weight": 0}}
    assert tr.translate(res, V1) == []
    assert tr.translate(res, V2) == []
    assert tr.translate({"memory": {"checkBeforeUpdate": True}}, {}) == []  # a flag, no write


# ---- translate(): v2 ----------------------------------------------------------------------------


def test_v2_table() -> None:
    res = check(FULL)
    del res["network"]
    res["memory"] = {"limit": 100 << 20, "reservation": 50 << 20, "swap": 300 << 20}
    res["cpu"] = {"shares": 1024, "quota": 50000, "period": 200000, "burst": 1000, "cpus": "0", "idle": 1}
    res["unified"] = {"memory.high": "90M", "io.max": "8:0 rbps=1\n8:16 wiops=2\n"}
    assert keys(tr.translate(res, V2)) == [
        (2, "memory", "memory.swap.max", str(200 << 20)),
        (2, "memory", "memory.max", str(100 << 20)),
        (2, "memory", "memory.low", str(50 << 20)),
        (2, "pids", "pids.max", "32"),
        (2, "cpu", "cpu.idle", "1"),
        (2, "cpu", "cpu.weight", "100"),
        (2, "cpu", "cpu.max.burst", "1000"),
        (2, "cpu", "cpu.max", "50000 200000"),
        (2, "cpuset", "cpuset.cpus", "0"),
        (2, "io", "io.bfq.weight", "500"),
        (2, "io", "io.bfq.weight", "8:0 300"),
        (2, "io", "io.max", "8:0 rbps=1000"),
        (2, "io", "io.max", "8:0 wiops=max"),
        (2, "hugetlb", "hugetlb.2MB.max", str(4 << 20)),
        (2, "hugetlb", "hugetlb.2MB.rsvd.max", str(4 << 20)),
        (2, "rdma", "rdma.max", "mlx5_1 hca_handle=3 hca_object=100"),
        (2, "memory", "memory.high", "90M"),
        (2, "io", "io.max", "8:0 rbps=1"),
        (2, "io", "io.max", "8:16 wiops=2"),
    ]


def test_v2_io_weight_falls_back_to_io_weight_converted() -> None:
    bio = {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 10}]}
    writes = tr.translate({"blockIO": bio}, V2)
    assert writes[0].choices == [("io.bfq.weight", "500"), ("io.weight", str(tr.weight_to_io(500)))]
    assert writes[1].choices == [("io.bfq.weight", "8:0 10"), ("io.weight", "8:0 1")]


def test_conversions() -> None:
    assert [tr.shares_to_weight(s) for s in (0, 1, 2, 3, 1024, 262143, 262144, 300000)] == [
        0, 1, 1, 2, 100, 10000, 10000, 10000]  # runc's TestConvertCPUSharesToCgroupV2Value
    assert [tr.weight_to_io(w) for w in (0, 10, 500, 1000)] == [0, 1, 4950, 10000]
    assert tr.swap_v2(0, 0) == 0
    assert tr.swap_v2(-1, 0) == -1
    assert tr.swap_v2(300, -1) == 300
    assert tr.swap_v2(-1, -1) == -1
    assert tr.swap_v2(0, -1) == -1
    assert tr.swap_v2(300, 100) == 200
    assert tr.swap_v2(100, 100) == 0
    with pytest.raises(ValueError, match="without a memory limit"):
        tr.swap_v2(300, 0)
    with pytest.raises(ValueError):
        tr.swap_v2(100, 300)


@pytest.mark.parametrize(
    ("memory", "want"),
    [
        ({"limit": 100, "swap": 100}, [("memory.swap.max", "0"), ("memory.max", "100")]),
        ({"limit": 100, "swap": -1}, [("memory.swap.max", "max"), ("memory.max", "100")]),
        ({"limit": -1}, [("memory.swap.max", "max"), ("memory.max", "max")]),
        ({"limit": 100}, [("memory.max", "100")]),
        ({"reservation": -1}, [("memory.low", "max")]),
    ],
)
def test_v2_memory(memory: dict[str, int], want: list[tuple[str, str]]) -> None:
    assert [(w.file, w.value) for w in tr.translate({"memory": memory}, V2)] == want


def test_v2_swap_max_is_optional_only_when_unlimited() -> None:
    assert tr.translate({"memory": {"limit": -1}}, V2)[0].optional
    assert not tr.translate({"memory": {"limit": 10, "swap": 20}}, V2)[0].optional


@pytest.mark.parametrize(
    ("cpu", "current", "want"),
    [
        ({"quota": 20000}, None, "20000 100000"),
        ({"quota": 20000}, "max 250000", "20000 250000"),
        ({"period": 50000}, "30000 100000", "30000 50000"),
        ({"period": 50000}, None, "max 50000"),
        ({"quota": -1, "period": 50000}, "30000 100000", "max 50000"),
    ],
)
def test_v2_cpu_max(cpu: dict[str, int], current: str | None, want: str) -> None:
    cur = {"cpu.max": current} if current else None
    (w,) = tr.translate({"cpu": cpu}, V2, cur)
    assert (w.file, w.value) == ("cpu.max", want)


@pytest.mark.parametrize(
    ("res", "words"),
    [
        ({"memory": {"kernel": 1000}}, "memory.kernel: cgroup v2 has no kernel memory"),
        ({"memory": {"kernelTCP": 1000}}, "memory.kernelTCP: cgroup v2 has no kernel memory"),
        ({"memory": {"swappiness": 5}}, "memory.swappiness: cgroup v2 has no per-cgroup swappiness"),
        ({"memory": {"disableOOMKiller": True}}, "memory.disableOOMKiller: cgroup v2 cannot disable"),
        ({"memory": {"useHierarchy": False}}, "memory.useHierarchy: cgroup v2 accounting is always"),
        ({"memory": {"swap": 1000}}, "memory.swap: cgroup v2 cannot limit swap without a memory limit"),
        ({"cpu": {"realtimeRuntime": 1000}}, "cpu.realtimeRuntime: cgroup v2 has no realtime"),
        ({"blockIO": {"leafWeight": 100}}, "blockIO.leafWeight: cgroup v2 has no leaf weights"),
        ({"network": {"classID": 1}}, "network.classID: this host has no net_cls cgroup controller"),
        ({"network": {"priorities": [{"name": "lo", "priority": 1}]}}, "this host has no net_prio"),
        ({"unified": {"perf_event.x": "1"}}, "this host has no perf_event cgroup controller"),
    ],
)
def test_v2_refusals_name_the_field(res: dict[str, Any], words: str) -> None:
    with pytest.raises(CgroupError) as exc:
        tr.translate(check(res), V2)
    assert words in str(exc.value)
    assert str(exc.value).startswith("cgroup: linux.resources.")


def test_v2_accepts_what_means_nothing_there() -> None:
    res = {"memory": {"kernel": -1, "disableOOMKiller": False, "useHierarchy": True},
           "cpu": {"realtimeRuntime": -1}}
    assert tr.translate(res, V2) == []


# ---- translate(): hybrid and missing controllers ---------------------------------------------------


def test_hybrid_is_per_controller() -> None:
    res = {"memory": {"limit": 100}, "hugepageLimits": [{"pageSize": "2MB", "limit": 2 << 20}],
           "unified": {"hugetlb.1GB.max": "0", "cgroup.max.depth": "2"}}
    assert keys(tr.translate(res, HYBRID)) == [
        (1, "memory", "memory.limit_in_bytes", "100"),
        (2, "hugetlb", "hugetlb.2MB.max", str(2 << 20)),
        (2, "hugetlb", "hugetlb.2MB.rsvd.max", str(2 << 20)),
        (2, "hugetlb", "hugetlb.1GB.max", "0"),
        (2, "cgroup", "cgroup.max.depth", "2"),
    ]
    with pytest.raises(CgroupError, match=r"unified\['memory.high'\]: invalid configuration: cannot use "
                                          r"unified on cgroup v1 \(the memory controller is on cgroup v1"):
        tr.translate({"unified": {"memory.high": "1"}}, HYBRID)


def test_missing_controllers_name_the_field() -> None:
    with pytest.raises(CgroupError, match=r"^cgroup: linux.resources.network.classID: this host has no net_"):
        tr.translate({"network": {"classID": 1}}, HYBRID)
    with pytest.raises(CgroupError, match=r"rdma.mlx: this host has no rdma cgroup controller"):
        tr.translate({"rdma": {"mlx": {"hcaHandles": 1}}}, HYBRID)
    with pytest.raises(CgroupError, match=r"blockIO.weight: this host has no blkio \(v1\) or io \(v2\)"):
        tr.translate({"blockIO": {"weight": 100}}, {"memory": 1})
    with pytest.raises(CgroupError, match="this host has no cgroup v2 hierarchy"):
        tr.translate({"unified": {"cgroup.max.depth": "1"}}, V1)
    with pytest.raises(CgroupError, match=r"^cgroup: resources.pids.limit: "):
        tr.translate({"pids": {"limit": 1}}, {}, where="resources")


def test_versions_from() -> None:
    assert tr.versions_from(["memory", "blkio", "cpu", "cpuacct"], ["hugetlb", "cgroup"]) == {
        "memory": 1, "io": 1, "cpu": 1, "cpuacct": 1, "hugetlb": 2, "cgroup": 2}


def test_every_section_has_its_translation() -> None:
    """translate() imports a section's module on first use: each one it names exists."""
    for section in tr.SECTIONS:
        assert callable(tr._translation(section)), section
    assert set(tr.SECTIONS) == set(FULL) - {"devices"} | {"unified"}


# ---- Manager.set() on fake trees -------------------------------------------------------------------

V2_FILES = {
    "memory": ("memory.max", "memory.low", "memory.high", "memory.swap.max", "memory.current"),
    "pids": ("pids.max",),
    "cpu": ("cpu.max", "cpu.weight", "cpu.max.burst", "cpu.idle"),
    "cpuset": ("cpuset.cpus", "cpuset.mems", "cpuset.cpus.effective", "cpuset.mems.effective"),
    "io": ("io.max", "io.weight"),
}


class FakeFS(CgroupFS):
    """Records writes; cgroup2 control files appear when the parent enables their controller;
    ``fail`` maps a file name to the errnos its next writes fail with."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str]] = []
        self.fail: dict[str, list[int]] = {}
        self.enabled: dict[str, set[str]] = {}

    def write(self, hierarchy: str, dirpath: str, name: str, data: str) -> None:
        errs = self.fail.get(name)
        if errs:
            e = errs.pop(0)
            err = OSError(e, os.strerror(e))
            raise CgroupIOError(hierarchy, f"write {data!r} to", f"{dirpath}/{name}", err)
        super().write(hierarchy, dirpath, name, data)
        self.writes.append((f"{dirpath}/{name}", data))
        if name == "cgroup.subtree_control":
            now = self.enabled.setdefault(dirpath, set())
            now |= _plus(data)
            Path(dirpath, name).write_text(" ".join(sorted(now)))  # the kernel keeps what was enabled
            for child in os.scandir(dirpath):
                if child.is_dir():
                    for c in _plus(data):
                        for file in V2_FILES.get(c, ()):
                            Path(child.path, file).touch()


def _plus(data: str) -> set[str]:
    return {t[1:] for t in data.split() if t.startswith("+")}


def v2_tree(tmp_path: Path, cgpath: str = "/hutch/c1", controllers: str = "cpu memory pids io") -> Manager:
    root = tmp_path / "cg"
    leaf = root / cgpath.strip("/")
    leaf.mkdir(parents=True)
    for d in [root, *[p for p in leaf.parents if str(p).startswith(str(root) + "/")], leaf]:
        (d / "cgroup.controllers").write_text(controllers + "\n")
        (d / "cgroup.subtree_control").write_text("")
    return Manager("v2", cgpath, {"unified": str(leaf)}, fs=FakeFS())


def v1_tree(tmp_path: Path, files: dict[str, list[str]]) -> Manager:
    paths = {}
    for key, names in files.items():
        d = tmp_path / "cg" / key / "hutch" / "c1"
        d.mkdir(parents=True)
        for n in names:
            (d / n).write_text("9223372036854771712\n" if "limit_in_bytes" in n else "0\n")
        paths[key] = str(d)
    return Manager("legacy", "/hutch/c1", paths, fs=FakeFS())


def test_set_v2_enables_controllers_root_down_then_writes(tmp_path: Path) -> None:
    m = v2_tree(tmp_path)
    m.set(check({"memory": {"limit": 1 << 20}, "pids": {"limit": 10}}))
    fs = m._fs
    assert isinstance(fs, FakeFS)
    root = str(tmp_path / "cg")
    assert fs.writes == [
        (f"{root}/cgroup.subtree_control", "+memory +pids"),
        (f"{root}/hutch/cgroup.subtree_control", "+memory +pids"),
        (f"{root}/hutch/c1/memory.max", str(1 << 20)),
        (f"{root}/hutch/c1/pids.max", "10"),
    ]
    fs.writes.clear()
    m.set(check({"pids": {"limit": 20}}))  # already enabled: nothing to enable
    assert fs.writes == [(f"{root}/hutch/c1/pids.max", "20")]


def test_set_v2_leaves_foreign_ancestors_alone(tmp_path: Path) -> None:
    m = v2_tree(tmp_path, "/machine/c1")
    with pytest.raises(CgroupError, match=r"cg/machine: controller\(s\) memory not enabled .* it created"):
        m.set(check({"memory": {"limit": 1 << 20}}))
    m._created.add(str(tmp_path / "cg" / "machine"))  # as if create() had made it
    m.set(check({"memory": {"limit": 1 << 20}}))


def test_set_v2_unknown_controller_and_missing_swap(tmp_path: Path) -> None:
    m = v2_tree(tmp_path, controllers="memory pids")
    with pytest.raises(CgroupError, match=r"cpu.shares: this host has no cpu cgroup controller"):
        m.set(check({"cpu": {"shares": 100}}))
    m.set(check({"memory": {"limit": 100}}))  # enables memory: its files appear
    os.unlink(tmp_path / "cg" / "hutch" / "c1" / "memory.swap.max")  # as without swap accounting
    fs = m._fs
    assert isinstance(fs, FakeFS)
    with pytest.raises(CgroupError, match=r"memory.swap: this host has no memory.swap.max \(swap accounting"):
        m.set(check({"memory": {"limit": 100, "swap": 200}}))
    # the limit was not written half-way
    assert [v for p, v in fs.writes if p.endswith("memory.max")] == ["100"]


def test_set_v1_missing_file_fails_before_any_write(tmp_path: Path) -> None:
    m = v1_tree(tmp_path, {"memory": ["memory.limit_in_bytes"], "pids": ["pids.max"]})
    with pytest.raises(CgroupError) as exc:
        m.set(check({"pids": {"limit": 5}, "memory": {"limit": 100, "swap": 200}}))
    assert str(exc.value) == (
        "cgroup: linux.resources.memory.swap: this host has no memory.memsw.limit_in_bytes "
        "(swap accounting is off (kernel built without it, or booted with swapaccount=0))"
    )
    fs = m._fs
    assert isinstance(fs, FakeFS)
    assert fs.writes == []


def test_set_v1_retries_period_after_quota(tmp_path: Path) -> None:
    m = v1_tree(tmp_path, {"cpu": ["cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares"]})
    fs = m._fs
    assert isinstance(fs, FakeFS)
    fs.fail["cpu.cfs_period_us"] = [errno.EINVAL]
    m.set(check({"cpu": {"quota": 20000, "period": 50000, "shares": 100}}))
    assert [(os.path.basename(p), v) for p, v in fs.writes] == [
        ("cpu.shares", "100"), ("cpu.cfs_quota_us", "20000"), ("cpu.cfs_period_us", "50000")]


def test_set_reports_what_was_applied(tmp_path: Path) -> None:
    m = v1_tree(tmp_path, {"pids": ["pids.max"], "cpu": ["cpu.cfs_quota_us", "cpu.shares"]})
    fs = m._fs
    assert isinstance(fs, FakeFS)
    fs.fail["cpu.cfs_quota_us"] = [errno.EINVAL]
    with pytest.raises(ResourceWriteError) as exc:
        m.set(check({"pids": {"limit": 5}, "cpu": {"quota": 20000, "shares": 100}}))
    assert exc.value.applied == ["linux.resources.pids.limit", "linux.resources.cpu.shares"]
    assert "cpu.quota: cannot write '20000' to" in str(exc.value)
    assert str(exc.value).endswith("Invalid argument (applied before it: linux.resources.pids.limit, "
                                   "linux.resources.cpu.shares)")


def test_set_v1_blkio_picks_the_file_that_exists(tmp_path: Path) -> None:
    m = v1_tree(tmp_path, {"blkio": ["blkio.bfq.weight"]})
    m.set(check({"blockIO": {"weight": 300}}))
    fs = m._fs
    assert isinstance(fs, FakeFS)
    assert [os.path.basename(p) for p, _ in fs.writes] == ["blkio.bfq.weight"]


def test_set_verifies_kernel_memory(tmp_path: Path) -> None:
    m = v1_tree(tmp_path, {"memory": ["memory.kmem.limit_in_bytes", "memory.limit_in_bytes"]})
    orig = m._fs.write

    def ignoring(h: str, d: str, name: str, data: str) -> None:  # the kernel keeps it unlimited
        orig(h, d, name, data)
        if name == "memory.kmem.limit_in_bytes":
            Path(d, name).write_text("9223372036854771712\n")

    m._fs.write = ignoring  # type: ignore[method-assign]
    with pytest.raises(CgroupError, match=r"memory\.kernel: this kernel accepts memory\.kmem\.limit_in"):
        m.set(check({"memory": {"kernel": 1 << 20, "limit": 1 << 30}}))


def test_set_check_before_update(tmp_path: Path) -> None:
    m = v1_tree(tmp_path, {"memory": ["memory.limit_in_bytes", "memory.usage_in_bytes"]})
    Path(m.paths["memory"], "memory.usage_in_bytes").write_text("5000\n")
    with pytest.raises(CgroupError, match=r"memory.limit: 4096 is not above the current usage \(5000 bytes"):
        m.set(check({"memory": {"limit": 4096, "checkBeforeUpdate": True}}))
    m.set(check({"memory": {"limit": 8192, "checkBeforeUpdate": True}}))


def test_set_nothing(tmp_path: Path) -> None:
    m = v1_tree(tmp_path, {"memory": []})
    m.set(None)
    m.set({})
    m.set({"devices": [{"allow": False, "access": "rwm"}]})  # devices are not set() here


def test_hugepage_sizes(tmp_path: Path) -> None:
    for name in ("hugepages-2048kB", "hugepages-1048576kB", "hugepages-64kB", "other"):
        (tmp_path / name).mkdir()
    assert hugepage_sizes(str(tmp_path)) == ["64KB", "2MB", "1GB"]
    assert hugepage_sizes(str(tmp_path / "none")) == []
