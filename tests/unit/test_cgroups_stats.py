"""Stats readers, OOM counters and the command-line units (sizes, durations) on fake files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hutch.cgroups import stats
from hutch.cgroups.oom import OomWatcher, oom_kills
from hutch.errors import CgroupError, InvalidArgument
from hutch.util.units import parse_duration, parse_ram

MAX = stats.UINT64_MAX


def write(d: Path, files: dict[str, str]) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text)


def hugepages(tmp_path: Path) -> str:
    root = tmp_path / "hugepages"
    for name in ("hugepages-2048kB", "hugepages-1048576kB", "hugepages-64kB", "junk"):
        (root / name).mkdir(parents=True)
    return str(root)


def test_parsers() -> None:
    assert stats.parse_uint("max\n") == MAX
    assert stats.parse_uint("-1") == 0  # as runc: a negative counter reads 0
    assert stats.parse_keyed("a 1\nb max\n\n") == {"a": 1, "b": MAX}
    assert stats.parse_cpu_list("0-2,5,7-8\n") == [0, 1, 2, 5, 7, 8]
    assert stats.parse_cpu_list("\n") == []
    with pytest.raises(CgroupError, match=r"cpuset\.cpus"):
        stats.parse_cpu_list("3-1", "cpuset.cpus")
    with pytest.raises(CgroupError, match=r"memory\.stat.*not 'key value'"):
        stats.parse_keyed("a 1 2", "memory.stat")
    with pytest.raises(CgroupError, match=r"cpu\.stat: 'x' is not a number"):
        stats.parse_keyed("a x", "cpu.stat")
    assert stats.parse_blkio("8:0 Read 4096\n8:0 Total 4096\nTotal 4096\n") == [
        {"major": 8, "op": "Read", "value": 4096}, {"major": 8, "op": "Total", "value": 4096}]
    assert stats.parse_blkio("253:1 12\n") == [{"major": 253, "minor": 1, "value": 12}]


def v1_tree(tmp_path: Path) -> dict[str, str]:
    base = tmp_path / "v1"
    paths = {k: str(base / k / "hutch/c") for k in ("cpu", "cpuacct", "cpuset", "memory", "pids",
                                                     "blkio", "freezer", "unified")}
    write(Path(paths["cpuacct"]), {
        "cpuacct.usage": "3000000000\n",
        "cpuacct.usage_percpu": "1000000000 2000000000 \n",
        "cpuacct.usage_all": "cpu user system\n0 600 400\n1 1200 800\n",
        "cpuacct.stat": "user 150\nsystem 50\n",
    })
    write(Path(paths["cpu"]), {"cpu.stat": "nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n"})
    write(Path(paths["cpuset"]), {
        "cpuset.cpus": "0-1\n", "cpuset.mems": "0\n", "cpuset.cpu_exclusive": "0\n",
        "cpuset.sched_load_balance": "1\n", "cpuset.sched_relax_domain_level": "-1\n",
    })
    mem = {"memory.stat": "cache 4096\nrss 8192\ntotal_rss 8192\n",
           "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"}
    for prefix, usage in (("memory", 12288), ("memory.memsw", 12288), ("memory.kmem", 100)):
        mem |= {f"{prefix}.usage_in_bytes": f"{usage}\n", f"{prefix}.max_usage_in_bytes": "20000\n",
                f"{prefix}.failcnt": "3\n", f"{prefix}.limit_in_bytes": "9223372036854771712\n"}
    write(Path(paths["memory"]), mem)  # no kmem.tcp files: that part stays zero
    write(Path(paths["pids"]), {"pids.current": "3\n", "pids.max": "max\n"})
    write(Path(paths["blkio"]), {
        "blkio.bfq.io_serviced_recursive": "",  # bfq present but empty: the throttle family wins
        "blkio.throttle.io_serviced_recursive": "8:0 Read 2\n8:0 Write 1\nTotal 3\n",
        "blkio.throttle.io_service_bytes_recursive": "8:0 Read 8192\n8:0 Write 4096\nTotal 12288\n",
    })
    write(Path(paths["unified"]), {"hugetlb.2MB.current": "2097152\n", "hugetlb.2MB.events": "max 1\n"})
    return paths


def test_v1_stats_document(tmp_path: Path) -> None:
    paths = v1_tree(tmp_path)
    doc = stats.collect("hybrid", paths, hugepages(tmp_path))
    hz = os.sysconf("SC_CLK_TCK")
    assert list(doc) == ["cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt",
                         "network_interfaces"]
    assert doc["cpu"] == {
        "usage": {"total": 3000000000, "percpu": [1000000000, 2000000000], "percpu_kernel": [400, 800],
                  "percpu_user": [600, 1200], "kernel": 50 * 10**9 // hz, "user": 150 * 10**9 // hz},
        "throttling": {"periods": 10, "throttledPeriods": 2, "throttledTime": 5000},
    }
    assert doc["cpuset"] == {
        "cpus": [0, 1], "cpu_exclusive": 0, "mems": [0], "mem_hardwall": 0, "mem_exclusive": 0,
        "memory_migrate": 0, "memory_spread_page": 0, "memory_spread_slab": 0, "memory_pressure": 0,
        "sched_load_balance": 1, "sched_relax_domain_level": -1,
    }
    memory = doc["memory"]
    assert isinstance(memory, dict)
    big = 9223372036854771712
    assert memory["cache"] == 4096
    assert memory["usage"] == {"limit": big, "usage": 12288, "max": 20000, "failcnt": 3}
    assert memory["kernel"] == {"limit": big, "usage": 100, "max": 20000, "failcnt": 3}
    assert memory["kernelTCP"] == {"limit": 0, "failcnt": 0}
    assert memory["raw"] == {"cache": 4096, "rss": 8192, "total_rss": 8192}
    assert doc["pids"] == {"current": 3}  # "max" is no limit: omitted, as runc
    assert doc["blkio"] == {
        "ioServiceBytesRecursive": [{"major": 8, "op": "Read", "value": 8192},
                                    {"major": 8, "op": "Write", "value": 4096}],
        "ioServicedRecursive": [{"major": 8, "op": "Read", "value": 2},
                                {"major": 8, "op": "Write", "value": 1}],
    }
    assert doc["hugetlb"] == {"2MB": {"usage": 2097152, "failcnt": 1}}  # hybrid: from cgroup2
    assert doc["intel_rdt"] == {} and doc["network_interfaces"] is None
    json.dumps(doc)  # plain builtins

    assert oom_kills("hybrid", paths) == 2


def test_missing_controllers_keep_the_shape(tmp_path: Path) -> None:
    doc = stats.collect("legacy", {"name=systemd": str(tmp_path / "x")}, str(tmp_path / "none"))
    assert doc["cpu"] == {"usage": {"kernel": 0, "user": 0}, "throttling": {}}
    assert doc["memory"] == {"usage": {"limit": 0, "failcnt": 0}, "swap": {"limit": 0, "failcnt": 0},
                             "kernel": {"limit": 0, "failcnt": 0}, "kernelTCP": {"limit": 0, "failcnt": 0}}
    assert doc["pids"] == {} and doc["blkio"] == {} and doc["hugetlb"] == {}
    assert oom_kills("legacy", {"name=systemd": str(tmp_path / "x")}) is None


def v2_dir(tmp_path: Path) -> Path:
    d = tmp_path / "v2/hutch/c"
    write(d, {
        "cpu.stat": "usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\n"
                    "throttled_usec 30\n",
        "cpuset.cpus.effective": "0-3\n", "cpuset.mems.effective": "0\n",
        "memory.stat": "anon 8192\nfile 4096\n",
        "memory.current": "12288\n", "memory.max": "33554432\n", "memory.peak": "16384\n",
        "memory.events": "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n",
        "memory.swap.current": "1024\n", "memory.swap.max": "max\n",
        "pids.current": "2\n", "pids.max": "100\n",
        "io.stat": "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
        "hugetlb.2MB.current": "0\n", "hugetlb.2MB.events": "max 0\n",
    })
    return d


def test_v2_stats_document(tmp_path: Path) -> None:
    d = v2_dir(tmp_path)
    doc = stats.collect("v2", {"unified": str(d)}, hugepages(tmp_path))
    assert doc["cpu"] == {
        "usage": {"total": 2000000, "kernel": 500000, "user": 1500000},
        "throttling": {"periods": 4, "throttledPeriods": 1, "throttledTime": 30000},
    }
    cpuset = doc["cpuset"]
    assert isinstance(cpuset, dict)
    assert cpuset["cpus"] == [0, 1, 2, 3] and cpuset["mems"] == [0]
    memory = doc["memory"]
    assert isinstance(memory, dict)
    assert memory["cache"] == 4096
    assert memory["usage"] == {"limit": 33554432, "usage": 12288, "max": 16384, "failcnt": 5}
    # swap as v1 counts it: memory + swap, and no limit stays no limit
    assert memory["swap"] == {"limit": MAX, "usage": 12288 + 1024, "failcnt": 0}
    assert memory["raw"] == {"anon": 8192, "file": 4096}
    assert doc["pids"] == {"current": 2, "limit": 100}
    assert doc["blkio"] == {
        "ioServiceBytesRecursive": [{"major": 8, "op": "Read", "value": 4096}, {"major": 8, "op": "Write"}],
        "ioServicedRecursive": [{"major": 8, "op": "Read", "value": 1}, {"major": 8, "op": "Write"}],
    }
    assert doc["hugetlb"] == {"2MB": {"failcnt": 0}}
    assert oom_kills("v2", {"unified": str(d)}) == 1


def test_v2_without_pids_controller_counts_processes(tmp_path: Path) -> None:
    d = tmp_path / "c"
    write(d, {"cgroup.procs": "10\n11\n12\n"})
    assert stats.collect("v2", {"unified": str(d)}, str(tmp_path))["pids"] == {"current": 3}


def test_oom_watcher_counts_new_kills(tmp_path: Path) -> None:
    d = v2_dir(tmp_path)
    w = OomWatcher("v2", {"unified": str(d)})
    try:
        assert w.check() == 0
        (d / "memory.events").write_text("max 9\noom 3\noom_kill 3\n")
        assert w.check() == 2
        assert w.check() == 0
    finally:
        w.close()
    gone = OomWatcher("v2", {"unified": str(tmp_path / "gone")})
    assert gone.fd == -1 and gone.check() == 0


@pytest.mark.parametrize(("text", "seconds"), [
    ("5s", 5.0), ("500ms", 0.5), ("1m30s", 90.0), ("1.5h", 5400.0), ("0", 0.0), ("100us", 1e-4),
    ("2\u00b5s", 2e-6), ("-1s", -1.0), ("1h1m1s1ms", 3661.001),
])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "s", "5 s", "5x", "1..5s", ".s", "+", "5s3"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InvalidArgument, match="--interval"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "value"), [
    ("1024", 1024), ("512m", 512 << 20), ("512M", 512 << 20), ("1g", 1 << 30), ("1GiB", 1 << 30),
    ("2kb", 2048), ("100 k", 102400), ("1.5m", 3 << 19), ("0", 0), ("7b", 7), ("1p", 1 << 50),
])
def test_parse_ram(text: str, value: int) -> None:
    assert parse_ram(text, "memory") == value


@pytest.mark.parametrize("text", ["", "-5", "abc", "1x", "1.2.3m", "1.m", ".5m", "1  m", "1mbb",
                                  "10000000000p"])
def test_parse_ram_rejects(text: str) -> None:
    with pytest.raises(InvalidArgument, match="--memory"):
        parse_ram(text, "memory")
