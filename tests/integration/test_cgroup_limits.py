"""linux.resources on real containers: each limit read back from the container's cgroup
files (on the host, and from inside where /sys/fs/cgroup is mounted), its effect shown
where it can be (OOM kill, fork bomb, cpu quota, cpuset), and bad input refused with one
line naming the field and nothing left behind. v1 (hybrid) here, v2 in the guest."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from hutch.cgroups.limits import hugepage_sizes
from tests.integration.test_cgroup_ops import cgroup_record, one_line_error, state, wait_for

pytestmark = pytest.mark.root


def ctl_dir(record: dict[str, Any], controller: str) -> tuple[str, int]:
    """(directory with ``controller``'s files, its cgroup version) for the container."""
    v1 = "blkio" if controller == "io" else controller
    for key, path in record["paths"].items():
        if key != "unified" and v1 in key.split(","):
            return path, 1
    if "unified" in record["paths"]:
        return record["paths"]["unified"], 2
    raise AssertionError(f"no {controller} hierarchy in {record}")


def read(d: str, name: str) -> str:
    return Path(d, name).read_text().strip()


def create(runtime: Any, bundle: Any, cid: str, resources: dict[str, Any],
           args: list[str] | None = None) -> Any:
    bundle.config["linux"]["resources"].update(resources)
    if args is not None:
        bundle.config["process"]["args"] = args
    bundle.config["root"]["readonly"] = False
    bundle.write()
    return runtime("create", "--bundle", str(bundle.path), cid, check=False)


def run_to_end(runtime: Any, cid: str, timeout: float = 60) -> None:
    runtime("start", cid)
    wait_for(lambda: state(runtime, cid)["status"] == "stopped", "the container to stop", timeout)


def inside(bundle: Any, name: str = "out") -> str:
    return (bundle.rootfs / "tmp" / name).read_text()


# Reads cgroup file $1 of controller $2 from inside: /sys/fs/cgroup/<ctl>/<file> (v1) or
# /sys/fs/cgroup/<file> (v2), with shell builtins only (no fork: a pids limit may be reached);
# it fails when neither exists.
CGREAD = ('cg() { f=/sys/fs/cgroup/$2/$1; [ -e "$f" ] || f=/sys/fs/cgroup/$1; [ -e "$f" ] || return 1; '
          'read -r v < "$f"; echo "$1=$v"; }; ')


# ---- memory ------------------------------------------------------------------------------------


def test_memory_limit_holds_and_kills(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """32 MiB for memory (and memory+swap): read back, and `tail /dev/zero` (an endless
    line it buffers) is OOM-killed while the container's shell goes on."""
    from hutch.cgroups.oom import oom_kills

    cid, limit = unique_id(), 32 << 20
    script = CGREAD + ("{ cg memory.limit_in_bytes memory || cg memory.max memory; "
                       "tail /dev/zero; echo rc=$?; } > /tmp/out 2>&1")
    r = create(runtime, bundle, cid, {"memory": {"limit": limit, "swap": limit}}, ["sh", "-c", script])
    assert r.returncode == 0, r.stderr
    record = cgroup_record(runtime, cid)
    d, v = ctl_dir(record, "memory")
    if v == 1:
        assert int(read(d, "memory.limit_in_bytes")) == limit
        assert int(read(d, "memory.memsw.limit_in_bytes")) == limit
    else:
        assert int(read(d, "memory.max")) == limit
        if Path(d, "memory.swap.max").exists():
            assert read(d, "memory.swap.max") == "0"  # memory+swap == memory: no swap
    run_to_end(runtime, cid)
    out = inside(bundle)
    assert f"={limit}" in out, out
    assert "rc=137" in out, out  # SIGKILL by the OOM killer
    assert oom_kills(record["mode"], record["paths"]) >= 1
    runtime("delete", "--force", cid)


def test_memory_settings_read_back(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    mib = 1 << 20
    record_probe = None
    memory: dict[str, Any] = {"limit": 64 * mib, "reservation": 16 * mib, "swap": -1}
    r = create(runtime, bundle, cid, {"memory": memory})
    assert r.returncode == 0, r.stderr
    record_probe = cgroup_record(runtime, cid)
    d, v = ctl_dir(record_probe, "memory")
    runtime("delete", "--force", cid)
    if v == 1:  # v1 has more knobs: swappiness, the OOM killer switch, kernel TCP memory
        memory.update({"swappiness": 7, "disableOOMKiller": True, "kernelTCP": 8 * mib, "useHierarchy": True})
        bundle.config["linux"]["resources"]["memory"] = memory
        cid = unique_id()
        r = create(runtime, bundle, cid, {})
        assert r.returncode == 0, r.stderr
        d, _ = ctl_dir(cgroup_record(runtime, cid), "memory")
        assert int(read(d, "memory.limit_in_bytes")) == 64 * mib
        assert int(read(d, "memory.soft_limit_in_bytes")) == 16 * mib
        assert int(read(d, "memory.memsw.limit_in_bytes")) > 1 << 60  # -1: unlimited
        assert read(d, "memory.swappiness") == "7"
        assert "oom_kill_disable 1" in read(d, "memory.oom_control")
        assert int(read(d, "memory.kmem.tcp.limit_in_bytes")) == 8 * mib
        assert read(d, "memory.use_hierarchy") == "1"
    else:
        cid = unique_id()
        r = create(runtime, bundle, cid, {"memory": memory})
        assert r.returncode == 0, r.stderr
        d, _ = ctl_dir(cgroup_record(runtime, cid), "memory")
        assert int(read(d, "memory.max")) == 64 * mib
        assert int(read(d, "memory.low")) == 16 * mib
        if Path(d, "memory.swap.max").exists():
            assert read(d, "memory.swap.max") == "max"
    runtime("delete", "--force", cid)


# ---- pids ----------------------------------------------------------------------------------------


def test_pids_limit_stops_a_fork_bomb(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """pids.max 10: a shell forking 30 sleepers gets "can't fork"; 9 tasks stay (pid 1
    and 8 sleepers, once the forking shell has exited)."""
    cid = unique_id()
    script = (CGREAD + "sh -c 'i=0; while [ $i -lt 30 ]; do sleep 60 & i=$((i+1)); done' 2>/tmp/err; "
              "{ cg pids.max pids; cg pids.current pids; } > /tmp/out")
    r = create(runtime, bundle, cid, {"pids": {"limit": 10}}, ["sh", "-c", script])
    assert r.returncode == 0, r.stderr
    record = cgroup_record(runtime, cid)
    d, _ = ctl_dir(record, "pids")
    assert read(d, "pids.max") == "10"
    runtime("start", cid)
    wait_for(lambda: (bundle.rootfs / "tmp" / "out").exists() and "current" in inside(bundle), "the report")
    out = inside(bundle)
    assert "pids.max=10" in out, out
    assert "pids.current=9" in out, out
    assert "fork" in inside(bundle, "err"), inside(bundle, "err")
    events = read(d, "pids.events")
    assert int(events.split("max")[1].split()[0]) > 0, events
    wait_for(lambda: state(runtime, cid)["status"] == "stopped", "the container to stop")
    runtime("delete", "--force", cid)


# ---- cpu -----------------------------------------------------------------------------------------


def _cpu_usage_ns(record: dict[str, Any]) -> int:
    d, v = ctl_dir(record, "cpuacct") if any("cpuacct" in k.split(",") for k in record["paths"]) \
        else ctl_dir(record, "cpu")
    if v == 1:
        return int(read(d, "cpuacct.usage"))
    stat = dict(line.split() for line in read(d, "cpu.stat").splitlines())
    return int(stat["usage_usec"]) * 1000


def test_cpu_quota_caps_usage(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """quota 20 ms per 100 ms period: two busy loops get about 0.2 CPU, not 2."""
    cid = unique_id()
    r = create(runtime, bundle, cid, {"cpu": {"quota": 20000, "period": 100000}},
               ["sh", "-c", "while :; do :; done & while :; do :; done"])
    assert r.returncode == 0, r.stderr
    record = cgroup_record(runtime, cid)
    d, v = ctl_dir(record, "cpu")
    if v == 1:
        assert (read(d, "cpu.cfs_quota_us"), read(d, "cpu.cfs_period_us")) == ("20000", "100000")
    else:
        assert read(d, "cpu.max") == "20000 100000"
    runtime("start", cid)
    time.sleep(0.3)
    u0, t0 = _cpu_usage_ns(record), time.monotonic()
    time.sleep(1.0)
    u1, t1 = _cpu_usage_ns(record), time.monotonic()
    share = (u1 - u0) / ((t1 - t0) * 1e9)
    assert 0.02 < share < 0.5, f"the container used {share:.2f} CPUs"  # ~0.2; unlimited would be ~2
    stat = dict(line.split() for line in read(d, "cpu.stat").splitlines())
    assert int(stat["nr_throttled"]) > 0, stat
    runtime("delete", "--force", cid)


def test_cpu_settings_read_back(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    cpu = {"shares": 512, "quota": 50000, "burst": 10000, "period": 200000, "idle": 0}
    r = create(runtime, bundle, cid, {"cpu": cpu})
    assert r.returncode == 0, r.stderr
    d, v = ctl_dir(cgroup_record(runtime, cid), "cpu")
    if v == 1:
        assert read(d, "cpu.shares") == "512"
        assert read(d, "cpu.cfs_quota_us") == "50000"
        assert read(d, "cpu.cfs_period_us") == "200000"
        assert read(d, "cpu.cfs_burst_us") == "10000"
        assert read(d, "cpu.idle") == "0"
    else:
        assert read(d, "cpu.weight") == "59"  # runc's conversion of 512 shares
        assert read(d, "cpu.max") == "50000 200000"
        assert read(d, "cpu.max.burst") == "10000"
        assert read(d, "cpu.idle") == "0"
    runtime("delete", "--force", cid)


def test_cpuset_pins_the_container(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    script = CGREAD + ("{ grep -E '^(Cpus|Mems)_allowed_list' /proc/self/status; cg cpuset.cpus cpuset; } "
                       "> /tmp/out")
    r = create(runtime, bundle, cid, {"cpu": {"cpus": "0", "mems": "0"}}, ["sh", "-c", script])
    assert r.returncode == 0, r.stderr
    d, _ = ctl_dir(cgroup_record(runtime, cid), "cpuset")
    assert (read(d, "cpuset.cpus"), read(d, "cpuset.mems")) == ("0", "0")
    run_to_end(runtime, cid)
    out = inside(bundle)
    assert "Cpus_allowed_list:\t0\n" in out, out
    assert "Mems_allowed_list:\t0\n" in out, out
    assert "cpuset.cpus=0" in out, out
    runtime("delete", "--force", cid)


# ---- block io, hugetlb, unified ------------------------------------------------------------------------


def _a_block_device() -> str:
    """major:minor of a real disk (not loop, ram or zram) if there is one, else of any."""
    devs = sorted(os.listdir("/sys/block"))
    devs.sort(key=lambda n: n.startswith(("loop", "ram", "zram")))
    if not devs:
        pytest.skip("no block device on this host")
    return Path("/sys/block", devs[0], "dev").read_text().strip()


def test_block_io_weight_and_throttle_read_back(runtime: Any, bundle: Any, unique_id: Any) -> None:
    dev = _a_block_device()
    major, minor = (int(x) for x in dev.split(":"))
    cid = unique_id()
    bio = {"weight": 300, "throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1 << 20}],
           "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 100}]}
    r = create(runtime, bundle, cid, {"blockIO": bio})
    if r.returncode != 0 and "this host has no" in r.stderr and "weight" in r.stderr:
        pytest.skip(f"no proportional I/O weights here: {r.stderr.strip()}")
    assert r.returncode == 0, r.stderr
    d, v = ctl_dir(cgroup_record(runtime, cid), "io")
    if v == 1:
        weight = read(d, "blkio.weight") if Path(d, "blkio.weight").exists() else read(d, "blkio.bfq.weight")
        assert weight.split()[-1] == "300", weight  # BFQ shows "default 300"
        assert read(d, "blkio.throttle.read_bps_device") == f"{dev} {1 << 20}"
        assert read(d, "blkio.throttle.write_iops_device") == f"{dev} 100"
    else:
        if Path(d, "io.bfq.weight").exists():
            assert read(d, "io.bfq.weight").splitlines()[0].split()[-1] == "300"
        else:
            # runc's conversion: 1 + (300 - 10) * 9999 // 990
            assert read(d, "io.weight").splitlines()[0].split()[-1] == "2930"
        io_max = read(d, "io.max")
        assert f"{dev} rbps={1 << 20} wbps=max riops=max wiops=100" in io_max, io_max
    runtime("delete", "--force", cid)


def test_hugetlb_limit_read_back(runtime: Any, bundle: Any, unique_id: Any) -> None:
    if "2MB" not in hugepage_sizes():
        pytest.skip("no 2MB huge pages on this host")
    cid = unique_id()
    r = create(runtime, bundle, cid, {"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}]})
    assert r.returncode == 0, r.stderr
    d, v = ctl_dir(cgroup_record(runtime, cid), "hugetlb")
    name = "hugetlb.2MB.limit_in_bytes" if v == 1 else "hugetlb.2MB.max"
    assert int(read(d, name)) == 4 << 20
    rsvd = name.replace("2MB.", "2MB.rsvd.")
    if Path(d, rsvd).exists():
        assert int(read(d, rsvd)) == 4 << 20
    runtime("delete", "--force", cid)


def test_unified_keys(runtime: Any, bundle: Any, unique_id: Any, no_leaks: Any) -> None:
    """On v2, any key; on a hybrid host, keys of the controllers in the unified hierarchy."""
    cid = unique_id()
    r = create(runtime, bundle, cid, {})
    assert r.returncode == 0, r.stderr
    record = cgroup_record(runtime, cid)
    runtime("delete", "--force", cid)
    if record["mode"] == "v2":
        unified = {"memory.high": "50M", "pids.max": "7"}
        want = {"memory.high": str(50 << 20), "pids.max": "7"}
    elif record["mode"] == "hybrid" and "2MB" in hugepage_sizes() and \
            "hugetlb" in Path("/sys/fs/cgroup/unified/cgroup.controllers").read_text().split():
        unified = {"hugetlb.2MB.max": str(2 << 20)}
        want = {"hugetlb.2MB.max": str(2 << 20)}
    else:
        pytest.skip("no cgroup2 controllers on this host")
    cid = unique_id()
    r = create(runtime, bundle, cid, {"unified": unified})
    assert r.returncode == 0, r.stderr
    d = cgroup_record(runtime, cid)["paths"]["unified"]
    for key, value in want.items():
        assert read(d, key) == value
    runtime("delete", "--force", cid)
    if record["mode"] == "hybrid":  # memory is on v1 here: a unified memory key is refused
        cid = unique_id()
        bundle.config["linux"]["resources"]["unified"] = {"memory.high": "50M"}
        r = create(runtime, bundle, cid, {})
        one_line_error(r, "linux.resources.unified['memory.high']", "cgroup v1")
        no_leaks(cid)


# ---- bad input ---------------------------------------------------------------------------------------------


def _mode() -> str:
    from hutch.cgroups import detect_mode

    return detect_mode()


BAD = [
    ({"memory": {"limit": -5}}, "$.linux.resources.memory.limit"),
    ({"memory": {"limit": 100, "swap": 50}}, "$.linux.resources.memory.swap"),
    ({"cpu": {"quota": 10}}, "$.linux.resources.cpu.quota"),
    ({"cpu": {"shares": 10**9}}, "$.linux.resources.cpu.shares"),
    ({"cpu": {"cpus": "0-"}}, "$.linux.resources.cpu.cpus"),
    ({"cpu": {"cpus": "99"}}, "linux.resources.cpu.cpus: CPU(s) 99 not available"),
    ({"pids": {"limit": -7}}, "$.linux.resources.pids.limit"),
    ({"blockIO": {"weight": 5000}}, "$.linux.resources.blockIO.weight"),
    ({"blockIO": {"throttleReadBpsDevice": [{"major": 4000, "minor": 77, "rate": 1}]}},
     "linux.resources.blockIO.throttleReadBpsDevice[0]: no block device 4000:77"),
    ({"hugepageLimits": [{"pageSize": "3MB", "limit": 1}]}, "$.linux.resources.hugepageLimits[0].pageSize"),
    ({"hugepageLimits": [{"pageSize": "64KB", "limit": 1}]},
     "linux.resources.hugepageLimits[0]: this host has no"),
    ({"network": {"classID": 1}}, "linux.resources.network.classID: this host has no net_cls"),
    ({"unified": {"../memory.max": "1"}}, "$.linux.resources.unified['../memory.max']"),
    ({"unified": {"cgroup.procs": "1"}}, "$.linux.resources.unified['cgroup.procs']"),
    ({"unified": {"nosuch.key": "1"}}, "linux.resources.unified['nosuch.key']: this host has no nosuch"),
    ({"cpu": {"realtimeRuntime": 1000, "realtimePeriod": 1000000}}, "linux.resources.cpu.realtimeRuntime"),
    ({"rdma": {"mlx5_0": {"hcaHandles": 1}}}, "linux.resources.rdma.mlx5_0"),
]


@pytest.mark.parametrize(("resources", "words"), BAD, ids=[w.rsplit(".", 1)[-1][:30] for _, w in BAD])
def test_bad_resources_are_refused(runtime: Any, bundle: Any, unique_id: Any, no_leaks: Any,
                                   resources: dict[str, Any], words: str) -> None:
    cid = unique_id()
    bundle.config["process"]["args"] = ["true"]
    bundle.config["linux"]["resources"].update(resources)
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), cid, check=False)
    one_line_error(r, words)
    assert runtime.ids() == []
    no_leaks(cid)


def test_a_write_the_kernel_refuses_leaves_nothing(runtime: Any, bundle: Any, unique_id: Any,
                                                  no_leaks: Any) -> None:
    """A value every check lets through but the kernel refuses (a unified key's value is
    the kernel's to parse): one line naming it and what was applied before; no cgroup left."""
    mode = _mode()
    if mode == "v2":
        key = "memory.high"
    elif mode == "hybrid" and "2MB" in hugepage_sizes() and \
            "hugetlb" in Path("/sys/fs/cgroup/unified/cgroup.controllers").read_text().split():
        key = "hugetlb.2MB.max"
    else:
        pytest.skip("no cgroup2 controller on this host")
    cid = unique_id()
    r = create(runtime, bundle, cid, {"pids": {"limit": 100}, "unified": {key: "lots"}})
    one_line_error(r, f"linux.resources.unified['{key}']: cannot write 'lots'", "Invalid argument",
                   "(applied before it: linux.resources.pids.limit)")
    assert runtime.ids() == []
    no_leaks(cid)


def test_kernel_memory_is_refused_where_not_enforced(runtime: Any, bundle: Any, unique_id: Any,
                                                     no_leaks: Any) -> None:
    """Kernel memory limits: gone on v2, accepted but ignored by v1 on Linux >= 6.1 (read back
    unlimited): an error either way, not a limit silently dropped."""
    cid = unique_id()
    r = create(runtime, bundle, cid, {"memory": {"kernel": 64 << 20}})
    if r.returncode == 0:
        d, _ = ctl_dir(cgroup_record(runtime, cid), "memory")
        assert int(read(d, "memory.kmem.limit_in_bytes")) == 64 << 20  # an older kernel: it holds
        runtime("delete", "--force", cid)
        return
    one_line_error(r, "linux.resources.memory.kernel")
    assert "ignores it" in r.stderr or "cgroup v2 has no kernel memory" in r.stderr, r.stderr
    no_leaks(cid)


# ---- network: net_cls and net_prio, where they are mounted -------------------------------------------

# In a private mount namespace: a fresh tmpfs over /sys/fs/cgroup with the host's
# hierarchies bound back, plus a net_cls,net_prio hierarchy of the test's own (the host
# mounts neither; nothing of the host's mounts changes). Then create the container,
# print its two files, and delete it, all in there; `delete --force` runs on any exit.
NET_SCRIPT = r"""
set -eu
HR=$1 ROOT=$2 BUNDLE=$3 CID=$4 save=$5
trap '"$HR" --root "$ROOT" delete --force "$CID" >/dev/null 2>&1 || true' EXIT
mount --rbind /sys/fs/cgroup "$save"
mount -t tmpfs hutch-cgroot /sys/fs/cgroup
for d in "$save"/*; do
    mkdir "/sys/fs/cgroup/${d##*/}"
    mount --bind "$d" "/sys/fs/cgroup/${d##*/}"
done
mkdir /sys/fs/cgroup/net_cls,net_prio
mount -t cgroup -o net_cls,net_prio hutch-netcls /sys/fs/cgroup/net_cls,net_prio
"$HR" --root "$ROOT" create --bundle "$BUNDLE" "$CID"
d=/sys/fs/cgroup/net_cls,net_prio/hutch/$CID
echo "classid=$(cat "$d/net_cls.classid")"
grep '^lo ' "$d/net_prio.ifpriomap" | sed 's/^/prio=/'
"$HR" --root "$ROOT" delete --force "$CID"
[ ! -e "$d" ] && echo removed
"""


def _net_hierarchy() -> tuple[str, str]:
    """The hierarchy ids of net_cls and net_prio in /proc/cgroups ("0": not on a v1 one)."""
    ids = {f[0]: f[1] for f in (line.split() for line in Path("/proc/cgroups").read_text().splitlines()[1:])}
    return ids.get("net_cls", "?"), ids.get("net_prio", "?")


def _drop_net_hierarchy(mnt: Path) -> None:
    """Undo the test's v1 hierarchy. The kernel destroys one when it is unmounted with no
    children; the namespace's exit may unmount it while the container's removed cgroups
    are still dying, and then it stays. So mount it again (privately) and unmount it,
    until /proc/cgroups shows net_cls and net_prio back on no v1 hierarchy."""
    import subprocess

    mnt.mkdir(exist_ok=True)
    for _ in range(50):
        if _net_hierarchy() == ("0", "0"):
            return
        remount = 'mount -t cgroup -o net_cls,net_prio hutch-netcls "$1" && umount "$1"'
        subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", remount, "sh", str(mnt)],
                       check=False, capture_output=True, timeout=30)
        time.sleep(0.1)
    raise AssertionError(f"the test's net_cls,net_prio hierarchy stays: {_net_hierarchy()}")


def test_network_class_id_and_priorities_where_mounted(runtime: Any, bundle: Any, unique_id: Any,
                                                       tmp_path: Path, no_leaks: Any) -> None:
    import subprocess

    if _mode() == "v2":
        pytest.skip("cgroup v2 has no net_cls or net_prio controller")
    if _net_hierarchy() != ("0", "0"):
        pytest.skip("net_cls/net_prio are missing, or mounted by the host already")
    cid = unique_id()
    bundle.config["linux"]["resources"]["network"] = {"classID": 0x100001,
                                                      "priorities": [{"name": "lo", "priority": 5}]}
    bundle.write()
    root = f"{runtime.root}-netns"
    save = tmp_path / "host-cgroups"
    save.mkdir()
    try:
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", NET_SCRIPT, "sh",
                            runtime.bin, root, str(bundle.path), cid, str(save)],
                           capture_output=True, text=True, timeout=60, check=False)
    finally:
        subprocess.run(["rm", "-rf", "--", root], check=False)
        _drop_net_hierarchy(tmp_path / "remount")
    assert r.returncode == 0, r.stderr + r.stdout
    assert r.stdout.splitlines() == [f"classid={0x100001}", "prio=lo 5", "removed"], r.stdout
    no_leaks(cid)
