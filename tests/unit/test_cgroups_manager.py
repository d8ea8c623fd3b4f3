"""The cgroupfs manager on fake v2 / hybrid / legacy trees under tmp_path.

``FakeKernel`` plays the kernel's part behind the real ``CgroupFS`` chokepoint:
a new directory gets its control files, rmdir ignores them (and can be made
busy), cgroup.procs appends, and adding a task to an empty cpuset fails with
ENOSPC as it does on v1.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hutch.cgroups import placement
from hutch.cgroups.cgfs import CgroupFS, CgroupIOError
from hutch.cgroups.manager import Manager, open_manager
from hutch.cgroups.placement import resolve_path
from hutch.errors import CgroupError

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _put(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _get(path: str) -> str:
    with open(path) as f:
        return f.read()


def _populate(path: str, key: str, *, root: bool = False) -> None:
    _put(f"{path}/cgroup.procs", "1\n" if root else "")
    if key == "unified":
        _put(f"{path}/cgroup.controllers", "cpu memory pids\n")
        if not root:
            _put(f"{path}/cgroup.kill", "")
        return
    _put(f"{path}/tasks", "")
    if "cpuset" in key.split(","):
        _put(f"{path}/cpuset.cpus", "0-3\n" if root else "\n")
        _put(f"{path}/cpuset.mems", "0\n" if root else "\n")


class FakeKernel(CgroupFS):
    def __init__(self) -> None:
        self.busy: dict[str, int] = {}
        self.rmdirs: list[str] = []

    def mkdir(self, hierarchy: str, path: str) -> bool:
        created = super().mkdir(hierarchy, path)
        if created:
            _populate(path, hierarchy)
        return created

    def rmdir(self, hierarchy: str, path: str) -> bool:
        if self.busy.get(path, 0) > 0:
            self.busy[path] -= 1
            raise CgroupIOError(hierarchy, "remove", path, OSError(errno.EBUSY, os.strerror(errno.EBUSY)))
        if os.path.isdir(path):  # control files do not keep a cgroup alive
            for name in os.listdir(path):
                if os.path.isfile(f"{path}/{name}"):
                    os.unlink(f"{path}/{name}")
        self.rmdirs.append(path)
        return super().rmdir(hierarchy, path)

    def write(self, hierarchy: str, dirpath: str, name: str, data: str) -> None:
        if name == "cgroup.procs" and os.path.exists(f"{dirpath}/{name}"):
            if "cpuset" in hierarchy.split(",") and not _get(f"{dirpath}/cpuset.cpus").strip():
                raise CgroupIOError(
                    hierarchy,
                    f"write {data!r} to",
                    f"{dirpath}/{name}",
                    OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
                )
            with open(f"{dirpath}/{name}", "a") as f:
                f.write(data + "\n")
            return
        super().write(hierarchy, dirpath, name, data)


V1_MOUNTS = [
    ("cpu,cpuacct", "cpu,cpuacct"),
    ("cpuset", "cpuset"),
    ("memory", "memory"),
    ("pids", "pids"),
    ("systemd", "name=systemd"),
]


class Host:
    def __init__(self, tmp_path: Path, layout: str) -> None:
        self.layout = layout
        self.root = str(tmp_path / "cg")
        os.mkdir(self.root)
        lines = ["22 1 8:1 / / rw - ext4 /dev/sda1 rw"]
        if layout == "v2":
            lines.append(f"31 22 0:28 / {self.root} rw - cgroup2 cgroup2 rw,nsdelegate")
            _populate(self.root, "unified", root=True)
        else:
            lines.append(f"31 22 0:28 / {self.root} rw - tmpfs tmpfs rw,mode=755")
            for n, (d, opts) in enumerate(V1_MOUNTS):
                os.mkdir(f"{self.root}/{d}")
                _populate(f"{self.root}/{d}", opts, root=True)
                lines.append(f"{40 + n} 31 0:{40 + n} / {self.root}/{d} rw - cgroup cgroup rw,{opts}")
            if layout == "hybrid":
                os.mkdir(f"{self.root}/unified")
                _populate(f"{self.root}/unified", "unified", root=True)
                lines.append(f"60 31 0:60 / {self.root}/unified rw - cgroup2 cgroup2 rw")
        self.mountinfo = "\n".join(lines) + "\n"
        self.fs = FakeKernel()

    def open(self, cgroups_path: str | None = None, cid: str = "c1") -> Manager:
        return open_manager(cgroups_path, cid, self.root, self.mountinfo, fs=self.fs)

    def dirs(self, rel: str) -> list[str]:
        if self.layout == "v2":
            return [self.root + rel]
        hier = [f"{self.root}/{d}{rel}" for d, _ in V1_MOUNTS]
        if self.layout == "hybrid":
            hier.append(f"{self.root}/unified{rel}")
        return hier


@pytest.fixture(params=["v2", "hybrid", "legacy"])
def host(request: pytest.FixtureRequest, tmp_path: Path) -> Host:
    return Host(tmp_path, request.param)


# ---- path rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cgroups_path", "want"),
    [
        (None, "/hutch/c1"),
        ("", "/hutch/c1"),
        ("/machine/c1", "/machine/c1"),
        ("//machine//./c1/", "/machine/c1"),
        ("/hutch/other", "/hutch/other"),
        ("pod/c1", "/hutch/pod/c1"),
        ("c1", "/hutch/c1"),
    ],
)
def test_resolve_path(cgroups_path: str | None, want: str) -> None:
    assert resolve_path(cgroups_path, "c1") == want


@pytest.mark.parametrize(
    ("cgroups_path", "cid", "match"),
    [
        ("../escape", "c1", r"must not contain '\.\.'"),
        ("/hutch/../etc", "c1", r"must not contain '\.\.'"),
        ("a/..", "c1", r"must not contain '\.\.'"),
        ("system.slice:hutch:c1", "c1", "systemd cgroup driver is not supported"),
        ("/", "c1", "resolves to /, which is shared"),
        ("/hutch", "c1", "resolves to /hutch, which is shared"),
        ("/a\0b", "c1", "NUL"),
        (None, "", "cannot derive"),
        (None, "a/b", "cannot derive"),
        (None, "..", "cannot derive"),
    ],
)
def test_resolve_path_rejects(cgroups_path: str | None, cid: str, match: str) -> None:
    with pytest.raises(CgroupError, match=match) as info:
        resolve_path(cgroups_path, cid)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("cgroup: ")


def test_bad_path_is_rejected_before_touching_the_tree(tmp_path: Path) -> None:
    host = Host(tmp_path, "hybrid")
    with pytest.raises(CgroupError):
        host.open("../escape")
    assert not os.path.exists(f"{host.root}/escape")
    assert not os.path.exists(f"{host.root}/memory/hutch")


# ---- manager ----------------------------------------------------------------------


def test_paths_cover_every_hierarchy(host: Host) -> None:
    m = host.open()
    assert m.mode == host.layout
    assert m.path == "/hutch/c1"
    assert sorted(m.paths.values()) == sorted(host.dirs("/hutch/c1"))
    if host.layout == "v2":
        assert list(m.paths) == ["unified"]
    else:
        assert {"cpu,cpuacct", "cpuset", "memory", "pids", "name=systemd"} <= set(m.paths)
        assert ("unified" in m.paths) == (host.layout == "hybrid")
    assert not m.exists()


def test_dir_for(host: Host) -> None:
    m = host.open()
    if host.layout == "v2":
        assert m.dir_for("memory") == f"{host.root}/hutch/c1"
    else:
        assert m.dir_for("cpuacct") == f"{host.root}/cpu,cpuacct/hutch/c1"
        assert m.dir_for("memory") == f"{host.root}/memory/hutch/c1"
        assert m.dir_for("hugetlb") is None


def test_create_makes_every_level(host: Host) -> None:
    m = host.open("/a/b/c")
    m.create()
    assert m.exists()
    for d in host.dirs("/a/b/c"):
        assert os.path.isdir(d)
    m.create()  # again: existing directories are fine
    assert m.exists()


def test_create_copies_cpuset_into_each_level(tmp_path: Path) -> None:
    host = Host(tmp_path, "legacy")
    # a pre-existing, never initialised parent: create() must fill it too
    host.fs.mkdir("cpuset", f"{host.root}/cpuset/hutch")
    m = host.open()
    m.create()
    for level in ("hutch", "hutch/c1"):
        assert _get(f"{host.root}/cpuset/{level}/cpuset.cpus") == "0-3"
        assert _get(f"{host.root}/cpuset/{level}/cpuset.mems") == "0"
    m.apply(1234)  # no ENOSPC


def test_create_keeps_existing_cpuset_values(tmp_path: Path) -> None:
    host = Host(tmp_path, "legacy")
    host.fs.mkdir("cpuset", f"{host.root}/cpuset/hutch")
    _put(f"{host.root}/cpuset/hutch/cpuset.cpus", "1\n")
    host.open().create()
    assert _get(f"{host.root}/cpuset/hutch/cpuset.cpus") == "1\n"
    assert _get(f"{host.root}/cpuset/hutch/c1/cpuset.cpus") == "1"


def test_fake_kernel_refuses_tasks_in_an_empty_cpuset(tmp_path: Path) -> None:
    host = Host(tmp_path, "legacy")
    d = f"{host.root}/cpuset/bare"
    host.fs.mkdir("cpuset", d)
    with pytest.raises(CgroupError, match="No space left on device"):
        host.fs.write("cpuset", d, "cgroup.procs", "1")


def test_apply_writes_the_pid_in_every_hierarchy(host: Host) -> None:
    m = host.open()
    m.create()
    m.apply(4242)
    for d in host.dirs("/hutch/c1"):
        assert _get(f"{d}/cgroup.procs") == "4242\n"
    assert m.pids() == [4242]


def test_apply_before_create_names_hierarchy_and_file(host: Host) -> None:
    m = host.open()
    with pytest.raises(CgroupError) as info:
        m.apply(7)
    first = next(iter(m.paths))
    assert str(info.value) == (
        f"cgroup {first}: cannot write '7' to {m.paths[first]}/cgroup.procs: No such file or directory"
    )


def test_pids_is_recursive_sorted_and_deduplicated(host: Host) -> None:
    m = host.open()
    m.create()
    m.apply(30)
    m.apply(10)
    sub = host.open("/hutch/c1/sub/deeper")
    sub.create()
    sub.apply(20)
    assert m.pids() == [10, 20, 30]
    assert sub.pids() == [20]


def test_pids_of_a_missing_cgroup_is_empty(host: Host) -> None:
    assert host.open().pids() == []


def test_create_error_is_one_line_and_rolls_back(tmp_path: Path) -> None:
    host = Host(tmp_path, "hybrid")
    _put(f"{host.root}/pids/hutch", "not a directory")
    m = host.open()
    with pytest.raises(CgroupError) as info:
        m.create()
    want = f"cgroup pids: cannot create {host.root}/pids/hutch: File exists"
    assert str(info.value) == want
    assert isinstance(info.value.__cause__, FileExistsError)
    assert isinstance(info.value, CgroupIOError)
    assert info.value.errno == errno.EEXIST
    # leaves created before the failure are gone; the shared parents stay
    assert not os.path.exists(f"{host.root}/memory/hutch/c1")
    assert os.path.isdir(f"{host.root}/memory/hutch")
    assert not m.exists()


class KillRecorder:
    def __init__(self, host: Host, m: Manager) -> None:
        self.sent: list[tuple[int, int]] = []
        self.host, self.m = host, m
        self.on_kill: dict[int, int] = {}  # pid -> pid it "forks" when signalled
        self.gone: set[int] = set()
        self.denied: set[int] = set()

    def __call__(self, pid: int, sig: int) -> None:
        if pid in self.denied:
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))
        self.sent.append((pid, sig))
        if pid in self.gone:
            raise ProcessLookupError(errno.ESRCH, os.strerror(errno.ESRCH))
        if pid in self.on_kill:
            self.m.apply(self.on_kill[pid])


@pytest.fixture
def killed(host: Host, monkeypatch: pytest.MonkeyPatch) -> tuple[Host, Manager, KillRecorder]:
    m = host.open()
    m.create()
    rec = KillRecorder(host, m)
    monkeypatch.setattr(os, "kill", rec)  # what manager.kill_all calls
    return host, m, rec


def test_kill_all_sigkill(killed: tuple[Host, Manager, KillRecorder]) -> None:
    host, m, rec = killed
    m.apply(10)
    m.apply(11)
    m.kill_all(9)
    if host.layout == "legacy":
        assert rec.sent == [(10, 9), (11, 9)]
        return
    unified = m.paths["unified"]
    assert _get(f"{unified}/cgroup.kill") == "1"
    if host.layout == "v2":
        assert rec.sent == []  # cgroup.kill did it all
    else:
        assert rec.sent == [(10, 9), (11, 9)]  # hybrid: the v1 pass as well


def test_kill_all_other_signal_signals_each_pid(killed: tuple[Host, Manager, KillRecorder]) -> None:
    _host, m, rec = killed
    m.apply(10)
    m.apply(11)
    rec.gone.add(10)  # exited meanwhile: not an error
    m.kill_all(15)
    assert rec.sent == [(10, 15), (11, 15)]
    if "unified" in m.paths:
        assert _get(f"{m.paths['unified']}/cgroup.kill") == ""


def test_kill_all_catches_processes_forked_meanwhile(
    killed: tuple[Host, Manager, KillRecorder],
) -> None:
    _host, m, rec = killed
    m.apply(10)
    rec.on_kill[10] = 12
    m.kill_all(15)
    assert rec.sent == [(10, 15), (12, 15)]


def test_kill_all_uses_signals_when_cgroup_kill_is_missing(
    killed: tuple[Host, Manager, KillRecorder],
) -> None:
    _host, m, rec = killed
    if "unified" in m.paths:
        os.unlink(f"{m.paths['unified']}/cgroup.kill")
    m.apply(10)
    m.kill_all(9)
    assert rec.sent == [(10, 9)]


def test_kill_all_permission_error(killed: tuple[Host, Manager, KillRecorder]) -> None:
    _host, m, rec = killed
    m.apply(10)
    rec.denied.add(10)
    with pytest.raises(CgroupError, match=r"cannot send signal 15 to pid 10: Operation not"):
        m.kill_all(15)


def test_destroy_removes_deepest_first_keeps_parent_and_is_idempotent(host: Host) -> None:
    m = host.open()
    m.create()
    host.open("/hutch/c1/sub/deeper").create()
    host.open("/hutch/c1/sub2").create()
    host.open("/hutch/other").create()
    m.destroy()
    assert not m.exists()
    for d in host.dirs("/hutch/c1"):
        assert not os.path.exists(d)
        assert host.fs.rmdirs.index(f"{d}/sub/deeper") < host.fs.rmdirs.index(f"{d}/sub")
        assert host.fs.rmdirs.index(f"{d}/sub") < host.fs.rmdirs.index(d)
    for d in host.dirs("/hutch/other"):
        assert os.path.isdir(d)  # a sibling container is untouched
    m.destroy()  # again: nothing left, no error


def test_destroy_retries_while_busy(host: Host) -> None:
    m = host.open()
    m.create()
    leaf = next(iter(m.paths.values()))
    host.fs.busy[leaf] = 3
    m.destroy()
    assert not m.exists()


def test_destroy_gives_up_and_still_tries_the_others(host: Host, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(placement, "_RMDIR_TIMEOUT", 0.05)
    m = host.open()
    m.create()
    first_key, first = next(iter(m.paths.items()))
    host.fs.busy[first] = 10**6
    with pytest.raises(CgroupError) as info:
        m.destroy()
    assert str(info.value) == f"cgroup {first_key}: cannot remove {first}: Device or resource busy"
    assert os.path.isdir(first)
    for path in list(m.paths.values())[1:]:
        assert not os.path.exists(path)
    host.fs.busy.clear()
    m.destroy()
    assert not m.exists()


# ---- state record -----------------------------------------------------------------


def test_record_round_trips_through_json(host: Host) -> None:
    m = host.open("pod/c1")
    rec = m.to_record()
    again = Manager.from_record(json.loads(json.dumps(rec)), fs=host.fs)
    assert (again.mode, again.path, again.paths) == (m.mode, m.path, m.paths)
    assert list(again.paths) == list(m.paths)
    assert rec["version"] == 1
    assert rec["path"] == "/hutch/pod/c1"
    m.create()
    again.apply(99)
    assert m.pids() == [99]


@pytest.mark.parametrize(
    "record",
    [
        None,
        [],
        {"version": 2, "mode": "v2", "path": "/hutch/x", "paths": {"unified": "/c/hutch/x"}},
        {"version": 1, "mode": "v3", "path": "/hutch/x", "paths": {"unified": "/c/hutch/x"}},
        {"version": 1, "mode": "v2", "path": "hutch/x", "paths": {"unified": "/c/hutch/x"}},
        {"version": 1, "mode": "v2", "path": "/hutch/x", "paths": {}},
        {"version": 1, "mode": "v2", "path": "/hutch/x", "paths": {"unified": "/c/hutch/y"}},
        {"version": 1, "mode": "v2", "path": "/hutch/x", "paths": {"unified": 3}},
        {"version": 1, "mode": "v2", "path": "/hutch/x", "paths": {"unified": "/hutch/x"}},
    ],
)
def test_malformed_records_are_rejected(record: object) -> None:
    with pytest.raises(CgroupError, match=r"^cgroup: "):
        Manager.from_record(record)


# ---- import weight ----------------------------------------------------------------


def test_imports_stay_light() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import hutch.cgroups; "
        "print(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, SRC], check=True, capture_output=True, text=True
    ).stdout.split()
    heavy = {
        "typing",
        "re",
        "subprocess",
        "pathlib",
        "signal",
        "enum",
        "ctypes",
        "msgspec",
        "json",
        "logging",
    }
    assert heavy.isdisjoint(out), heavy.intersection(out)
    assert "hutch.cgroups.manager" in out
    # limits and their translation load only when a limit is set (not for kill, delete, state)
    assert "hutch.cgroups.limits" not in out
    assert "hutch.cgroups.translate" not in out
