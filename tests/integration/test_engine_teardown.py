"""The engine's one teardown (hutch.engine.teardown) after a kill -9 at its steps: the
process that tears a container down (its monitor, `rm`, a failed `create`) is killed at a
kill point (hutch.faults), and the next `ps`/`rm -f` leaves nothing: no directory, no
mount, no runtime state, no process, no cgroup."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.test_engine import HUTCH, Hutch, _import, _mounts_under, hutch  # noqa: F401
from tests.support.leaks import find_leaks

pytestmark = pytest.mark.root


def _killed(h: Hutch, point: str, *args: str) -> int:
    env = {**os.environ, "HUTCH_RUNTIME_KILL_AT": point}
    r = subprocess.run([str(HUTCH), "--root", str(h.root), "--runroot", h.runroot, *args], env=env,
                       capture_output=True, timeout=60, check=False)
    return r.returncode


def _dirs(h: Hutch) -> list[str]:
    return [n for n in os.listdir(h.root / "containers") if len(n) == 64]


def _assert_gone(h: Hutch, ids: list[str]) -> None:
    assert h("ps", "-a", "-q", "--no-trunc").stdout.split() == []
    assert _dirs(h) == []
    assert not _mounts_under(h.root), _mounts_under(h.root)
    state = Path(h.runroot) / "runtime"
    assert not any((state / cid).exists() for cid in ids)
    leaks = find_leaks(ids, markers=[str(h.root)])
    assert not leaks, leaks


def _until_exited(h: Hutch, ref: str) -> tuple[str, int]:
    deadline = time.monotonic() + 20
    while True:
        state = json.loads(h("inspect", ref).stdout)[0]["State"]
        if state["Status"] == "exited" or time.monotonic() > deadline:
            return state["Status"], state["ExitCode"]
        time.sleep(0.1)


def test_create_killed_before_its_record(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    assert _killed(hutch, "engine.create.made", "create", "--name", "c1", "hbox:1", "true") == -9
    [cid] = _dirs(hutch)  # a directory without a record: `ps` sweeps it
    _assert_gone(hutch, [cid])


@pytest.mark.parametrize("point", ["engine.teardown.deleted", "engine.teardown.unmounted"])
def test_monitor_killed_in_its_teardown(hutch: Hutch, point: str) -> None:  # noqa: F811
    _import(hutch)
    # the monitor inherits the kill point: it dies tearing the container down at its exit
    assert _killed(hutch, point, "run", "-d", "--name", "m1", "hbox:1", "sh", "-c", "sleep 0.3; exit 3") == 0
    [cid] = _dirs(hutch)
    assert _until_exited(hutch, "m1") == ("exited", 255)  # its monitor is gone: `ps` finishes the job
    assert not _mounts_under(hutch.root)
    hutch("rm", "-f", "m1")
    _assert_gone(hutch, [cid])


def test_rm_killed_in_its_teardown(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    cid = hutch("run", "-d", "--name", "r1", "hbox:1", "sleep", "1000").stdout.strip()
    assert _killed(hutch, "engine.teardown.emptied", "rm", "-f", "r1") == -9
    assert hutch("ps", "-a", "-q", "--no-trunc").stdout.split() == [cid]  # the record goes last
    hutch("rm", "-f", "r1")
    _assert_gone(hutch, [cid])


def test_run_rm_killed_in_its_teardown(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    _killed(hutch, "engine.teardown.deleted", "run", "--rm", "--name", "x1", "hbox:1", "true")
    ids = _dirs(hutch)
    hutch("ps", "-a")
    hutch("rm", "-f", "x1", check=False)
    _assert_gone(hutch, ids)
