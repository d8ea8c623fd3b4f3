"""`exec --cgroup`: runc's argument forms, the directories they name, and what is refused."""

from __future__ import annotations

import errno
import os

import pytest

from hutch.cgroups import Manager
from hutch.cgroups.cgfs import CgroupFS, CgroupIOError
from hutch.cgroups.subcgroup import ALL, below, join, parse, resolve
from hutch.errors import CgroupError, InvalidArgument

HYBRID = Manager("hybrid", "/hutch/c1", {
    "cpu": "/cg/cpu/hutch/c1", "cpuacct": "/cg/cpuacct/hutch/c1", "memory": "/cg/memory/hutch/c1",
    "name=systemd": "/cg/systemd/hutch/c1", "unified": "/cg/unified/hutch/c1"})
V2 = Manager("v2", "/hutch/c1", {"unified": "/cg/hutch/c1"})


def test_parse_like_runc() -> None:
    assert parse([]) == {}
    assert parse(["sub"]) == {ALL: "sub"}
    assert parse(["memory:a", "cpu,cpuacct:b/c"]) == {"memory": "a", "cpu": "b/c", "cpuacct": "b/c"}
    with pytest.raises(InvalidArgument, match=r"invalid --cgroup argument: a:b:c$"):
        parse(["a:b:c"])
    with pytest.raises(InvalidArgument, match=r"sub \(missing <controller>: prefix\)"):
        parse(["memory:a", "sub"])


def test_resolve_all_and_per_controller() -> None:
    assert resolve(HYBRID, {}) == HYBRID.paths
    assert set(resolve(HYBRID, {ALL: "x/y"}).values()) == {p + "/x/y" for p in HYBRID.paths.values()}
    assert resolve(HYBRID, {ALL: "/"}) == HYBRID.paths
    got = resolve(HYBRID, parse(["memory:m", "cpu,cpuacct:c", "name=systemd:/"]))
    assert got == {**HYBRID.paths, "memory": "/cg/memory/hutch/c1/m", "cpu": "/cg/cpu/hutch/c1/c",
                   "cpuacct": "/cg/cpuacct/hutch/c1/c"}
    assert resolve(V2, {ALL: "s"}) == {"unified": "/cg/hutch/c1/s"}


def test_co_mounted_controllers_cannot_part() -> None:
    comounted = Manager("legacy", "/hutch/c1", {"cpu,cpuacct": "/cg/cpu,cpuacct/hutch/c1"})
    assert resolve(comounted, parse(["cpu,cpuacct:s"])) == {"cpu,cpuacct": "/cg/cpu,cpuacct/hutch/c1/s"}
    with pytest.raises(InvalidArgument, match="cannot join different sub-cgroups"):
        resolve(comounted, parse(["cpu:a", "cpuacct:b"]))


@pytest.mark.parametrize(("mgr", "arg", "words"), [
    (HYBRID, "whaaat:/", "unknown controller whaaat in SubCgroupPaths"),
    (HYBRID, "unified:x", "unknown controller unified"),  # the cgroup2 tree is not a controller
    (V2, "memory:x", "unknown controller memory"),  # v2: one hierarchy, only the plain form
    (HYBRID, "..", r"^\.\. is not a sub cgroup path$"),
    (HYBRID, "a/../../x", "a/../../x is not a sub cgroup path"),
    (HYBRID, "memory:../c1x", "is not a sub cgroup path"),  # a sibling sharing the prefix
])
def test_refused(mgr: Manager, arg: str, words: str) -> None:
    with pytest.raises(CgroupError, match=words):
        resolve(mgr, parse([arg]))


def test_below() -> None:
    assert below("/a/b", "c/./d/") == "/a/b/c/d"
    assert below("/a/b", "c/..") == "/a/b"
    with pytest.raises(CgroupError):
        below("/a/b", "../bc")


class RefusingFS(CgroupFS):
    """Records cgroup.procs writes; refuses those into ``refuse`` with its errno."""

    def __init__(self, refuse: dict[str, int]) -> None:
        self.refuse = refuse
        self.joined: list[str] = []

    def write(self, hierarchy: str, dirpath: str, name: str, data: str) -> None:
        if dirpath in self.refuse:
            err = self.refuse[dirpath]
            raise CgroupIOError(hierarchy, f"write {data!r} to", f"{dirpath}/{name}",
                                OSError(err, os.strerror(err)))
        self.joined.append(dirpath)


def test_join_reports_in_runcs_words() -> None:
    fs = RefusingFS({"/cg/memory/hutch/c1/nosuch": errno.ENOENT})
    mgr = Manager(HYBRID.mode, HYBRID.path, HYBRID.paths, fs=fs)
    dirs = resolve(mgr, parse(["memory:nosuch"]))
    with pytest.raises(CgroupError, match=r"^error adding pid 42 to cgroups: failed to write 42: open /cg/m"
                                          r"emory/hutch/c1/nosuch/cgroup\.procs: no such file or directory$"):
        join(mgr, dirs, 42, init_pid=os.getpid())  # no fallback on a hybrid host, as runc


def test_join_v2_falls_back_to_the_inits_cgroup() -> None:
    """The container's cgroup refuses a process (EBUSY: the init moved below it and enabled
    domain controllers): the init's cgroup is joined instead, unless --cgroup was given."""
    with open("/proc/self/cgroup") as f:
        own = next(line[3:].strip() for line in f if line.startswith("0::/"))
    fs = RefusingFS({"/cg/hutch/c1": errno.EBUSY})
    mgr = Manager(V2.mode, V2.path, V2.paths, fs=fs)
    join(mgr, dict(mgr.paths), 42, init_pid=os.getpid())
    assert fs.joined == ["/cg" + own.rstrip("/")]
    with pytest.raises(CgroupError, match=r"/cg/hutch/c1/cgroup\.procs: device or resource busy"):
        join(mgr, dict(mgr.paths), 42, init_pid=0)
