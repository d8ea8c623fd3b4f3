"""A runtime killed (SIGKILL) at any moment of create, start or delete leaves a state that
the next command understands, and `delete --force` then leaves nothing: no state dir, no
cgroup, no process. Kill points (hutch.faults) hit each window on purpose; timed kills
sweep the rest."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from typing import Any

import pytest

from tests.support.leaks import find_leaks

pytestmark = pytest.mark.root

CREATE_POINTS = ["create.dir", "create.state", "create.cgroup", "create.forked", "create.applied",
                 "create.ready", "create.saved"]


def killed_at(runtime: Any, point: str, *args: str) -> None:
    r = runtime(*args, check=False, env={"HUTCH_RUNTIME_KILL_AT": point})
    assert r.returncode == -9, f"{point}: not killed there: {r.returncode} {r.stderr}"


def assert_nothing_left(runtime: Any, cid: str) -> None:
    assert not os.path.exists(os.path.join(runtime.root, cid)), os.listdir(os.path.join(runtime.root, cid))
    leaks = find_leaks([cid], [runtime.root], runtime.tracker.pids, grace=2.0)
    assert not leaks, leaks


def force_delete(runtime: Any, cid: str) -> None:
    r = runtime("delete", "--force", cid, check=False)
    assert r.returncode == 0 and not r.stderr, r.stderr  # also for one that never got a state
    assert_nothing_left(runtime, cid)


@pytest.mark.parametrize("point", CREATE_POINTS)
def test_create_killed_at_each_step(runtime: Any, bundle: Any, unique_id: Any, point: str) -> None:
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    killed_at(runtime, point, "create", "--bundle", str(bundle.path), cid)
    # What the next command sees is consistent: gone, or a stopped container to delete
    # (or, killed after its state was saved, a created one).
    listed = {c["id"]: c["status"] for c in json.loads(runtime("list", "--format", "json").stdout or "[]")}
    want = {"create.dir": None, "create.saved": "created"}.get(point, "stopped")
    assert listed.get(cid) == want, listed
    if want == "stopped":
        r = runtime("delete", cid, check=False)  # a dead create's leftovers need no --force
        assert r.returncode == 0, r.stderr
        assert_nothing_left(runtime, cid)
    force_delete(runtime, cid)


def test_start_killed_after_release(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """Once `start` let the init go, the container never looks `created` again."""
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime.tracker.add_pid(runtime.state(cid)["pid"])
    killed_at(runtime, "start.opened", "start", cid)
    deadline = time.monotonic() + 5
    while runtime.state(cid)["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert runtime.state(cid)["status"] == "running"
    r = runtime("start", cid, check=False)
    assert r.returncode != 0 and "running" in r.stderr
    force_delete(runtime, cid)


@pytest.mark.parametrize("point", ["delete.killed", "delete.cgroup"])
def test_delete_killed_then_deleted_again(runtime: Any, bundle: Any, unique_id: Any, point: str) -> None:
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    killed_at(runtime, point, "delete", "--force", cid)
    assert runtime.state(cid)["status"] == "stopped"
    r = runtime("delete", cid, check=False)  # stopped now: no --force needed
    assert r.returncode == 0, r.stderr
    assert_nothing_left(runtime, cid)


def test_create_killed_at_random_moments(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """SIGKILL from outside after a random delay within a create's duration, many times."""
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    argv = [runtime.bin, "--root", runtime.root, "create", "--bundle", str(bundle.path)]
    cid = unique_id()
    began = time.monotonic()
    runtime(*argv[3:], cid)
    took = time.monotonic() - began
    force_delete(runtime, cid)
    rng = random.Random(1234)
    for i in range(30):
        cid = unique_id()
        proc = subprocess.Popen([*argv, cid], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(took * (i / 30 + rng.uniform(0, 1 / 30)))
        proc.kill()
        proc.wait()
        force_delete(runtime, cid)
