"""Place a container's processes in cgroups (cgroupfs driver): create, apply, list, kill, destroy.

One :class:`Manager` covers every hierarchy of the host (see :mod:`hutch.cgroups.mode`):
each v1 hierarchy (``cpu``, ``cpu,cpuacct``, ``memory``, ``name=systemd``, ...),
the cgroup2 ``unified`` one on hybrid hosts (runc places processes there too),
or the single cgroup2 tree on a v2 host. The same cgroup path is used in each.

Where the container goes (``cgroupsPath`` of config.json):

- absent or empty: ``/hutch/<container-id>``;
- absolute (``/a/b``): used as is, relative to each hierarchy's root;
- relative (``a/b``): ``/hutch/a/b``. **Deliberate difference from runc**, which
  resolves a relative path against the *caller's own* cgroup: a runtime started
  from a shell that sits in some machine cgroup (``memory:/process_api/...``)
  would nest its containers there and they would die with that cgroup;
- ``..`` components or the systemd driver's ``slice:prefix:name`` form: CgroupError.

Resource limits: :meth:`Manager.set` takes a checked LinuxResources dict
(:func:`hutch.specconv.resources.check`), has :mod:`hutch.cgroups.translate` turn it
into file writes for each controller's cgroup version, enables the cgroup2 controllers
it needs, checks that every file exists, then writes through
:class:`hutch.cgroups.cgfs.CgroupFS`.

Imports: ``os``, ``errno``, ``time`` and hutch modules only (no ``signal``: its
``enum`` import costs ~30 ms on the kill path; signals are plain ints here).
"""

from __future__ import annotations

import errno
import os
import time

from hutch.cgroups import mode as _mode
from hutch.cgroups.cgfs import CgroupFS, CgroupIOError
from hutch.errors import CgroupError, HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hutch.cgroups.devices import Rule
    from hutch.cgroups.translate import Write

    # (write, hierarchy key, directory, file, value)
    _Todo = tuple[Write, str, str, str, str]

#: The shared parent of every container cgroup hutch creates; never removed by destroy().
PARENT = "/hutch"

_SIGKILL = 9
_RECORD_VERSION = 1
# destroy(): how long to retry rmdir while the kernel still counts exiting tasks (EBUSY).
_RMDIR_TIMEOUT = 2.0
# kill_all(): rounds of "list, signal the new ones" to catch processes forked meanwhile.
_KILL_ROUNDS = 20
# create(): attempts when a concurrent destroy() removes an empty parent under us.
_CREATE_RETRIES = 5

_FS = CgroupFS()

#: Where the kernel lists block devices by major:minor.
SYS_DEV_BLOCK = "/sys/dev/block"
HUGEPAGES_DIR = "/sys/kernel/mm/hugepages"
#: A v1 limit read back at or above this is "unlimited" (PAGE_COUNTER_MAX * page size).
_UNLIMITED_FLOOR = 1 << 62


class ResourceWriteError(CgroupError):
    """The kernel refused a resource write; ``applied`` names the settings written before it."""

    def __init__(self, msg: str, applied: list[str]) -> None:
        super().__init__(msg)
        self.applied = applied


def hugepage_sizes(sysdir: str = HUGEPAGES_DIR) -> list[str]:
    """This host's huge page sizes in the runtime-spec's spelling (``2MB``, ``1GB``), smallest first."""
    try:
        names = os.listdir(sysdir)
    except OSError:
        return []
    sizes: list[int] = []
    for name in names:
        digits = name.removeprefix("hugepages-").removesuffix("kB")
        if digits.isdigit():
            sizes.append(int(digits))
    out: list[str] = []
    for kb in sorted(sizes):
        n, unit = kb, "KB"
        for bigger in ("MB", "GB", "TB"):
            if n % 1024:
                break
            n, unit = n // 1024, bigger
        out.append(f"{n}{unit}")
    return out


