"""The runtime-spec lifecycle, through hutch-runtime's runc-compatible CLI, on real containers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from typing import Any

import pytest

from tests.support.leaks import cgroup_dirs

pytestmark = pytest.mark.root


def state(runtime: Any, cid: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(runtime("state", cid).stdout)
    return out


def wait_status(runtime: Any, cid: str, want: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state(runtime, cid)["status"] == want:
            return
        time.sleep(0.02)
    raise AssertionError(f"{cid} did not become {want}: {state(runtime, cid)}")


def argv0(pid: int) -> bytes:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().split(b"\0")[0]


def test_create_start_state_kill_delete(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    pid_file = bundle.path / "init.pid"
    runtime("create", "--bundle", str(bundle.path), "--pid-file", str(pid_file), cid)
    st = state(runtime, cid)
    assert st["status"] == "created"
    assert st["id"] == cid and st["bundle"] == str(bundle.path)
    assert st["ociVersion"].startswith("1.")
    assert int(pid_file.read_text()) == st["pid"] > 0
    assert cgroup_dirs(cid), "the container has a cgroup"
    # created: the user process has not run yet; the init is waiting
    assert argv0(st["pid"]) != b"sleep"

    runtime("start", cid)
    st = state(runtime, cid)
    assert st["status"] == "running"
    assert argv0(st["pid"]) == b"sleep"
    ps = json.loads(runtime("ps", "--format", "json", cid).stdout)
    assert ps == [st["pid"]]
    listed = json.loads(runtime("list", "--format", "json").stdout)
    assert [c["id"] for c in listed] == [cid]
    assert cid in runtime("list").stdout

    runtime("kill", cid, "KILL")
    wait_status(runtime, cid, "stopped")
    runtime("delete", cid)
    r = runtime("state", cid, check=False)
    assert r.returncode != 0 and "does not exist" in r.stderr
    assert not cgroup_dirs(cid)
    assert not os.path.exists(os.path.join(runtime.root, cid))


def test_start_twice_and_delete_created_fail(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    r = runtime("delete", cid, check=False)  # runtime-spec: only a stopped container
    assert r.returncode != 0 and "created" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    runtime("start", cid)
    r = runtime("start", cid, check=False)
    assert r.returncode != 0 and "running" in r.stderr
    runtime("delete", "--force", cid)
    assert not cgroup_dirs(cid)


def test_kill_created_container_with_term(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("kill", cid, "TERM")
    wait_status(runtime, cid, "stopped")
    r = runtime("kill", cid, "TERM", check=False)
    # runc's words, which containerd's shim matches to take the container for gone
    assert r.returncode == 1 and r.stderr.strip().endswith("container not running"), r
    runtime("delete", cid)


def test_signal_zero_checks_the_container(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """Signal 0, as kill(2): nothing is sent, the call says whether the process is there."""
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    runtime("kill", cid, "0")
    runtime("kill", "--all", cid, "0")
    assert json.loads(runtime("state", cid).stdout)["status"] == "running"
    runtime("kill", cid, "KILL")
    wait_status(runtime, cid, "stopped")
    assert "container not running" in runtime("kill", cid, "0", check=False).stderr
    runtime("delete", cid)


def test_kill_all_signals_every_process(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    bundle.config["process"]["args"] = ["sh", "-c", "sleep 1000 & sleep 1000 & wait"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    deadline = time.monotonic() + 5
    while len(json.loads(runtime("ps", "--format", "json", cid).stdout)) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    runtime("kill", "--all", cid, str(int(signal.SIGKILL)))
    wait_status(runtime, cid, "stopped")
    assert json.loads(runtime("ps", "--format", "json", cid).stdout) == []
    runtime("delete", cid)


def test_run_foreground_exit_status(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["process"]["args"] = ["sh", "-c", "echo out; echo err >&2; exit 7"]
    bundle.write()
    cid = unique_id()
    r = runtime("run", "--bundle", str(bundle.path), cid, check=False)
    assert r.returncode == 7
    assert r.stdout == "out\n" and "err" in r.stderr
    assert not os.path.exists(os.path.join(runtime.root, cid)), "run deletes the container"
    assert not cgroup_dirs(cid)


def test_run_killed_by_signal_exit_status(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    cid = unique_id()
    proc = subprocess.Popen(
        [runtime.bin, "--root", runtime.root, "run", "--bundle", str(bundle.path), cid],
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while (runtime("state", cid, check=False).returncode != 0
               or state(runtime, cid)["status"] != "running"):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        runtime("kill", cid, "KILL")
        assert proc.wait(10) == 128 + 9
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_run_forwards_signals(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["process"]["args"] = ["sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; "
                                        "while true; do sleep 0.1; done"]
    bundle.write()
    cid = unique_id()
    proc = subprocess.Popen(
        [runtime.bin, "--root", runtime.root, "run", "--bundle", str(bundle.path), cid],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 3
        assert "got-term" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_run_detach(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    cid = unique_id()
    runtime("run", "--detach", "--bundle", str(bundle.path), cid)
    assert state(runtime, cid)["status"] == "running"
    runtime("delete", "--force", cid)
    assert not cgroup_dirs(cid)


def test_log_json_last_line_is_the_error(runtime: Any, bundle: Any, tmp_path: Any) -> None:
    log = tmp_path / "log.json"
    r = runtime("--log", str(log), "--log-format", "json", "state", "nope-x", check=False)
    assert r.returncode != 0
    last = json.loads(log.read_text().splitlines()[-1])
    assert last["level"] == "error" and "does not exist" in last["msg"] and last["time"]


def test_version_spec_features(runtime: Any, tmp_path: Any) -> None:
    first = runtime("--version").stdout.splitlines()
    assert first[0].startswith("hutch-runtime version ")
    assert first[1].startswith("commit: ") and first[2].startswith("spec: 1.")
    feats = json.loads(runtime("features").stdout)
    assert feats["ociVersionMin"] == "1.0.0"
    assert "user" in feats["linux"]["namespaces"] and "time" in feats["linux"]["namespaces"]
    assert "CAP_KILL" in feats["linux"]["capabilities"]
    assert "createRuntime" in feats["hooks"]
    runtime("spec", "--bundle", str(tmp_path))
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["process"]["args"] == ["sh"] and cfg["root"]["path"] == "rootfs"
    r = runtime("spec", "--bundle", str(tmp_path), check=False)
    assert r.returncode != 0 and "exists" in r.stderr
