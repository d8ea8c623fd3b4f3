"""Cgroup placement: host mode detection and the cgroupfs manager.

``open_manager(cgroups_path, container_id)`` is the entry point; a manager
saved with ``to_record()`` is re-opened with ``Manager.from_record()``.
Only ``os``, ``errno`` and ``time`` are imported: this is on the runtime's path.
"""

from __future__ import annotations

from hutch.cgroups.cgfs import CgroupFS, CgroupIOError
from hutch.cgroups.manager import PARENT, Manager, open_manager, resolve_path
from hutch.cgroups.mode import HYBRID, LEGACY, UNIFIED, V2, Hierarchy, Setup, detect_mode, probe

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
