"""A container's cgroups: host mode detection, placement, limits (the cgroupfs driver).

``open_manager(cgroups_path, container_id)`` is the entry point; a manager
saved with ``to_record()`` is re-opened with ``Manager.from_record()``.
Only ``os``, ``errno`` and ``time`` are imported: this is on the runtime's path.

One concern per module, split by what it does to the cgroup, never by cgroup version
(every module serves v1, v2 and hybrid hosts; version differences live in tables):

- ``mode``: which layout the host has and where each hierarchy is mounted;
- ``cgfs``: the one place cgroupfs is read and written;
- ``manager``: :class:`Manager`, the facade the runtime holds (made, saved, re-opened);
- ``placement``: where the processes live: the cgroup path, create, apply, pids,
  kill_all, destroy;
- ``limits``: what they may use: resources written (``Manager.set``), devices;
- ``translate``: LinuxResources -> file writes, pure, one module per controller family;
- ``devices``, ``devfilter``, ``devcg``: device rules, the v2 eBPF filter, applying them;
- ``freezer``, ``stats``, ``oom``, ``subcgroup``, ``warmup``: pause/resume, `events`,
  OOM kills, ``exec --cgroup``, the first migration's slow path started early.
"""

from __future__ import annotations

from hutch.cgroups.cgfs import CgroupFS, CgroupIOError
from hutch.cgroups.manager import Manager, open_manager
from hutch.cgroups.mode import HYBRID, LEGACY, UNIFIED, V2, Hierarchy, Setup, detect_mode, probe
from hutch.cgroups.placement import PARENT, resolve_path

__all__ = [
    "HYBRID",
    "LEGACY",
    "PARENT",
    "UNIFIED",
    "V2",
    "CgroupFS",
    "CgroupIOError",
    "Hierarchy",
    "Manager",
    "Setup",
    "detect_mode",
    "open_manager",
    "probe",
    "resolve_path",
]
