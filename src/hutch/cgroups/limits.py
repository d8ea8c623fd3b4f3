"""What a container's processes may use: writing resource limits into its cgroups.

:func:`set_limits` takes a checked LinuxResources dict
(:func:`hutch.specconv.resources.check`) and the container's
:class:`~hutch.cgroups.placement.Placement`, has :mod:`hutch.cgroups.translate` turn it
into file writes for each controller's cgroup version, enables the cgroup2 controllers
it needs, checks that every file exists and what the kernel would refuse half-way,
then writes through :class:`hutch.cgroups.cgfs.CgroupFS`. :func:`set_devices` does the
same for the device rules (:mod:`hutch.cgroups.devcg`).

Imports: ``os``, ``errno`` and hutch modules only; :mod:`hutch.cgroups.translate` and
:mod:`hutch.cgroups.devcg` when a setting needs them.
"""

from __future__ import annotations

import errno
import os

from hutch.cgroups import mode as _mode
from hutch.cgroups.cgfs import CgroupIOError
from hutch.cgroups.placement import PARENT
from hutch.errors import CgroupError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hutch.cgroups.cgfs import CgroupFS
    from hutch.cgroups.devices import Rule
    from hutch.cgroups.placement import Placement
    from hutch.cgroups.translate import Write

    # (write, hierarchy key, directory, file, value)
    _Todo = tuple[Write, str, str, str, str]

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


def controller_versions(cg: Placement) -> dict[str, int]:
    """Each controller this host has, with the cgroup version of its hierarchy
    (``{"memory": 1, ..., "hugetlb": 2, "cgroup": 2}`` on a hybrid host; names as
    in cgroup v2, so v1's ``blkio`` is ``io``). ``cgroup`` stands for the core files
    of a cgroup2 hierarchy."""
    from hutch.cgroups import translate as _tr

    v1 = [
        c
        for key in cg.paths
        if key != _mode.UNIFIED
        for c in key.split(",")
        if not c.startswith("name=")
    ]
    v2: list[str] = []
    unified = cg.paths.get(_mode.UNIFIED)
    if unified is not None:
        root = cg.mountpoint(unified)
        v2 = [*cg.fs.read(_mode.UNIFIED, root, "cgroup.controllers").split(), _tr.CORE]
    return _tr.versions_from(v1, v2)


def set_limits(cg: Placement, res: Mapping[str, object] | None, *, where: str = "linux.resources") -> None:
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

    versions = controller_versions(cg)
    writes = _tr.translate(res, versions, None, where)
    _check_before_update(cg, res, versions, where)
    if not writes:
        return
    _enable_v2(cg, frozenset(w.controller for w in writes if w.version == 2) - {_tr.CORE})
    current = _current_values(cg, res, versions)
    if current:
        writes = _tr.translate(res, versions, current, where)
    todo = [item for w in writes if (item := _pick(cg, w)) is not None]
    _precheck(cg, res, versions, where)
    _write_all(cg.fs, todo)


def set_devices(cg: Placement, rules: Sequence[Rule]) -> None:
    """Make the device cgroup enforce ``rules`` (:mod:`hutch.cgroups.devcg`): the v1
    ``devices`` controller where the host has one, else an eBPF filter on cgroup v2."""
    from hutch.cgroups import devcg

    d = cg.dir_for("devices") if cg.mode != _mode.V2 else None
    if d is not None:
        devcg.apply_v1(cg.fs, d, rules)
    elif _mode.UNIFIED in cg.paths:
        devcg.apply_v2(cg.paths[_mode.UNIFIED], rules)
    else:
        raise CgroupError("cgroup: linux.resources.devices: this host has no devices controller")


# ---- which file each write goes to ----------------------------------------------------


def _dir(cg: Placement, w: Write) -> tuple[str, str]:
    """(hierarchy key, directory) that holds ``w``'s file."""
    if w.version == 2:
        return _mode.UNIFIED, cg.paths[_mode.UNIFIED]
    for key, path in cg.paths.items():
        if key != _mode.UNIFIED and w.controller in key.split(","):
            return key, path
    raise CgroupError(f"cgroup: {w.field}: no {w.controller} hierarchy")  # translate checked it


