"""pause/resume, events (stats and OOM) and update on real containers (v1 here, v2 in the guest)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.root

TICKER = ["sh", "-c", "while :; do echo x >> /tmp/ticks; done"]


def state(runtime: Any, cid: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(runtime("state", cid).stdout)
    return out


def wait_for(cond: Any, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def one_line_error(r: subprocess.CompletedProcess[str], *words: str) -> None:
    assert r.returncode != 0, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], r.stderr


def cgroup_record(runtime: Any, cid: str) -> dict[str, Any]:
    with open(os.path.join(runtime.root, cid, "state.json")) as f:
        record: dict[str, Any] = json.load(f)["cgroup"]
    return record


def memory_dir(record: dict[str, Any]) -> tuple[str, bool]:
    """(directory with the memory files, True if cgroup v2)."""
    if record["mode"] == "v2":
        return record["paths"]["unified"], True
    return next(p for k, p in record["paths"].items() if "memory" in k.split(",")), False


def has_memory_controller(record: dict[str, Any]) -> bool:
    """v1: always; v2: once the controller is enabled for the container's cgroup."""
    d, v2 = memory_dir(record)
    return not v2 or os.path.exists(os.path.join(d, "memory.max"))


def start_ticker(runtime: Any, bundle: Any, cid: str) -> Path:
    bundle.config["process"]["args"] = TICKER
    bundle.config["root"]["readonly"] = False
    bundle.write()
    ticks = bundle.rootfs / "tmp" / "ticks"
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    wait_for(lambda: ticks.exists() and ticks.stat().st_size > 0, "the counter to start")
    return ticks


