"""The cgroupfs manager on this host's real cgroups (root only).

Every cgroup made here is ``/hutch/hutch-test-<random>`` (absolute, in every
hierarchy). The ``track`` fixture kills the test's processes by PID (after checking
they still sit in a test cgroup) and removes the test's directories, even when an
assertion fails.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hutch.cgroups import Manager, open_manager, probe
from hutch.errors import CgroupError

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not os.path.isdir("/sys/fs/cgroup"), reason="no /sys/fs/cgroup"),
]

SRC = str(Path(__file__).resolve().parents[2] / "src")
SIGKILL = 9


def proc_cgroups(pid: int) -> dict[str, str]:
    """/proc/<pid>/cgroup as {controllers field: path}; the cgroup2 line has key ''."""
    out = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _hid, controllers, path = line.rstrip("\n").split(":", 2)
            out[controllers] = path
    return out


def field(key: str) -> str:
    return "" if key == "unified" else key


def wait_until(cond: object, timeout: float = 5.0) -> bool:
    assert callable(cond)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return bool(cond())


class Tracker:
    def __init__(self, name: str) -> None:
        self.name = name
        self.procs: list[subprocess.Popen[bytes]] = []
        self.pids: list[int] = []
        self.managers: list[Manager] = []
        self.extra_dirs: list[str] = []

    def manager(self, cgroups_path: str | None = None) -> Manager:
        m = open_manager(cgroups_path, self.name)
        assert f"/hutch/{self.name}" in m.path
        self.managers.append(m)
        return m

    def spawn(self, *argv: str, pipes: bool = False) -> subprocess.Popen[bytes]:
        pipe = subprocess.PIPE if pipes else None
        p = subprocess.Popen(argv, stdin=pipe, stdout=pipe)
        self.procs.append(p)
        return p

    def _ours(self, pid: int) -> bool:
        try:
            return any(f"/hutch/{self.name}" in p for p in proc_cgroups(pid).values())
        except OSError:
            return False

    def finalize(self) -> None:
        for pid in self.pids:  # grandchildren: only while still in a test cgroup
            if self._ours(pid):
                try:
                    os.kill(pid, SIGKILL)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for m in reversed(self.managers):
            try:
                m.kill_all(SIGKILL)
                wait_until(lambda m=m: not m.pids(), 2.0)
                m.destroy()
            except CgroupError:
                pass
        leftovers = [d for m in self.managers for d in m.paths.values()] + self.extra_dirs
        for top in sorted(leftovers, key=len, reverse=True):
            for d, _dirs, _files in sorted(os.walk(top), key=lambda t: -len(t[0])):
                try:
                    os.rmdir(d)
                except OSError:
                    pass


@pytest.fixture
def track() -> Iterator[Tracker]:
    t = Tracker(f"hutch-test-{secrets.token_hex(4)}")
    try:
        yield t
    finally:
        t.finalize()


def test_apply_places_the_process_in_every_hierarchy(track: Tracker) -> None:
    m = track.manager()
    assert m.path == f"/hutch/{track.name}"
    for key, path in m.paths.items():
        assert path.endswith(f"/hutch/{track.name}"), key
    assert not m.exists()
    m.create()
    assert m.exists()
    if "cpuset" in m.paths:
        for level in (os.path.dirname(m.paths["cpuset"]), m.paths["cpuset"]):
            with open(f"{level}/cpuset.cpus") as f:
                assert f.read().strip()
    sleeper = track.spawn("sleep", "100")
    m.apply(sleeper.pid)
    where = proc_cgroups(sleeper.pid)
    for key in m.paths:
        assert where[field(key)] == m.path, key
    if m.mode == "hybrid":
        assert where[""] == m.path  # placed in the cgroup2 tree too, as runc does
    assert m.pids() == [sleeper.pid]


def test_children_and_subcgroups_are_listed_killed_and_removed(track: Tracker) -> None:
    m = track.manager()
    m.create()
    shell = track.spawn("sh", "-c", "read go; sleep 100 & echo $!; wait", pipes=True)
    assert shell.stdin is not None and shell.stdout is not None
    m.apply(shell.pid)
    shell.stdin.write(b"go\n")
    shell.stdin.flush()
    child = int(shell.stdout.readline())
    track.pids.append(child)
    assert all(p == m.path for p in proc_cgroups(child).values())
    assert m.pids() == sorted([shell.pid, child])

    sub = track.manager(f"/hutch/{track.name}/sub")
    sub.create()
    sub.apply(child)
    assert all(p == f"{m.path}/sub" for p in proc_cgroups(child).values())
    assert sub.pids() == [child]
    assert m.pids() == sorted([shell.pid, child])  # recursive

    m.kill_all(SIGKILL)
    assert shell.wait(timeout=5) == -SIGKILL
    assert wait_until(lambda: not m.pids())
    assert wait_until(lambda: not os.path.exists(f"/proc/{child}"))

    m.destroy()
    assert not m.exists()
    assert not sub.exists()
    for path in m.paths.values():
        assert not os.path.exists(path)
    m.destroy()  # idempotent


def test_relative_path_goes_under_hutch_not_the_callers_cgroup(track: Tracker) -> None:
    m = track.manager(track.name)  # relative cgroupsPath
    setup = probe()
    assert m.path == f"/hutch/{track.name}"
    for h in setup.hierarchies:
        assert m.paths[h.key] == f"{h.mountpoint}/hutch/{track.name}"
    m.create()
    sleeper = track.spawn("sleep", "100")
    m.apply(sleeper.pid)
    assert set(proc_cgroups(sleeper.pid).values()) == {m.path}


def test_record_reopens_in_another_process(track: Tracker) -> None:
    m = track.manager()
    m.create()
    sleeper = track.spawn("sleep", "100")
    m.apply(sleeper.pid)
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]);"
        "from hutch.cgroups import Manager;"
        "m = Manager.from_record(json.loads(sys.argv[2]));"
        "print(json.dumps(m.pids())); m.kill_all(9)"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code, SRC, json.dumps(m.to_record())],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert json.loads(out) == [sleeper.pid]
    assert sleeper.wait(timeout=5) == -SIGKILL
    m.destroy()
    assert not m.exists()


@pytest.mark.parametrize("bad", ["../hutch-escape", "/hutch/../hutch-escape", "system.slice:hutch:x"])
def test_bad_cgroups_path_is_rejected_and_creates_nothing(track: Tracker, bad: str) -> None:
    before = {h.mountpoint: set(os.listdir(h.mountpoint)) for h in probe().hierarchies}
    with pytest.raises(CgroupError) as info:
        open_manager(bad.replace("hutch-escape", track.name), track.name)
    assert "\n" not in str(info.value)
    for mountpoint, names in before.items():
        assert not os.path.exists(f"{mountpoint}/{track.name}")
        assert set(os.listdir(mountpoint)) <= names | {"hutch"}


_V2_SCRIPT = """
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from hutch.cgroups import open_manager
root, name, pid = sys.argv[2], sys.argv[3], int(sys.argv[4])
m = open_manager(None, name, root=root)
out = {"mode": m.mode, "paths": m.paths}
m.create()
m.apply(pid)
with open(f"/proc/{pid}/cgroup") as f:
    out["proc"] = f.read()