def resolve_path(cgroups_path: str | None, container_id: str) -> str:
    """Turn config.json's ``linux.cgroupsPath`` into hutch's absolute cgroup path."""
    if not cgroups_path:
        if not container_id or "/" in container_id or container_id in (".", ".."):
            raise CgroupError(f"cgroup: cannot derive a cgroup path from container id {container_id!r}")
        raw = f"{PARENT}/{container_id}"
    elif ":" in cgroups_path:
        raise CgroupError(
            f"cgroup: cgroupsPath {cgroups_path!r} looks like systemd's "
            f"slice:prefix:name form; the systemd cgroup driver is not supported"
        )
    elif cgroups_path.startswith("/"):
        raw = cgroups_path
    else:
        raw = f"{PARENT}/{cgroups_path}"
    if "\0" in raw:
        raise CgroupError(f"cgroup: cgroupsPath {cgroups_path!r} contains a NUL byte")
    parts = [p for p in raw.split("/") if p and p != "."]
    if ".." in parts:
        raise CgroupError(f"cgroup: cgroupsPath {cgroups_path!r} must not contain '..'")
    path = "/" + "/".join(parts)
    if path in ("/", PARENT):
        shown = cgroups_path if cgroups_path else container_id
        raise CgroupError(
            f"cgroup: cgroupsPath {shown!r} resolves to {path}, which is shared and cannot hold a container"
        )
    return path


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


