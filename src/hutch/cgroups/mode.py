"""Which cgroup layout this host has, and where each hierarchy is mounted.

Three modes, as runc and crun name them:

- ``"v2"``: the unified hierarchy (``cgroup2``) is mounted at the root itself.
- ``"hybrid"``: v1 controller hierarchies under the root plus a ``cgroup2`` mount
  at ``<root>/unified`` (systemd's hybrid layout; runc places processes in both).
- ``"legacy"``: v1 hierarchies only.

Everything is read from ``/proc/self/mountinfo`` (injectable as text) rather
than ``statfs``: ``os.statvfs`` does not expose ``f_type``, and the mount table
also tells which controllers each v1 hierarchy carries (co-mounted ones such as
``cpu,cpuacct``, and named ones such as ``name=systemd``).

Imports stay at ``os`` and ``hutch.errors``: this runs on the create/kill path.
"""

from __future__ import annotations

import os

from hutch.errors import CgroupError

V2 = "v2"
HYBRID = "hybrid"
LEGACY = "legacy"
MODES = (V2, HYBRID, LEGACY)

#: The key of the cgroup2 hierarchy in :attr:`Setup.hierarchies` and manager paths.
UNIFIED = "unified"

DEFAULT_ROOT = "/sys/fs/cgroup"

# v1 super options that are mount flags, not controllers (see cgroup1_parse_param()
# in kernel/cgroup/cgroup-v1.c). "release_agent=..." is handled by prefix and
# "name=..." is kept: a named hierarchy is a hierarchy of its own.
_V1_NOT_CONTROLLERS = frozenset(
    {
        "rw",
        "ro",
        "none",
        "all",
        "noprefix",
        "clone_children",
        "xattr",
        "cpuset_v2_mode",
        "favordynmods",
        "nofavordynmods",
    }
)


class Hierarchy:
    """One mounted cgroup hierarchy.

    ``key`` names it: ``"unified"`` for cgroup2, otherwise its controllers joined
    by commas as the kernel lists them (``"memory"``, ``"cpu,cpuacct"``,
    ``"name=systemd"``).
    """

    __slots__ = ("controllers", "key", "mountpoint", "version")

    def __init__(self, key: str, mountpoint: str, version: int, controllers: tuple[str, ...]):
        self.key = key
        self.mountpoint = mountpoint
        self.version = version
        self.controllers = controllers

    def __repr__(self) -> str:
        return f"Hierarchy({self.key!r}, {self.mountpoint!r}, v{self.version})"


class Setup:
    """The host's cgroup mode and its hierarchies, in mount-table order."""

    __slots__ = ("hierarchies", "mode", "root")

    def __init__(self, mode: str, root: str, hierarchies: list[Hierarchy]):
        self.mode = mode
        self.root = root
        self.hierarchies = hierarchies


class _Mount:
    __slots__ = ("fstype", "mount_id", "mountpoint", "parent_id", "superopts")

    def __init__(self, mount_id: str, parent_id: str, mountpoint: str, fstype: str, superopts: str):
        self.mount_id = mount_id
        self.parent_id = parent_id
        self.mountpoint = mountpoint
        self.fstype = fstype
        self.superopts = superopts


def _unescape(field: str) -> str:
    """Undo mountinfo's octal escapes (``\\040`` for a space, ``\\134`` for a backslash)."""
    if "\\" not in field:
        return field
    out: list[str] = []
    i = 0
    while i < len(field):
        chunk = field[i + 1 : i + 4]
        if field[i] == "\\" and len(chunk) == 3 and all(c in "01234567" for c in chunk):
            out.append(chr(int(chunk, 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _parse_mountinfo(text: str) -> list[_Mount]:
    """Parse proc(5) mountinfo lines; malformed lines are skipped."""
    mounts: list[_Mount] = []
    for line in text.splitlines():
        fields = line.split(" ")
        try:
            sep = fields.index("-", 6)
            mounts.append(
                _Mount(fields[0], fields[1], _unescape(fields[4]), fields[sep + 1], fields[sep + 3])
            )
        except (ValueError, IndexError):
            continue
    return mounts


def _v1_controllers(superopts: str) -> tuple[str, ...]:
    return tuple(
        opt
        for opt in superopts.split(",")
        if opt and opt not in _V1_NOT_CONTROLLERS and not opt.startswith("release_agent=")
    )


def probe(root: str = DEFAULT_ROOT, mountinfo: str | None = None) -> Setup:
    """Detect the mode and list the hierarchies mounted under ``root``.

    ``mountinfo`` is the text of ``/proc/self/mountinfo``; it is read when None.
    Raises CgroupError when no cgroup hierarchy is mounted at or under ``root``.
    """
    root = os.path.normpath(root)
    if mountinfo is None:
        try:
            with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
                mountinfo = f.read()
        except OSError as err:
            raise CgroupError(f"cgroup: cannot read /proc/self/mountinfo: {err.strerror}") from err
    mounts = _parse_mountinfo(mountinfo)

    # The mount on top at the root is the last one listed for that path; mounts
    # listed under an earlier (covered) root mount are not visible any more.
    top = None
    for m in mounts:
        if m.mountpoint == root:
            top = m
    if top is not None and top.fstype == "cgroup2":
        return Setup(V2, root, [Hierarchy(UNIFIED, root, 2, ())])
    if top is None and os.path.exists(os.path.join(root, "cgroup.controllers")):
        # Not in the mount table (a fake tree, or an odd container): trust the files.
        return Setup(V2, root, [Hierarchy(UNIFIED, root, 2, ())])

    below: dict[str, _Mount] = {}  # mountpoint -> topmost mount there
    for m in mounts:
        if os.path.dirname(m.mountpoint) != root:
            continue
        if top is not None and m.parent_id != top.mount_id:
            continue
        below[m.mountpoint] = m

    hierarchies: list[Hierarchy] = []
    unified: Hierarchy | None = None
    seen: set[str] = set()
    for m in below.values():
        if m.fstype == "cgroup2" and m.mountpoint == os.path.join(root, UNIFIED):
            unified = Hierarchy(UNIFIED, m.mountpoint, 2, ())
        elif m.fstype == "cgroup":
            controllers = _v1_controllers(m.superopts)
            key = ",".join(controllers)
            if controllers and key not in seen:  # the same hierarchy mounted twice
                seen.add(key)
                hierarchies.append(Hierarchy(key, m.mountpoint, 1, controllers))
    if unified is not None:
        return Setup(HYBRID, root, [*hierarchies, unified])
    if hierarchies:
        return Setup(LEGACY, root, hierarchies)
    raise CgroupError(f"cgroup: no cgroup hierarchy is mounted at {root}")


def detect_mode(root: str = DEFAULT_ROOT, mountinfo: str | None = None) -> str:
    """Return ``"v2"``, ``"hybrid"`` or ``"legacy"`` for the tree at ``root``."""
    return probe(root, mountinfo).mode
