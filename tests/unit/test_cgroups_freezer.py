"""The freezer (pause/resume, the "paused" status) on fake v1 and v2 files under tmp_path.

``FakeFreezer`` plays the kernel's part behind the real ``CgroupFS``: a v1
``freezer.state`` reads FREEZING a few times before it reads FROZEN; a v2
``cgroup.freeze`` write shows up in ``cgroup.events`` a few reads later.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hutch.cgroups import freezer
from hutch.cgroups.cgfs import CgroupFS
from hutch.errors import CgroupError


class FakeFreezer(CgroupFS):
    def __init__(self, freezing_reads: int = 0, events_lag: int = 0, stuck: bool = False) -> None:
        self.freezing_reads = freezing_reads
        self.events_lag = events_lag
        self.stuck = stuck
        self.writes: list[tuple[str, str]] = []
        self._pending = 0

    def write(self, hierarchy: str, dirpath: str, name: str, data: str) -> None:
        self.writes.append((name, data))
        before = Path(dirpath, name).read_text().strip() if name == "freezer.state" else ""
        super().write(hierarchy, dirpath, name, data)
        if name == "freezer.state":
            if data == "THAWED":
                self._pending = 0
            elif before == "THAWED":  # a new freeze starts; writing FROZEN again goes on with it
                self._pending = self.freezing_reads
            shown = "FREEZING" if data == "FROZEN" and (self._pending or self.stuck) else data
            Path(dirpath, name).write_text(shown + "\n")
        elif name == "cgroup.freeze":
            self._pending = self.events_lag
            if not self._pending:
                Path(dirpath, "cgroup.events").write_text(f"populated 1\nfrozen {data}\n")

    def read(self, hierarchy: str, dirpath: str, name: str) -> str:
        if name == "freezer.state" and self._pending and not self.stuck:
            self._pending -= 1
            if not self._pending:
                Path(dirpath, name).write_text("FROZEN\n")
            return "FREEZING\n"
        if name == "cgroup.events" and self._pending:
            self._pending -= 1
            if not self._pending:
                freeze = Path(dirpath, "cgroup.freeze").read_text().strip()
                Path(dirpath, name).write_text(f"populated 1\nfrozen {freeze}\n")
        return super().read(hierarchy, dirpath, name)


def v1_tree(tmp_path: Path) -> dict[str, str]:
    paths = {}
    for key in ("memory", "freezer", "cpu,cpuacct", "unified"):
        d = tmp_path / key / "hutch" / "c1"
        d.mkdir(parents=True)
        paths[key] = str(d)
    fz = Path(paths["freezer"])
    (fz / "freezer.state").write_text("THAWED\n")
    (fz / "freezer.self_freezing").write_text("0\n")
    # a hybrid host's cgroup2 directory has cgroup.freeze too: the v1 freezer wins
    (Path(paths["unified"]) / "cgroup.freeze").write_text("0\n")
    return paths


def v2_tree(tmp_path: Path) -> dict[str, str]:
    d = tmp_path / "hutch" / "c1"
    d.mkdir(parents=True)
    (d / "cgroup.freeze").write_text("0\n")
    (d / "cgroup.events").write_text("populated 1\nfrozen 0\n")
    return {"unified": str(d)}


def test_locate(tmp_path: Path) -> None:
    v1 = v1_tree(tmp_path / "v1")
    assert freezer.locate(v1) == ("freezer", v1["freezer"])
    v2 = v2_tree(tmp_path / "v2")
    assert freezer.locate(v2) == ("unified", v2["unified"])
    # hybrid without a v1 freezer: the cgroup2 directory's cgroup.freeze
    hybrid = {k: v for k, v in v1.items() if k != "freezer"}
    assert freezer.locate(hybrid) == ("unified", v1["unified"])
    legacy = {k: v for k, v in v1.items() if k not in ("freezer", "unified")}
    assert freezer.locate(legacy) is None
    assert not freezer.is_frozen(legacy)
    with pytest.raises(CgroupError, match="no freezer"):
        freezer.freeze(legacy)
    freezer.thaw(legacy)  # nothing to thaw


def test_v1_freeze_waits_through_freezing(tmp_path: Path) -> None:
    paths = v1_tree(tmp_path)
    fs = FakeFreezer(freezing_reads=3)
    assert freezer.state(paths, fs) == freezer.THAWED
    freezer.freeze(paths, fs)
    assert fs.writes == [("freezer.state", "FROZEN")] * 4  # read FREEZING 3 times, then FROZEN
    assert Path(paths["freezer"], "freezer.state").read_text() == "FROZEN\n"
    Path(paths["freezer"], "freezer.self_freezing").write_text("1\n")
    assert freezer.state(paths, fs) == freezer.FROZEN
    assert freezer.is_frozen(paths)
    freezer.thaw(paths, fs)
    assert fs.writes[-1] == ("freezer.state", "THAWED")
    assert not freezer.is_frozen(paths)


def test_v1_frozen_by_an_ancestor_is_not_paused(tmp_path: Path) -> None:
    paths = v1_tree(tmp_path)
    Path(paths["freezer"], "freezer.state").write_text("FROZEN\n")  # self_freezing stays 0
    assert not freezer.is_frozen(paths)
    assert freezer.state(paths) == freezer.THAWED


def test_v1_stuck_freezing_thaws_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = v1_tree(tmp_path)
    monkeypatch.setattr(freezer, "_V1_ATTEMPTS", 60)
    monkeypatch.setattr(freezer.time, "sleep", lambda _s: None)
    fs = FakeFreezer(stuck=True)
    with pytest.raises(CgroupError, match="unable to freeze"):
        freezer.freeze(paths, fs)
    assert fs.writes[-1] == ("freezer.state", "THAWED")
    assert ("freezer.state", "THAWED") in fs.writes[:-1]  # the periodic thaw-and-retry


def test_v2_freeze_waits_for_events(tmp_path: Path) -> None:
    paths = v2_tree(tmp_path)
    fs = FakeFreezer(events_lag=3)
    freezer.freeze(paths, fs)
    assert "frozen 1" in Path(paths["unified"], "cgroup.events").read_text()
    assert freezer.is_frozen(paths)
    assert freezer.state(paths, fs) == freezer.FROZEN
    freezer.thaw(paths, fs)
    assert fs.writes[-1] == ("cgroup.freeze", "0")
    assert not freezer.is_frozen(paths)


def test_v2_timeout_thaws_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = v2_tree(tmp_path)
    monkeypatch.setattr(freezer, "_TIMEOUT", 0.05)
    fs = FakeFreezer(events_lag=10**9)
    with pytest.raises(CgroupError, match="did not report frozen"):
        freezer.freeze(paths, fs)
    assert fs.writes == [("cgroup.freeze", "1"), ("cgroup.freeze", "0")]


def test_gone_cgroup_is_not_frozen(tmp_path: Path) -> None:
    paths = v2_tree(tmp_path)
    os.unlink(os.path.join(paths["unified"], "cgroup.freeze"))
    assert not freezer.is_frozen(paths)
    assert not freezer.is_frozen({"unified": str(tmp_path / "nope")})


def test_would_freeze_v1_self_ancestor_and_missing_leaf(tmp_path: Path) -> None:
    """create's check: frozen by itself or through an ancestor, or (while the leaf does
    not exist yet) the nearest existing level frozen."""
    paths = v1_tree(tmp_path)
    state = Path(paths["freezer"], "freezer.state")
    assert not freezer.would_freeze(paths)
    for value in ("FROZEN", "FREEZING"):
        state.write_text(value + "\n")  # self_freezing 0: an ancestor's doing; still frozen
        assert freezer.would_freeze(paths)
    missing = {**paths, "freezer": str(Path(paths["freezer"], "not-yet", "c2"))}
    assert freezer.would_freeze(missing)  # its nearest existing level is frozen
    state.write_text("THAWED\n")
    assert not freezer.would_freeze(missing)
    assert not freezer.would_freeze({"memory": paths["memory"]})  # no freezer at all


def test_would_freeze_v2_any_level(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    for d in (root / "a", root / "a" / "b"):
        (d / "cgroup.freeze").write_text("0\n")
    leaf = {"unified": str(root / "a" / "b" / "c")}  # not made yet
    assert not freezer.would_freeze(leaf)
    (root / "a" / "cgroup.freeze").write_text("1\n")
    assert freezer.would_freeze(leaf)
    assert freezer.would_freeze({"unified": str(root / "a" / "b")})