def _pick(cg: Placement, w: Write) -> _Todo | None:
    """The first of ``w``'s files that exists here; None for a missing optional one."""
    key, d = _dir(cg, w)
    for file, value in w.choices:
        if cg.fs.has(d, file) and _usable(cg.fs, key, d, file, value):
            return (w, key, d, file, value)
    if w.optional:
        return None
    files = " or ".join(f for f, _ in w.choices)
    hint = w.hint
    if files.startswith("hugetlb."):
        sizes = hugepage_sizes()
        hint = f"{hint}; it has {', '.join(sizes) if sizes else 'none'}"
    raise CgroupError(f"cgroup: {w.field}: this host has no {files}" + (f" ({hint})" if hint else ""))


def _usable(fs: CgroupFS, key: str, d: str, file: str, value: str) -> bool:
    if file == "io.bfq.weight" and ":" in value:
        # per-device BFQ weights came with Linux 5.4: older kernels show one number
        return not fs.read(key, d, file).strip().isdigit()
    return True


def _enable_v2(cg: Placement, controllers: frozenset[str]) -> None:
    """Enable ``controllers`` in ``cgroup.subtree_control`` of each cgroup2 level
    above the container (root first), as runc and crun do on create.

    Only levels hutch owns are changed: those under ``/hutch``, and those create()
    made in this process (an absolute cgroupsPath elsewhere). The hierarchy's root
    is changed too when a controller is not enabled there: without that nothing
    below it can use the controller (on a hybrid host the ``unified`` root enables
    nothing by default; on v2 hosts systemd has already enabled them). Any other
    level of the machine's that lacks a controller is an error, left to its owner.
    """
    unified = cg.paths.get(_mode.UNIFIED)
    if not controllers or unified is None:
        return
    fs = cg.fs
    mount = cg.mountpoint(unified)
    parts = cg.path.strip("/").split("/")
    for depth in range(len(parts)):
        rel = "/" + "/".join(parts[:depth])
        d = mount + rel.rstrip("/")
        enabled = set(fs.read(_mode.UNIFIED, d, "cgroup.subtree_control").split())
        missing = sorted(controllers - enabled)
        if not missing:
            continue
        if not (rel in ("/", PARENT) or rel.startswith(PARENT + "/") or cg.created_here(d)):
            raise CgroupError(
                f"cgroup: {d}: controller(s) {' '.join(missing)} not enabled in its "
                f"cgroup.subtree_control, and hutch changes only cgroups it created "
                f"(enable them there first)"
            )
        try:
            fs.write(_mode.UNIFIED, d, "cgroup.subtree_control", " ".join("+" + c for c in missing))
        except CgroupIOError:
            for c in missing:  # again one by one, to name the one the kernel refuses
                try:
                    fs.write(_mode.UNIFIED, d, "cgroup.subtree_control", "+" + c)
                except CgroupIOError as err:
                    raise CgroupError(
                        f"cgroup: cannot enable the {c} controller in {d}/cgroup.subtree_control: "
                        f"{os.strerror(err.errno) if err.errno else err}"
                    ) from err


# ---- what is checked against the cgroup's current state before writing ---------------


def _read_int(fs: CgroupFS, key: str, d: str, name: str) -> int | None:
    try:
        return int(fs.read(key, d, name).split()[0])
    except (CgroupIOError, ValueError, IndexError):
        return None


def _current_values(cg: Placement, res: Mapping[str, object], versions: Mapping[str, int]) -> dict[str, str]:
    """Values translate() orders or completes writes by (see its ``current``)."""
    out: dict[str, str] = {}
    mem, cpu = res.get("memory"), res.get("cpu")
    if isinstance(mem, dict) and versions.get("memory") == 1 and mem.get("limit") and mem.get("swap"):
        d = cg.dir_for("memory")
        limit = _read_int(cg.fs, "memory", d, "memory.limit_in_bytes") if d else None
        if limit is not None:
            out["memory.limit_in_bytes"] = str(limit)
    one_of_cpu_max = isinstance(cpu, dict) and bool(cpu.get("quota")) != bool(cpu.get("period"))
    if one_of_cpu_max and versions.get("cpu") == 2:
        d = cg.paths[_mode.UNIFIED]
        if cg.fs.has(d, "cpu.max"):
            out["cpu.max"] = cg.fs.read(_mode.UNIFIED, d, "cpu.max").strip()
    return out


