"""The runtime's one handle on a container's cgroups (cgroupfs driver): a thin facade.

A :class:`Manager` is made from config.json's ``cgroupsPath`` by :func:`open_manager`,
saved in the runtime's state file by :meth:`Manager.to_record` and re-opened in another
process by :meth:`Manager.from_record`. The work is done elsewhere, by concern:

- where the processes live (create, apply, pids, kill_all, destroy, and the cgroup
  path itself): :class:`hutch.cgroups.placement.Placement`, which a Manager is;
- what they may use (:meth:`Manager.set`, :meth:`Manager.set_devices`):
  :mod:`hutch.cgroups.limits`, imported when first needed (`kill`, `delete` and
  `state` never set limits).

Imports: hutch modules only (placement's are ``os``, ``errno``, ``time``): this is on the
runtime's path.
"""

from __future__ import annotations

from hutch.cgroups import mode as _mode
from hutch.cgroups.cgfs import CgroupFS
from hutch.cgroups.placement import Placement, resolve_path
from hutch.errors import CgroupError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hutch.cgroups.devices import Rule

_RECORD_VERSION = 1

_FS = CgroupFS()


def open_manager(
    cgroups_path: str | None,
    container_id: str,
    root: str = _mode.DEFAULT_ROOT,
    mountinfo: str | None = None,
    *,
    fs: CgroupFS = _FS,
) -> Manager:
    """A manager for the container's cgroup in every hierarchy under ``root``.

    Nothing is created yet (see :meth:`Manager.create`). ``mountinfo`` replaces
    ``/proc/self/mountinfo`` and ``fs`` the file operations, for tests.
    """
    path = resolve_path(cgroups_path, container_id)
    setup = _mode.probe(root, mountinfo)
    paths = {h.key: h.mountpoint + path for h in setup.hierarchies}
    return Manager(setup.mode, path, paths, fs=fs)


class Manager(Placement):
    """The container's cgroup directories, one per hierarchy (see :class:`Placement`),
    with its state record and its resource limits."""

    __slots__ = ()

    # ---- state record -------------------------------------------------------------

    def to_record(self) -> dict[str, object]:
        """Plain builtins for the runtime's state file; see :meth:`from_record`."""
        return {"version": _RECORD_VERSION, "mode": self.mode, "path": self.path, "paths": dict(self.paths)}

    @classmethod
    def from_record(cls, record: object, *, fs: CgroupFS = _FS) -> Manager:
        """Re-open a manager saved with :meth:`to_record` (in another process)."""
        if not isinstance(record, dict):
            raise CgroupError("cgroup: malformed state record: not an object")
        mode, path, paths = record.get("mode"), record.get("path"), record.get("paths")
        if record.get("version") != _RECORD_VERSION:
            raise CgroupError(f"cgroup: unsupported state record version {record.get('version')!r}")
        if mode not in _mode.MODES:
            raise CgroupError(f"cgroup: malformed state record: mode {mode!r}")
        if not isinstance(path, str) or not path.startswith("/") or path == "/":
            raise CgroupError(f"cgroup: malformed state record: path {path!r}")
        if not isinstance(paths, dict) or not paths:
            raise CgroupError("cgroup: malformed state record: no paths")
        checked: dict[str, str] = {}
        for key, value in paths.items():
            if not (
                isinstance(key, str)
                and isinstance(value, str)
                and value.startswith("/")
                and value.endswith(path)
                and len(value) > len(path)
            ):
                raise CgroupError(f"cgroup: malformed state record: paths[{key!r}] = {value!r}")
            checked[key] = value
        return cls(str(mode), path, checked, fs=fs)

    # ---- resource limits (hutch.cgroups.limits) ------------------------------------

    def controller_versions(self) -> dict[str, int]:
        """Each controller this host has, with its cgroup version (``{"memory": 1, ...}``);
        see :func:`hutch.cgroups.limits.controller_versions`."""
        from hutch.cgroups import limits

        return limits.controller_versions(self)

    def set(self, res: Mapping[str, object] | None, *, where: str = "linux.resources") -> None:
        """Apply checked LinuxResources ``res`` (all but ``devices``) to the container's
        cgroups; see :func:`hutch.cgroups.limits.set_limits`."""
        if not res:
            return  # without importing limits
        from hutch.cgroups import limits

        limits.set_limits(self, res, where=where)

    def set_devices(self, rules: Sequence[Rule]) -> None:
        """Make the device cgroup enforce ``rules``; see :func:`hutch.cgroups.limits.set_devices`."""
        from hutch.cgroups import limits

        limits.set_devices(self, rules)
