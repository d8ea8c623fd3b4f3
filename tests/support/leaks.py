"""What a test's containers may leave behind on the host, found, cleaned, and reported.

A leak is
  - a cgroup directory ``hutch/<id>`` (in any hierarchy under /sys/fs/cgroup) for one of
    the test's container ids;
  - a live process that is in such a cgroup, whose command line names one of the test's
    markers (its private ``--root`` directory), or that the test recorded (pid and start
    time, so a recycled pid is not mistaken for it).

`find_leaks` waits a moment for processes that are exiting; with ``clean=True`` it then
kills what is left (SIGKILL, by pid) and removes the cgroup directories, so that a failing
test does not spoil the machine for the next one. Nothing else is touched.
"""

from __future__ import annotations

import contextlib
import glob
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

CGROUP_ROOT = "/sys/fs/cgroup"


def start_time(pid: int) -> int | None:
    """A process's start time (clock ticks since boot), or None if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


@dataclass
class Tracker:
    """What one test made: container ids, markers (strings found in the command line of
    the processes it started, e.g. its --root), and pids of processes it knows about."""

    ids: set[str] = field(default_factory=set)
    markers: set[str] = field(default_factory=set)
    pids: dict[int, int] = field(default_factory=dict)

    def add_pid(self, pid: int) -> None:
        st = start_time(pid)
        if st is not None:
            self.pids[pid] = st


def cgroup_dirs(cid: str) -> list[str]:
    """The cgroup directories ``hutch/<cid>`` that exist, in every hierarchy."""
    if not cid or cid in (".", "..") or "/" in cid:
        return []  # not a name a cgroup can have (``hutch/.`` is the shared parent itself)
    pattern = glob.escape(cid)
    found = glob.glob(f"{CGROUP_ROOT}/hutch/{pattern}") + glob.glob(f"{CGROUP_ROOT}/*/hutch/{pattern}")
    return sorted(p for p in found if os.path.isdir(p) and not os.path.islink(p))


def leftover_cgroups(ids: Iterable[str]) -> list[str]:
    return [d for cid in sorted(ids) for d in cgroup_dirs(cid)]


def _cgroup_of(pid: int, ids: set[str]) -> str | None:
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        path = line.split(":", 2)[-1]
        parts = path.split("/")
        for i in range(len(parts) - 1):
            if parts[i] == "hutch" and parts[i + 1] in ids:
                return path
    return None


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def leftover_processes(ids: Iterable[str], markers: Iterable[str] = (),
                       pids: dict[int, int] | None = None) -> dict[int, str]:
    """Live processes of the test: pid -> why it counts (cgroup, command line, recorded)."""
    ids = set(ids)
    markers = [m for m in markers if m]
    me = os.getpid()
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        st = start_time(pid)
        if st is None:
            continue
        if pids and pids.get(pid) == st:
            found[pid] = f"recorded pid {pid}: {_cmdline(pid)!r}"
            continue
        cg = _cgroup_of(pid, ids) if ids else None
        if cg is not None:
            found[pid] = f"pid {pid} in cgroup {cg}: {_cmdline(pid)!r}"
            continue
        if markers:
            cmd = _cmdline(pid)
            hit = next((m for m in markers if m in cmd), None)
            if hit is not None:
                found[pid] = f"pid {pid} names {hit}: {cmd!r}"
    return found


def _remove_cgroup_tree(top: str) -> None:
    """rmdir a cgroup directory and its children, deepest first (cgroupfs takes rmdir only)."""
    for dirpath, _dirnames, _files in sorted(os.walk(top), key=lambda w: -len(w[0])):
        with contextlib.suppress(OSError):
            os.rmdir(dirpath)


def find_leaks(ids: Iterable[str], markers: Iterable[str] = (), pids: dict[int, int] | None = None,
               grace: float = 3.0, clean: bool = True) -> list[str]:
    """What is left of the test (descriptions; empty if nothing). Waits up to `grace`
    seconds for it to go away on its own; with `clean`, then removes it."""
    ids = set(ids)
    markers = set(markers)
    deadline = time.monotonic() + grace
    while True:
        procs = leftover_processes(ids, markers, pids)
        cgroups = leftover_cgroups(ids)
        if (not procs and not cgroups) or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    report = [*procs.values(), *(f"cgroup {d}" for d in cgroups)]
    if clean and report:
        for pid in procs:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        end = time.monotonic() + 5
        while time.monotonic() < end and any(start_time(p) is not None for p in procs):
            time.sleep(0.02)
        for d in cgroups:
            _remove_cgroup_tree(d)
    return report


def assert_no_leaks(ids: Iterable[str], markers: Iterable[str] = (),
                    pids: dict[int, int] | None = None, grace: float = 3.0) -> None:
    """Raise AssertionError naming whatever the test left behind (after removing it)."""
    report = find_leaks(ids, markers, pids, grace=grace, clean=True)
    if report:
        raise AssertionError("left behind:\n  " + "\n  ".join(report))