def _check_before_update(
    cg: Placement, res: Mapping[str, object], versions: Mapping[str, int], where: str
) -> None:
    """memory.checkBeforeUpdate: refuse a limit at or below the current usage
    (cgroup v1's kernel refuses it anyway; v2 would OOM-kill instead)."""
    mem = res.get("memory")
    if not isinstance(mem, dict) or mem.get("checkBeforeUpdate") is not True:
        return
    v = versions.get("memory")
    d = cg.dir_for("memory") if v == 1 else cg.paths.get(_mode.UNIFIED)
    if d is None:
        return
    key = "memory" if v == 1 else _mode.UNIFIED
    usage = _read_int(cg.fs, key, d, "memory.usage_in_bytes" if v == 1 else "memory.current")
    if usage is None:
        return  # best effort, as runc: no usage to compare with yet
    for field in ("limit", "swap"):
        n = mem.get(field)
        if isinstance(n, int) and 0 < n <= usage:
            raise CgroupError(
                f"cgroup: {where}.memory.{field}: {n} is not above the current usage ({usage} bytes) "
                f"and checkBeforeUpdate is set"
            )


def _precheck(cg: Placement, res: Mapping[str, object], versions: Mapping[str, int], where: str) -> None:
    """What the kernel would refuse half-way, checked before the first write."""
    from hutch.cgroups.cpulist import parse_list

    fs = cg.fs
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
        leaf = cg.paths.get(_mode.UNIFIED) if v2 else cg.dir_for("cpuset")
        if leaf is None:
            continue
        parent, file = os.path.dirname(leaf), v2_file if v2 else v1_file
        if not fs.has(parent, file):
            continue
        offered = fs.read(key, parent, file).strip()
        lacking = sorted(set(parse_list(want)) - set(parse_list(offered) if offered else []))
        if lacking:
            raise CgroupError(
                f"cgroup: {where}.cpu.{field}: {what}(s) {','.join(map(str, lacking))} not available "
                f"(the parent cgroup offers {offered or 'none'})"
            )
    runtime = cpu.get("realtimeRuntime")
    if versions.get("cpu") == 1 and isinstance(runtime, int) and runtime > 0:
        leaf = cg.dir_for("cpu")
        parent = os.path.dirname(leaf) if leaf else ""
        budget = _read_int(fs, "cpu", parent, "cpu.rt_runtime_us") if parent else None
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


# ---- writing ----------------------------------------------------------------------------


def _write_all(fs: CgroupFS, todo: list[_Todo]) -> None:
    """Write in order; a ``retry`` write refused with EINVAL goes again after the
    rest of its controller's writes (runc's cpu period/quota/burst dance)."""
    applied: list[str] = []
    deferred: list[_Todo] = []
    for i, item in enumerate(todo):
        w = item[0]
        try:
            _write_one(fs, item)
        except CgroupIOError as err:
            if not (w.retry and err.errno == errno.EINVAL):
                raise _failed(fs, item, err, applied) from err
            deferred.append(item)
        else:
            applied.append(w.field)
        last_of_controller = i + 1 == len(todo) or todo[i + 1][0].controller != w.controller
        if deferred and last_of_controller:
            for again in deferred:
                try:
                    _write_one(fs, again)
                except CgroupIOError as err:
                    raise _failed(fs, again, err, applied) from err
                applied.append(again[0].field)
            deferred.clear()


def _write_one(fs: CgroupFS, item: _Todo) -> None:
    w, key, d, file, value = item
    fs.write(key, d, file, value)
    if w.verify:
        got = _read_int(fs, key, d, file)
        if got is not None and got >= _UNLIMITED_FLOOR:
            raise CgroupError(
                f"cgroup: {w.field}: this kernel accepts {file} but ignores it "
                f"(kernel memory limits are no longer enforced); leave it unset"
            )


def _failed(fs: CgroupFS, item: _Todo, err: CgroupIOError, applied: list[str]) -> ResourceWriteError:
    w, key, d, file, value = item
    reason = os.strerror(err.errno) if err.errno else str(err)
    msg = f"cgroup: {w.field}: cannot write {value!r} to {d}/{file}: {reason}"
    if file == "memory.limit_in_bytes" and err.errno == errno.EBUSY:
        usage = _read_int(fs, key, d, "memory.usage_in_bytes")
        msg = f"cgroup: {w.field}: cannot lower the memory limit to {value}: the container uses {usage}"
    if applied:
        msg += f" (applied before it: {', '.join(dict.fromkeys(applied))})"
    return ResourceWriteError(msg, list(dict.fromkeys(applied)))