def test_pause_stops_the_counter_and_resume_restarts_it(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    ticks = start_ticker(runtime, bundle, cid)
    runtime("pause", cid)
    assert state(runtime, cid)["status"] == "paused"
    frozen = ticks.stat().st_size
    time.sleep(0.5)
    assert ticks.stat().st_size == frozen, "the counter advanced while paused"
    one_line_error(runtime("pause", cid, check=False), "container not running")  # runc's words

    runtime("resume", cid)
    assert state(runtime, cid)["status"] == "running"
    wait_for(lambda: ticks.stat().st_size > frozen, "the counter to advance after resume")
    one_line_error(runtime("resume", cid, check=False), "container not paused")

    # kill of a paused container: the signal is delivered (a v1 freezer needs a thaw for it)
    runtime("pause", cid)
    runtime("kill", cid, "KILL")
    wait_for(lambda: state(runtime, cid)["status"] == "stopped", "the container to stop")
    one_line_error(runtime("pause", cid, check=False), "container not running")
    one_line_error(runtime("resume", cid, check=False), "container not paused")
    runtime("delete", cid)


def test_pause_a_created_container_and_delete_force_it(runtime: Any, bundle: Any, unique_id: Any,
                                                       no_leaks: Any) -> None:
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("pause", cid)
    assert state(runtime, cid)["status"] == "paused"
    one_line_error(runtime("start", cid, check=False), "paused")
    runtime("resume", cid)
    assert state(runtime, cid)["status"] == "created"
    runtime("start", cid)
    runtime("pause", cid)
    runtime("delete", "--force", cid)
    assert runtime("state", cid, check=False).returncode != 0
    no_leaks(cid)


def test_events_stats(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    start_ticker(runtime, bundle, cid)
    first = json.loads(runtime("events", "--stats", cid).stdout)
    assert first["type"] == "stats" and first["id"] == cid
    data = first["data"]
    assert list(data) == ["cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt",
                          "network_interfaces"]
    assert set(data["cpu"]) == {"usage", "throttling"}
    assert data["cpu"]["usage"]["total"] > 0
    assert {"kernel", "user"} <= set(data["cpu"]["usage"])
    mem = data["memory"]
    assert {"usage", "swap", "kernel", "kernelTCP"} <= set(mem)
    if has_memory_controller(cgroup_record(runtime, cid)):
        assert mem["usage"]["usage"] > 0 and mem["usage"]["limit"] > 0 and mem["raw"]
    assert data["pids"]["current"] >= 1
    assert isinstance(data["hugetlb"], dict) and data["network_interfaces"] is None
    time.sleep(0.3)
    later = json.loads(runtime("events", "--stats", cid).stdout)["data"]
    assert later["cpu"]["usage"]["total"] > data["cpu"]["usage"]["total"]

    # events without --stats: stats every interval until the container stops
    proc = subprocess.Popen([runtime.bin, "--root", runtime.root, "events", "--interval", "200ms", cid],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert line["type"] == "stats" and line["data"]["pids"]["current"] >= 1
        runtime("kill", cid, "KILL")
        proc.wait(timeout=20)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0
    wait_for(lambda: state(runtime, cid)["status"] == "stopped", "the container to stop")
    one_line_error(runtime("events", "--stats", cid, check=False), f"container with id {cid} is not running")
    runtime("delete", cid)


def test_events_bad_flags(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    one_line_error(runtime("events", "--interval", "0", cid, check=False), "greater than 0")
    one_line_error(runtime("events", "--interval", "5 s", cid, check=False), "--interval")
    one_line_error(runtime("events", "--stats", "nope-" + cid, check=False), "does not exist")
    runtime("delete", "--force", cid)


def test_oom_kill_is_reported(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """A process that allocates past the memory limit is OOM-killed: `events` reports it."""
    from hutch.cgroups.oom import oom_kills

    cid = unique_id()
    # tail buffers an endless line; the shell survives to show the container goes on
    go = bundle.rootfs / "tmp" / "go"
    bundle.config["process"]["args"] = [
        "sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; tail /dev/zero; sleep 1"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("update", "--memory", "32m", "--memory-swap", "32m", cid)
    record = cgroup_record(runtime, cid)
    assert oom_kills(record["mode"], record["paths"]) == 0
    runtime("start", cid)
    proc = subprocess.Popen([runtime.bin, "--root", runtime.root, "events", "--interval", "100ms", cid],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())  # events is watching now
        go.touch()
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0
    events = [first, *(json.loads(line) for line in out.splitlines())]
    assert {"type": "oom", "id": cid} in events
    assert oom_kills(record["mode"], record["paths"]) >= 1  # before delete removes the cgroup
    runtime("delete", cid)


def controller_file(record: dict[str, Any], controller: str, v1: str, v2: str) -> Path:
    if record["mode"] == "v2":
        return Path(record["paths"]["unified"], v2)
    d = next(p for k, p in record["paths"].items() if k != "unified" and controller in k.split(","))
    return Path(d, v1)


def test_update_limits_read_back(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    record = cgroup_record(runtime, cid)
    v2 = record["mode"] == "v2"

    def read(controller: str, v1: str, v2name: str) -> str:
        return controller_file(record, controller, v1, v2name).read_text().strip()

    runtime("update", "--memory", "64m", "--memory-swap", "128m", "--pids-limit", "42",
            "--cpu-quota", "25000", "--cpu-period", "100000", "--cpu-share", "512", cid)
    assert read("memory", "memory.limit_in_bytes", "memory.max") == str(64 << 20)
    assert read("pids", "pids.max", "pids.max") == "42"
    if v2:
        assert read("cpu", "", "cpu.max") == "25000 100000"
        from hutch.cgroups.translate import shares_to_weight

        assert read("cpu", "", "cpu.weight") == str(shares_to_weight(512))
    else:
        assert read("cpu", "cpu.cfs_quota_us", "") == "25000"
        assert read("cpu", "cpu.cfs_period_us", "") == "100000"
        assert read("cpu", "cpu.shares", "") == "512"

    # only what is given changes; the JSON form as containerd sends it (devices ignored)
    request = {"pids": {"limit": 7}, "memory": {"limit": 0},
               "devices": [{"allow": True, "access": "rwm"}]}
    runtime("update", "--resources", "-", cid, input=json.dumps(request))
    assert read("pids", "pids.max", "pids.max") == "7"
    assert read("memory", "memory.limit_in_bytes", "memory.max") == str(64 << 20)
    # flags after the id, and JSON keys in any case: runc takes both (urfave/cli, Go's json)
    runtime("update", cid, "--pids-limit", "9")
    assert read("pids", "pids.max", "pids.max") == "9"
    runtime("update", "-r", "-", cid, input='{"Pids": {"LIMIT": 8}}')
    assert read("pids", "pids.max", "pids.max") == "8"
    runtime("update", "--pids-limit", "-1", "--memory", "-1", cid)
    assert read("pids", "pids.max", "pids.max") == "max"
    assert read("memory", "memory.limit_in_bytes", "memory.max") in ("max", "9223372036854771712")

    # bad values: one line naming the flag, and nothing written
    runtime("update", "--pids-limit", "42", cid)
    for argv, words in [
        (["--memory", "lots"], ["--memory"]),
        (["--cpu-share", "1"], ["--cpu-share", "out of range"]),
        (["--cpu-quota", "x"], ["--cpu-quota"]),
        (["--pids-limit", "5", "--cpuset-cpus", "0-999"], ["cpu"]),
    ]:
        one_line_error(runtime("update", *argv, cid, check=False), *words)
        assert read("pids", "pids.max", "pids.max") == "42"
    one_line_error(runtime("update", "--resources", "-", cid, check=False, input="{"), "not valid JSON")
    one_line_error(runtime("update", "-r", "-", cid, check=False, input='{"pids": {"limit": "x"}}'),
                   "resources.pids.limit")

    runtime("kill", cid, "KILL")
    wait_for(lambda: state(runtime, cid)["status"] == "stopped", "the container to stop")
    one_line_error(runtime("update", "--pids-limit", "5", cid, check=False), "stopped")
    runtime("delete", cid)


def _freezer_dir(name: str) -> tuple[Path, str, str]:
    """(directory, file, frozen value) of cgroup /hutch/<name>'s freezer on this host."""
    from hutch.cgroups import probe

    setup = probe()
    for h in setup.hierarchies:
        if h.key != "unified" and "freezer" in h.controllers:
            return Path(h.mountpoint, "hutch", name), "freezer.state", "FROZEN"
    unified = next(h for h in setup.hierarchies if h.key == "unified")
    return Path(unified.mountpoint, "hutch", name), "cgroup.freeze", "1"


def test_create_in_a_frozen_cgroup_is_refused_at_once(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """runc's check: the init could never report back from a frozen cgroup (create used to
    wait forever). The cgroup is someone else's: left as it was."""
    cid = unique_id()
    name = f"hutch-frozen-{cid}"
    d, file, frozen = _freezer_dir(name)
    d.mkdir(parents=True)
    try:
        (d / file).write_text(frozen)
        bundle.config["linux"]["cgroupsPath"] = name
        bundle.write()
        started = time.monotonic()
        r = runtime("create", "--bundle", str(bundle.path), cid, check=False, timeout=20)
        one_line_error(r, "container's cgroup unexpectedly frozen")
        assert time.monotonic() - started < 10
        assert runtime.ids() == []
        assert (d / file).read_text().strip() == frozen
    finally:
        (d / file).write_text("THAWED" if file == "freezer.state" else "0")
        d.rmdir()


def test_a_cgroup_in_use_is_shared_with_a_warning(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """runc's warning for a cgroup with processes in it; a create that fails there then
    leaves the cgroup and the other container's processes alone."""
    first, second, third = unique_id(), unique_id(), unique_id()
    bundle.config["linux"]["cgroupsPath"] = f"hutch-shared-{first}"
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    r = runtime("create", "--bundle", str(bundle.path), first)
    assert "not empty" not in r.stderr
    runtime("start", first)
    r = runtime("create", "--bundle", str(bundle.path), second)
    assert "container's cgroup is not empty: 1 process(es) found" in r.stderr, r.stderr
    bundle.config["hooks"] = {"prestart": [{"path": "/bin/false"}]}
    bundle.write()
    r = runtime("create", "--bundle", str(bundle.path), third, check=False)
    assert r.returncode != 0 and "not empty: 2 process(es)" in r.stderr, r.stderr
    assert state(runtime, first)["status"] == "running"
    assert state(runtime, second)["status"] == "created"
    runtime("delete", "--force", second)
    runtime("delete", "--force", first)


def _sleeper(runtime: Any, bundle: Any, cid: str) -> dict[str, Any]:
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    return cgroup_record(runtime, cid)


def test_exec_refuses_a_paused_container_as_runc(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    _sleeper(runtime, bundle, cid)
    runtime("pause", cid)
    r = runtime("exec", cid, "true", check=False)  # the default timeout: the v2 guest is slow
    assert r.returncode == 255, r  # runc: exec's own failures exit 255, never the process's status
    assert "cannot exec in a paused container (use --ignore-paused to override)" in r.stderr
    runtime("resume", cid)
    r = runtime("exec", "--cgroup", "a:b:c", cid, "true", check=False)
    one_line_error(r, "invalid --cgroup argument: a:b:c")
    assert r.returncode == 255
    assert runtime("exec", check=False).returncode == 1  # no container id: a usage error, as runc
    runtime("delete", "--force", cid)
    r = runtime("exec", cid, "true", check=False)
    assert r.returncode == 255 and "does not exist" in r.stderr


def test_exec_joins_a_sub_cgroup(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """exec --cgroup SUB (every hierarchy) and CONTROLLER:SUB (v1: that hierarchy only);
    what is not below the container's cgroup, or does not exist, is refused in runc's words."""
    cid = unique_id()
    record = _sleeper(runtime, bundle, cid)
    for path in record["paths"].values():
        os.mkdir(os.path.join(path, "sub"))
        for name in ("cpuset.cpus", "cpuset.mems"):  # a new v1 cpuset starts empty (ENOSPC)
            if os.path.exists(os.path.join(path, "sub", name)):
                Path(path, "sub", name).write_text(Path(path, name).read_text())

    def cgroups_of_exec(*flags: str) -> dict[str, str]:
        out = runtime("exec", *flags, cid, "cat", "/proc/self/cgroup").stdout
        return {line.split(":", 2)[1]: line.split(":", 2)[2] for line in out.splitlines()}

    assert not any(p.endswith("/sub") for p in cgroups_of_exec().values())
    for flags in (["--cgroup", "sub"], ["--cgroup", "/sub/"]):
        got = cgroups_of_exec(*flags)
        assert got and all(p.endswith("/sub") for p in got.values()), got
    for sub, words in [("..", [".. is not a sub cgroup path"]), ("sub/../..", ["is not a sub cgroup path"]),
                       ("nosuch", [" adding pid ", "/nosuch/cgroup.procs: no such file or directory"])]:
        r = runtime("exec", "--cgroup", sub, cid, "true", check=False)
        one_line_error(r, *words)
        assert r.returncode == 255
    if record["mode"] == "v2":
        one_line_error(runtime("exec", "--cgroup", "memory:sub", cid, "true", check=False),
                       "unknown controller memory")
    else:
        got = cgroups_of_exec("--cgroup", "memory:sub", "--cgroup", "pids,devices:/")
        assert got["memory"].endswith("/sub") and not got["pids"].endswith("/sub"), got
        assert not any(p.endswith("/sub") for k, p in got.items() if k != "memory"), got
        one_line_error(runtime("exec", "--cgroup", "whaaat:/", cid, "true", check=False),
                       "unknown controller whaaat")
    runtime("delete", "--force", cid)