class Manager:
    """The container's cgroup directories, one per hierarchy.

    ``paths`` maps a hierarchy key (``"memory"``, ``"cpu,cpuacct"``,
    ``"name=systemd"``, ``"unified"``) to the absolute directory; ``path`` is the
    cgroup path common to all of them (``/hutch/<id>``).
    """

    __slots__ = ("_created", "_fs", "mode", "path", "paths")

    def __init__(self, mode: str, path: str, paths: dict[str, str], *, fs: CgroupFS = _FS):
        self.mode = mode
        self.path = path
        self.paths = paths
        self._fs = fs
        # directories create() made in this process (any level): set() may enable
        # cgroup2 controllers in those even outside /hutch
        self._created: set[str] = set()

    def __repr__(self) -> str:
        return f"Manager({self.mode!r}, {self.path!r})"

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

    # ---- queries ------------------------------------------------------------------

    def dir_for(self, controller: str) -> str | None:
        """The directory that holds ``controller``'s files (``"memory"``, ``"pids"``...).

        On v2 that is the one unified directory; None when no hierarchy has it.
        """
        if self.mode == _mode.V2:
            return self.paths.get(_mode.UNIFIED)
        for key, path in self.paths.items():
            if key != _mode.UNIFIED and controller in key.split(","):
                return path
        return None

    def exists(self) -> bool:
        """True while the container's directory exists in any hierarchy."""
        return any(self._fs.isdir(p) for p in self.paths.values())

    def pids(self) -> list[int]:
        """Every process in the container's cgroups, sub-cgroups included, sorted.

        The union over all hierarchies, so a process moved out of one still shows.
        """
        found: set[int] = set()
        for key, top in self.paths.items():
            for d in self._fs.walk(top):
                try:
                    text = self._fs.read(key, d, "cgroup.procs")
                except CgroupIOError as err:
                    if err.errno in (errno.ENOENT, errno.ENODEV):  # removed meanwhile
                        continue
                    raise
                found.update(int(tok) for tok in text.split())
        return sorted(found)

    # ---- lifecycle ----------------------------------------------------------------

    def create(self) -> None:
        """Make the directories, every missing level, in every hierarchy.

        In a v1 ``cpuset`` hierarchy each level (the ``hutch`` parent too) gets
        ``cpuset.cpus`` and ``cpuset.mems`` copied from its parent when empty: a
        new cpuset starts empty and adding a task to it fails with ENOSPC.
        On failure the leaf directories this call created are removed again.
        """
        made: list[tuple[str, str]] = []
        parts = self.path.strip("/").split("/")
        try:
            for key, leaf in self.paths.items():
                for attempt in range(_CREATE_RETRIES):
                    try:
                        cur = self._mountpoint(leaf)
                        for part in parts:
                            parent, cur = cur, f"{cur}/{part}"
                            if self._fs.mkdir(key, cur):
                                self._created.add(cur)
                                if cur == leaf:
                                    made.append((key, cur))
                            if key != _mode.UNIFIED and "cpuset" in key.split(","):
                                self._init_cpuset(key, parent, cur)
                        break
                    except CgroupIOError as err:
                        # a concurrent destroy() removed an empty /hutch level under us
                        if err.errno != errno.ENOENT or attempt == _CREATE_RETRIES - 1:
                            raise
        except HutchError as err:
            for key, leaf in reversed(made):
                try:
                    self._fs.rmdir(key, leaf)
                except HutchError as cleanup:
                    err.add_note(f"cleanup also failed: {cleanup}")
            raise

    def apply(self, pid: int) -> None:
        """Move process ``pid`` (all its threads) into the cgroup of every hierarchy."""
        for key, path in self.paths.items():
            self.add_process(key, path, pid)

    def add_process(self, key: str, directory: str, pid: int) -> None:
        """Move process ``pid`` into ``directory`` of hierarchy ``key`` (the container's
        cgroup or one below it: see :mod:`hutch.cgroups.subcgroup`)."""
        self._fs.write(key, directory, "cgroup.procs", str(pid))

    def kill_all(self, sig: int) -> None:
        """Send ``sig`` to every process in the container's cgroups.

        For SIGKILL, ``cgroup.kill`` of the cgroup2 directory kills the whole
        subtree atomically (no fork race); on v2 that is all. Otherwise, and on
        hybrid hosts as a second pass, signal the listed pids, repeating while new
        ones show up. A process that exits meanwhile is not an error.
        """
        v2 = self.paths.get(_mode.UNIFIED)
        if sig == _SIGKILL and v2 is not None and self._fs.has(v2, "cgroup.kill"):
            self._fs.write(_mode.UNIFIED, v2, "cgroup.kill", "1")
            if self.mode == _mode.V2:
                return
        sent: set[int] = set()
        for _ in range(_KILL_ROUNDS):
            fresh = [pid for pid in self.pids() if pid not in sent]
            if not fresh:
                return
            for pid in fresh:
                sent.add(pid)
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
                except OSError as err:
                    raise CgroupError(
                        f"cgroup {self.path}: cannot send signal {sig} to pid {pid}: {err.strerror}"
                    ) from err

    def destroy(self) -> None:
        """Remove the container's directories (and any below them), deepest first.

        Retries briefly on EBUSY while exiting processes are still counted.
        Idempotent. The shared ``/hutch`` parent and other levels above the
        container's directory stay. Every hierarchy is attempted; the first
        failure is raised, later ones are attached to it as notes.
        """
        first: CgroupError | None = None
        for key, top in self.paths.items():
            try:
                for d in reversed(list(self._fs.walk(top))):
                    self._rmdir_retry(key, d)
                self._remove_empty_parents(key, top)
            except CgroupError as err:
                if first is None:
                    first = err
                else:
                    first.add_note(f"also: {err}")
        if first is not None:
            raise first

    # ---- resource limits ----------------------------------------------------------

    def controller_versions(self) -> dict[str, int]:
        """Each controller this host has, with the cgroup version of its hierarchy
        (``{"memory": 1, ..., "hugetlb": 2, "cgroup": 2}`` on a hybrid host; names as
        in cgroup v2, so v1's ``blkio`` is ``io``). ``cgroup`` stands for the core files
        of a cgroup2 hierarchy."""
        from hutch.cgroups import translate as _tr

        v1 = [
            c
            for key in self.paths
            if key != _mode.UNIFIED
            for c in key.split(",")
            if not c.startswith("name=")
        ]
        v2: list[str] = []
        unified = self.paths.get(_mode.UNIFIED)
        if unified is not None:
            root = self._mountpoint(unified)
            v2 = [*self._fs.read(_mode.UNIFIED, root, "cgroup.controllers").split(), _tr.CORE]
        return _tr.versions_from(v1, v2)

    def set(self, res: Mapping[str, object] | None, *, where: str = "linux.resources") -> None:
        """Apply checked LinuxResources ``res`` (all but ``devices``) to the container's cgroups.

        In order: translate for this host (CgroupError for a controller it lacks);
        enable the cgroup2 controllers needed in ``cgroup.subtree_control`` from the
        hierarchy's root down to the container's parent; pick every file and fail if
        one is missing; check what can be checked before writing (cpus and memory nodes
        the parent offers, block devices, the realtime budget, ``checkBeforeUpdate``);
        only then write. If the kernel still refuses a write, :class:`ResourceWriteError`
        names it and lists the settings applied before it. ``where`` prefixes the
        field names in messages (``linux.resources.memory.limit``).
        """
        if not res:
            return
        from hutch.cgroups import translate as _tr

        versions = self.controller_versions()
        writes = _tr.translate(res, versions, None, where)
        self._check_before_update(res, versions, where)
        if not writes:
            return
        self._enable_v2(frozenset(w.controller for w in writes if w.version == 2) - {_tr.CORE})
        current = self._current_values(res, versions)
        if current:
            writes = _tr.translate(res, versions, current, where)
        todo = [item for w in writes if (item := self._pick(w)) is not None]
        self._precheck(res, versions, where)
        self._write_all(todo)

    def set_devices(self, rules: Sequence[Rule]) -> None:
        """Make the device cgroup enforce ``rules`` (:mod:`hutch.cgroups.devcg`): the v1
        ``devices`` controller where the host has one, else an eBPF filter on cgroup v2."""
        from hutch.cgroups import devcg

        d = self.dir_for("devices") if self.mode != _mode.V2 else None
        if d is not None:
            devcg.apply_v1(self._fs, d, rules)
        elif _mode.UNIFIED in self.paths:
            devcg.apply_v2(self.paths[_mode.UNIFIED], rules)
        else:
            raise CgroupError("cgroup: linux.resources.devices: this host has no devices controller")

    def _dir(self, w: Write) -> tuple[str, str]:
        """(hierarchy key, directory) that holds ``w``'s file."""
        if w.version == 2:
            return _mode.UNIFIED, self.paths[_mode.UNIFIED]
        for key, path in self.paths.items():
            if key != _mode.UNIFIED and w.controller in key.split(","):
                return key, path
        raise CgroupError(f"cgroup: {w.field}: no {w.controller} hierarchy")  # translate checked it

    def _pick(self, w: Write) -> _Todo | None:
        """The first of ``w``'s files that exists here; None for a missing optional one."""
        key, d = self._dir(w)
        for file, value in w.choices:
            if self._fs.has(d, file) and self._usable(key, d, file, value):
                return (w, key, d, file, value)
        if w.optional:
            return None
        files = " or ".join(f for f, _ in w.choices)
        hint = w.hint
        if files.startswith("hugetlb."):
            sizes = hugepage_sizes()
            hint = f"{hint}; it has {', '.join(sizes) if sizes else 'none'}"
        raise CgroupError(f"cgroup: {w.field}: this host has no {files}" + (f" ({hint})" if hint else ""))

    def _usable(self, key: str, d: str, file: str, value: str) -> bool:
        if file == "io.bfq.weight" and ":" in value:
            # per-device BFQ weights came with Linux 5.4: older kernels show one number
            return not self._fs.read(key, d, file).strip().isdigit()
        return True

    def _enable_v2(self, controllers: frozenset[str]) -> None:
        """Enable ``controllers`` in ``cgroup.subtree_control`` of each cgroup2 level
        above the container (root first), as runc and crun do on create.

        Only levels hutch owns are changed: those under ``/hutch``, and those create()
        made in this process (an absolute cgroupsPath elsewhere). The hierarchy's root
        is changed too when a controller is not enabled there: without that nothing
        below it can use the controller (on a hybrid host the ``unified`` root enables
        nothing by default; on v2 hosts systemd has already enabled them). Any other
        level of the machine's that lacks a controller is an error, left to its owner.
        """
        unified = self.paths.get(_mode.UNIFIED)
        if not controllers or unified is None:
            return
        mount = self._mountpoint(unified)
        parts = self.path.strip("/").split("/")
        for depth in range(len(parts)):
            rel = "/" + "/".join(parts[:depth])
            d = mount + rel.rstrip("/")
            enabled = set(self._fs.read(_mode.UNIFIED, d, "cgroup.subtree_control").split())
            missing = sorted(controllers - enabled)
            if not missing:
                continue
            if not (rel in ("/", PARENT) or rel.startswith(PARENT + "/") or d in self._created):
                raise CgroupError(
                    f"cgroup: {d}: controller(s) {' '.join(missing)} not enabled in its "
                    f"cgroup.subtree_control, and hutch changes only cgroups it created "
                    f"(enable them there first)"
                )
            try:
                self._fs.write(_mode.UNIFIED, d, "cgroup.subtree_control", " ".join("+" + c for c in missing))
            except CgroupIOError:
                for c in missing:  # again one by one, to name the one the kernel refuses
                    try:
                        self._fs.write(_mode.UNIFIED, d, "cgroup.subtree_control", "+" + c)
                    except CgroupIOError as err:
                        raise CgroupError(
                            f"cgroup: cannot enable the {c} controller in {d}/cgroup.subtree_control: "
                            f"{os.strerror(err.errno) if err.errno else err}"
                        ) from err

    def _read_int(self, key: str, d: str, name: str) -> int | None:
        try:
            return int(self._fs.read(key, d, name).split()[0])
        except (CgroupIOError, ValueError, IndexError):
            return None

    def _current_values(self, res: Mapping[str, object], versions: Mapping[str, int]) -> dict[str, str]:
        """Values translate() orders or completes writes by (see its ``current``)."""
        out: dict[str, str] = {}
        mem, cpu = res.get("memory"), res.get("cpu")
        if isinstance(mem, dict) and versions.get("memory") == 1 and mem.get("limit") and mem.get("swap"):
            d = self.dir_for("memory")
            limit = self._read_int("memory", d, "memory.limit_in_bytes") if d else None
            if limit is not None:
                out["memory.limit_in_bytes"] = str(limit)
        one_of_cpu_max = isinstance(cpu, dict) and bool(cpu.get("quota")) != bool(cpu.get("period"))
        if one_of_cpu_max and versions.get("cpu") == 2:
            d = self.paths[_mode.UNIFIED]
            if self._fs.has(d, "cpu.max"):
                out["cpu.max"] = self._fs.read(_mode.UNIFIED, d, "cpu.max").strip()
        return out

    def _check_before_update(
        self, res: Mapping[str, object], versions: Mapping[str, int], where: str
    ) -> None:
        """memory.checkBeforeUpdate: refuse a limit at or below the current usage
        (cgroup v1's kernel refuses it anyway; v2 would OOM-kill instead)."""
        mem = res.get("memory")
        if not isinstance(mem, dict) or mem.get("checkBeforeUpdate") is not True:
            return
        v = versions.get("memory")
        d = self.dir_for("memory") if v == 1 else self.paths.get(_mode.UNIFIED)
        if d is None:
            return
        key = "memory" if v == 1 else _mode.UNIFIED
        usage = self._read_int(key, d, "memory.usage_in_bytes" if v == 1 else "memory.current")
        if usage is None:
            return  # best effort, as runc: no usage to compare with yet
        for field in ("limit", "swap"):
            n = mem.get(field)
            if isinstance(n, int) and 0 < n <= usage:
                raise CgroupError(
                    f"cgroup: {where}.memory.{field}: {n} is not above the current usage ({usage} bytes) "
                    f"and checkBeforeUpdate is set"
                )

    def _precheck(self, res: Mapping[str, object], versions: Mapping[str, int], where: str) -> None:
        """What the kernel would refuse half-way, checked before the first write."""
        from hutch.cgroups.cpulist import parse_list

        cpu = res.get("cpu")
        cpu = cpu if isinstance(cpu, dict) else {}
        for field, v1_file, v2_file, what in (
            ("cpus", "cpuset.effective_cpus", "cpuset.cpus.effective", "CPU"),
            ("mems", "cpuset.effective_mems", "cpuset.mems.effective", "memory node"),
        ):
            want = cpu.get(field)
            if not isinstance(want, str) or not want:
                continue
            v2 = versions.get("cpuset") == 2
            key = _mode.UNIFIED if v2 else "cpuset"
            leaf = self.paths.get(_mode.UNIFIED) if v2 else self.dir_for("cpuset")
            if leaf is None:
                continue
            parent, file = os.path.dirname(leaf), v2_file if v2 else v1_file
            if not self._fs.has(parent, file):
                continue
            offered = self._fs.read(key, parent, file).strip()
            lacking = sorted(set(parse_list(want)) - set(parse_list(offered) if offered else []))
            if lacking:
                raise CgroupError(
                    f"cgroup: {where}.cpu.{field}: {what}(s) {','.join(map(str, lacking))} not available "
                    f"(the parent cgroup offers {offered or 'none'})"
                )
        runtime = cpu.get("realtimeRuntime")
        if versions.get("cpu") == 1 and isinstance(runtime, int) and runtime > 0:
            leaf = self.dir_for("cpu")
            parent = os.path.dirname(leaf) if leaf else ""
            budget = self._read_int("cpu", parent, "cpu.rt_runtime_us") if parent else None
            if budget is not None and budget != -1 and runtime > budget:
                raise CgroupError(
                    f"cgroup: {where}.cpu.realtimeRuntime: {runtime} exceeds the parent cgroup's realtime "
                    f"budget ({budget} us in {parent}/cpu.rt_runtime_us)"
                )
        bio = res.get("blockIO")
        if isinstance(bio, dict):
            for section, items in bio.items():
                for i, dev in enumerate(items if isinstance(items, list) else []):
                    if isinstance(dev, dict) and not os.path.exists(
                        f"{SYS_DEV_BLOCK}/{dev.get('major')}:{dev.get('minor')}"
                    ):
                        raise CgroupError(
                            f"cgroup: {where}.blockIO.{section}[{i}]: no block device "
                            f"{dev.get('major')}:{dev.get('minor')} on this host"
                        )

    def _write_all(self, todo: list[_Todo]) -> None:
        """Write in order; a ``retry`` write refused with EINVAL goes again after the
        rest of its controller's writes (runc's cpu period/quota/burst dance)."""
        applied: list[str] = []
        deferred: list[_Todo] = []
        for i, item in enumerate(todo):
            w = item[0]
            try:
                self._write_one(item)
            except CgroupIOError as err:
                if not (w.retry and err.errno == errno.EINVAL):
                    raise self._failed(item, err, applied) from err
                deferred.append(item)
            else:
                applied.append(w.field)
            last_of_controller = i + 1 == len(todo) or todo[i + 1][0].controller != w.controller
            if deferred and last_of_controller:
                for again in deferred:
                    try:
                        self._write_one(again)
                    except CgroupIOError as err:
                        raise self._failed(again, err, applied) from err
                    applied.append(again[0].field)
                deferred.clear()

    def _write_one(self, item: _Todo) -> None:
        w, key, d, file, value = item
        self._fs.write(key, d, file, value)
        if w.verify:
            got = self._read_int(key, d, file)
            if got is not None and got >= _UNLIMITED_FLOOR:
                raise CgroupError(
                    f"cgroup: {w.field}: this kernel accepts {file} but ignores it "
                    f"(kernel memory limits are no longer enforced); leave it unset"
                )

    def _failed(self, item: _Todo, err: CgroupIOError, applied: list[str]) -> ResourceWriteError:
        w, key, d, file, value = item
        reason = os.strerror(err.errno) if err.errno else str(err)
        msg = f"cgroup: {w.field}: cannot write {value!r} to {d}/{file}: {reason}"
        if file == "memory.limit_in_bytes" and err.errno == errno.EBUSY:
            usage = self._read_int(key, d, "memory.usage_in_bytes")
            msg = f"cgroup: {w.field}: cannot lower the memory limit to {value}: the container uses {usage}"
        if applied:
            msg += f" (applied before it: {', '.join(dict.fromkeys(applied))})"
        return ResourceWriteError(msg, list(dict.fromkeys(applied)))

    # ---- helpers ------------------------------------------------------------------

    def _remove_empty_parents(self, key: str, leaf: str) -> None:
        """Remove levels between the leaf and the hierarchy root under /hutch once empty.

        Only hutch's own parent: an absolute cgroupsPath elsewhere keeps its
        ancestors. A level another container still uses is not empty (EBUSY/ENOTEMPTY).
        """
        if not self.path.startswith(PARENT + "/"):
            return
        mount = self._mountpoint(leaf)
        cur = leaf.rsplit("/", 1)[0]
        while len(cur) >= len(mount) + len(PARENT):
            try:
                self._fs.rmdir(key, cur)
            except CgroupIOError:
                return
            cur = cur.rsplit("/", 1)[0]

    def _mountpoint(self, leaf: str) -> str:
        return leaf[: len(leaf) - len(self.path)]

    def _init_cpuset(self, key: str, parent: str, cur: str) -> None:
        for name in ("cpuset.cpus", "cpuset.mems"):
            if self._fs.read(key, cur, name).strip():
                continue
            value = self._fs.read(key, parent, name).strip()
            if value:
                self._fs.write(key, cur, name, value)

    def _rmdir_retry(self, key: str, path: str) -> None:
        deadline = time.monotonic() + _RMDIR_TIMEOUT
        delay = 0.005
        while True:
            try:
                self._fs.rmdir(key, path)
                return
            except CgroupIOError as err:
                if err.errno != errno.EBUSY or time.monotonic() >= deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
