"""hutch.cgroups.warmup on this host's real cgroups (root only): the warm-up child of the
engine's supervisor moves nothing, the runtime's never sits in a v1 pids hierarchy, and
reap leaves no process behind. (Its effect is speed, measured in benchmarks/, never here.)"""

from __future__ import annotations

import os
import secrets
import time

import pytest

from hutch.cgroups import open_manager, warmup

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not os.path.isdir("/sys/fs/cgroup"), reason="no /sys/fs/cgroup"),
]


def cgroup_lines(pid: int) -> list[str]:
    with open(f"/proc/{pid}/cgroup") as f:
        return sorted(f.read().splitlines())


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_start_here_moves_nothing_and_reap_leaves_nothing() -> None:
    procs = warmup.own_procs_file()
    assert procs.endswith("/cgroup.procs") and os.path.exists(procs)
    with open(procs) as f:
        assert str(os.getpid()) in f.read().split()
    mine = cgroup_lines(os.getpid())
    pid = warmup.start_here()
    try:
        assert pid > 0
        time.sleep(0.05)  # several writes
        assert cgroup_lines(pid) == mine  # still where it was forked, in every hierarchy
    finally:
        warmup.reap(pid)
    assert gone(pid)


def test_start_puts_the_child_in_the_container_cgroup_never_in_pids() -> None:
    cg = open_manager(f"/hutch/hutch-test-{secrets.token_hex(4)}", "x")
    cg.create()
    pid = 0
    try:
        pid = warmup.start(cg)
        assert pid > 0
        time.sleep(0.05)
        lines = cgroup_lines(pid)
        inside = [line for line in lines if line.endswith(cg.path)]
        assert len(inside) == 1  # one hierarchy
        assert "pids" not in inside[0].split(":")[1].split(",")
    finally:
        warmup.reap(pid)
        assert gone(pid)
        cg.destroy()