out["pids"] = m.pids()
out["has_kill"] = os.path.exists(m.paths["unified"] + "/cgroup.kill")
m.kill_all(9)
deadline = time.monotonic() + 5
while m.pids() and time.monotonic() < deadline:
    time.sleep(0.02)
out["after"] = m.pids()
m.destroy()
out["exists"] = m.exists()
print(json.dumps(out))
"""


def test_pure_v2_layout_in_a_private_mount_namespace(track: Tracker) -> None:
    """Mount cgroup2 as the whole root in a private mount namespace: a v2 host."""
    unified = [h for h in probe().hierarchies if h.key == "unified"]
    if not unified or shutil.which("unshare") is None:
        pytest.skip("needs a cgroup2 hierarchy and unshare(1)")
    # the same unified tree as the host's, so the tracker can clean up from outside
    track.extra_dirs.append(f"{unified[0].mountpoint}/hutch/{track.name}")
    sleeper = track.spawn("sleep", "100")
    with tempfile.TemporaryDirectory(prefix="hutch-test-") as root:
        res = subprocess.run(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                'mount -t cgroup2 cgroup2 "$0" && exec "$@"',
                root,
                sys.executable,
                "-I",
                "-c",
                _V2_SCRIPT,
                SRC,
                root,
                track.name,
                str(sleeper.pid),
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["mode"] == "v2"
    assert out["paths"] == {"unified": f"{root}/hutch/{track.name}"}
    assert f"0::/hutch/{track.name}\n" in out["proc"]
    assert out["pids"] == [sleeper.pid]
    assert out["has_kill"]
    assert out["after"] == []
    assert not out["exists"]
    assert sleeper.wait(timeout=5) == -SIGKILL
