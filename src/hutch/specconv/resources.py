"""``linux.resources``: validate and normalize a LinuxResources object (pure).

:func:`check` takes the JSON shape (camelCase keys, as in config.json and as
``update --resources -`` reads it) and returns a normalized copy of the same shape,
or raises ``InvalidSpec`` naming the JSON path of the first bad field
(``$.linux.resources.memory.limit``). It knows nothing about the host: whether a
controller or file exists, and what cgroup v1 or v2 makes of a value, is decided by
:mod:`hutch.cgroups.translate` and :meth:`hutch.cgroups.manager.Manager.set`.

Semantics follow runc (libcontainer/specconv and the cgroups fs/fs2 drivers):

- memory ``limit``/``reservation``/``swap``/``kernel``/``kernelTCP``: bytes, ``-1``
  unlimited, ``0`` unset; ``swap`` is memory+swap, so a positive one is at least a
  positive ``limit``.
- cpu ``shares`` 0 (unset) or 2..262144 (the kernel clamps, runc then fails); ``quota``
  -1 (no limit), 0 (unset) or 1000..2^44-1 us; ``period`` 0 or 1000..1000000 us;
  ``burst`` at most a positive ``quota``; ``idle`` 0 or 1; ``realtimeRuntime`` -1, 0 or
  at most ``realtimePeriod``; ``cpus``/``mems`` in the kernel's list syntax (``0-2,4``).
- pids ``limit``: -1 (no limit), or 0..4194304 (PID_MAX_LIMIT); runc writes 0 as 1.
- blockIO weights 10..1000 (0 unset); devices by major (<4096) and minor (<2^20).
- hugepage sizes ``<n><K|M|G|T|P>B`` (``2MB``), each size once.
- ``unified``: keys ``CONTROLLER.PARAMETER`` naming a file (no ``/``, no ``..``);
  of the core ``cgroup.*`` files only the limits ``cgroup.max.depth`` and
  ``cgroup.max.descendants`` (hutch owns cgroup.procs, subtree_control, freeze, kill...).

- devices: ``allow`` required; ``type`` a, b or c (absent: a); major and minor -1 or
  absent for any; ``access`` letters of ``rwm``, others ignored as runc does (absent:
  rwm; none of them: an error).
A ``null`` anywhere means absent and is dropped; ``swappiness`` -1 (or 2^64-1, how Go
writes ``-1`` into a uint64) means unset, as in runc, and is dropped too.

Imports: ``hutch.errors`` and ``hutch.cgroups.cpulist`` only (this is on the create path,
which loads ``hutch.cgroups`` anyway).
"""

from __future__ import annotations

from hutch.cgroups.cpulist import parse_list
from hutch.errors import InvalidSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1
UINT32_MAX = 2**32 - 1
UINT16_MAX = 2**16 - 1

#: The kernel's CFS bandwidth bounds (kernel/sched/core.c), in microseconds.
CFS_PERIOD_MIN = 1000
CFS_PERIOD_MAX = 1_000_000
CFS_QUOTA_MIN = 1000
CFS_RUNTIME_MAX = 2**44 - 1
#: cpu.shares bounds (MIN_SHARES, MAX_SHARES for cgroup v1).
SHARES_MIN = 2
SHARES_MAX = 262144
#: PID_MAX_LIMIT on 64-bit: the largest value pids.max takes.
PIDS_MAX = 4 * 1024 * 1024
#: Block weights as the runtime-spec gives them (CFQ's range; BFQ and io.weight are wider).
WEIGHT_MIN = 10
WEIGHT_MAX = 1000
MAJOR_MAX = (1 << 12) - 1
MINOR_MAX = (1 << 20) - 1
IFNAMSIZ = 16

#: Core cgroup v2 files a ``unified`` key may set: limits, not hutch's own machinery.
UNIFIED_CORE_ALLOWED = frozenset({"cgroup.max.depth", "cgroup.max.descendants"})

_DROP = object()  # a checker's answer for "absent after normalization"


# ---- scalar checkers ----------------------------------------------------------------


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int(v: object, path: str, lo: int, hi: int) -> int:
    if not _is_int(v):
        raise InvalidSpec(f"expected an integer, got {_kind(v)}", path)
    assert isinstance(v, int)
    if not lo <= v <= hi:
        raise InvalidSpec(f"{v} is out of range ({lo}..{hi})", path)
    return v


def _kind(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number with a fraction"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _bool(v: object, path: str) -> bool:
    if not isinstance(v, bool):
        raise InvalidSpec(f"expected true or false, got {_kind(v)}", path)
    return v


def _str(v: object, path: str) -> str:
    if not isinstance(v, str):
        raise InvalidSpec(f"expected a string, got {_kind(v)}", path)
    if "\0" in v:
        raise InvalidSpec("contains a NUL byte", path)
    return v


def _u16(v: object, path: str) -> int:
    return _int(v, path, 0, UINT16_MAX)


def _u32(v: object, path: str) -> int:
    return _int(v, path, 0, UINT32_MAX)


def _u64(v: object, path: str) -> int:
    return _int(v, path, 0, UINT64_MAX)


def _ranged(
    what: str, lo: int, hi: int, *, special: tuple[int, ...] = (), note: str = "", unsigned: bool = False
) -> Callable[[object, str], object]:
    """A checker for an integer in ``lo..hi`` or one of ``special`` (-1 for unlimited, 0 for unset)."""

    def checker(v: object, path: str) -> int:
        n = _int(v, path, 0 if unsigned else INT64_MIN, UINT64_MAX if unsigned else INT64_MAX)
        if n not in special and not lo <= n <= hi:
            raise InvalidSpec(f"{what} {n} out of range ({lo}..{hi}{note})", path)
        return n

    return checker


_bytes = _ranged("byte count", 0, INT64_MAX, special=(-1,), note=", -1 for unlimited")
_shares = _ranged("cpu shares", SHARES_MIN, SHARES_MAX, special=(0,), note=", 0 for unset", unsigned=True)
_quota = _ranged("cpu quota", CFS_QUOTA_MIN, CFS_RUNTIME_MAX, special=(-1, 0),
                 note=" microseconds, -1 for no limit")
_period = _ranged("cpu period", CFS_PERIOD_MIN, CFS_PERIOD_MAX, special=(0,), note=" microseconds",
                  unsigned=True)
_burst = _ranged("cpu burst", 0, CFS_RUNTIME_MAX, note=" microseconds", unsigned=True)
_rt_runtime = _ranged("realtime runtime", 0, INT64_MAX, special=(-1,), note=" microseconds, -1 for no limit")
_rt_period = _ranged("realtime period", 0, UINT64_MAX // 1000, note=" microseconds", unsigned=True)
_idle = _ranged("cpu idle", 0, 1)


def _swappiness(v: object, path: str) -> object:
    if _is_int(v) and v in (-1, UINT64_MAX):
        return _DROP  # runc: -1 leaves the kernel's value
    n = _int(v, path, 0, UINT64_MAX)
    if n > 100:
        raise InvalidSpec(f"swappiness {n} is out of range (0..100)", path)
    return n


def _cpulist_field(v: object, path: str) -> str:
    s = _str(v, path).strip()
    if s:
        try:
            parse_list(s)
        except ValueError as err:
            raise InvalidSpec(f"bad list {s!r}: {err}", path) from None
    return s


_pids = _ranged("pids limit", 0, PIDS_MAX, special=(-1,), note=", -1 for no limit")
_weight = _ranged("weight", WEIGHT_MIN, WEIGHT_MAX, special=(0,), note=", 0 for unset", unsigned=True)


def _major(v: object, path: str) -> int:
    return _int(v, path, 0, MAJOR_MAX)


def _minor(v: object, path: str) -> int:
    return _int(v, path, 0, MINOR_MAX)


# ---- sections -----------------------------------------------------------------------


def _fields(obj: object, path: str, table: dict[str, Callable[[object, str], object]]) -> dict[str, object]:
    if not isinstance(obj, dict):
        raise InvalidSpec(f"expected an object, got {_kind(obj)}", path)
    out: dict[str, object] = {}
    for key, value in obj.items():
        if value is None:
            continue
        sub = f"{path}.{key}"
        fn = table.get(key)
        if fn is None:
            raise InvalidSpec(f"unknown field {key!r}", sub)
        checked = fn(value, sub)
        if checked is not _DROP:
            out[key] = checked
    return out


def _required(out: dict[str, object], path: str, *names: str) -> None:
    for name in names:
        if name not in out:
            raise InvalidSpec(f"{name} is required", f"{path}.{name}")


def _list(v: object, path: str, each: Callable[[object, str], object]) -> list[object]:
    if not isinstance(v, list):
        raise InvalidSpec(f"expected an array, got {_kind(v)}", path)
    return [each(item, f"{path}[{i}]") for i, item in enumerate(v)]


_MEMORY: dict[str, Callable[[object, str], object]] = {
    "limit": _bytes,
    "reservation": _bytes,
    "swap": _bytes,
    "kernel": _bytes,
    "kernelTCP": _bytes,
    "swappiness": _swappiness,
    "disableOOMKiller": _bool,
    "useHierarchy": _bool,
    "checkBeforeUpdate": _bool,
}


def _memory(v: object, path: str) -> dict[str, object]:
    out = _fields(v, path, _MEMORY)
    limit, swap = out.get("limit"), out.get("swap")
    if isinstance(limit, int) and isinstance(swap, int) and limit > 0 and 0 < swap < limit:
        raise InvalidSpec(
            f"swap ({swap}) is the limit of memory+swap and must not be below the memory limit ({limit})",
            f"{path}.swap",
        )
    return out


_CPU: dict[str, Callable[[object, str], object]] = {
    "shares": _shares,
    "quota": _quota,
    "burst": _burst,
    "period": _period,
    "realtimeRuntime": _rt_runtime,
    "realtimePeriod": _rt_period,
    "cpus": _cpulist_field,
    "mems": _cpulist_field,
    "idle": _idle,
}


def _cpu(v: object, path: str) -> dict[str, object]:
    out = _fields(v, path, _CPU)
    quota, burst = out.get("quota"), out.get("burst")
    if isinstance(quota, int) and isinstance(burst, int) and quota > 0 and burst > quota:
        raise InvalidSpec(f"cpu burst ({burst}) must not exceed the quota ({quota})", f"{path}.burst")
    runtime, period = out.get("realtimeRuntime"), out.get("realtimePeriod")
    if isinstance(runtime, int) and isinstance(period, int) and 0 < period < runtime:
        raise InvalidSpec(
            f"realtime runtime ({runtime}) must not exceed the realtime period ({period})",
            f"{path}.realtimeRuntime",
        )
    return out


def _pids_section(v: object, path: str) -> dict[str, object]:
    out = _fields(v, path, {"limit": _pids})
    _required(out, path, "limit")
    return out


def _weight_device(v: object, path: str) -> dict[str, object]:
    out = _fields(v, path, {"major": _major, "minor": _minor, "weight": _weight, "leafWeight": _weight})
    _required(out, path, "major", "minor")
    if "weight" not in out and "leafWeight" not in out:
        raise InvalidSpec("a weight device needs weight or leafWeight", path)
    return out


def _throttle_device(v: object, path: str) -> dict[str, object]:
    out = _fields(v, path, {"major": _major, "minor": _minor, "rate": _u64})
    _required(out, path, "major", "minor", "rate")
    return out


def _block_io(v: object, path: str) -> dict[str, object]:
    return _fields(
        v,
        path,
        {
            "weight": _weight,
            "leafWeight": _weight,
            "weightDevice": lambda x, p: _list(x, p, _weight_device),
            "throttleReadBpsDevice": lambda x, p: _list(x, p, _throttle_device),
            "throttleWriteBpsDevice": lambda x, p: _list(x, p, _throttle_device),
            "throttleReadIOPSDevice": lambda x, p: _list(x, p, _throttle_device),
            "throttleWriteIOPSDevice": lambda x, p: _list(x, p, _throttle_device),
        },
    )


_UNITS = ("KB", "MB", "GB", "TB", "PB")


def page_size_bytes(name: str) -> int:
    """``2MB`` -> 2097152 (base 1024, as the runtime-spec says); ValueError if malformed."""
    unit = name[-2:]
    digits = name[:-2]
    if unit not in _UNITS or not digits.isascii() or not digits.isdigit() or digits.startswith("0"):
        raise ValueError(f"hugepage size {name!r} is not <number><KB|MB|GB|TB|PB> (such as 2MB)")
    size = int(digits) << (10 * (_UNITS.index(unit) + 1))
    if size & (size - 1):
        raise ValueError(f"hugepage size {name!r} is not a power of two")
    return size


def _hugepage(v: object, path: str) -> dict[str, object]:
    out = _fields(v, path, {"pageSize": _str, "limit": _u64})
    _required(out, path, "pageSize", "limit")
    try:
        page_size_bytes(str(out["pageSize"]))
    except ValueError as err:
        raise InvalidSpec(str(err), f"{path}.pageSize") from None
    return out


def _hugepages(v: object, path: str) -> list[object]:
    items = _list(v, path, _hugepage)
    seen: set[object] = set()
    for i, item in enumerate(items):
        assert isinstance(item, dict)
        if item["pageSize"] in seen:
            raise InvalidSpec(f"hugepage size {item['pageSize']} is listed twice", f"{path}[{i}].pageSize")
        seen.add(item["pageSize"])
    return items


def _ifname(v: object, path: str) -> str:
    s = _str(v, path)
    if not s or len(s.encode()) >= IFNAMSIZ or s in (".", "..") or any(c in s for c in "/ \t\n:"):
        raise InvalidSpec(f"{s!r} is not a network interface name", path)
    return s


def _priority(v: object, path: str) -> dict[str, object]:
    out = _fields(v, path, {"name": _ifname, "priority": _u32})
    _required(out, path, "name", "priority")
    return out


def _network(v: object, path: str) -> dict[str, object]:
    return _fields(v, path, {"classID": _u32, "priorities": lambda x, p: _list(x, p, _priority)})


def _rdma(v: object, path: str) -> dict[str, object]:
    if not isinstance(v, dict):
        raise InvalidSpec(f"expected an object, got {_kind(v)}", path)
    out: dict[str, object] = {}
    for dev, limits in v.items():
        sub = f"{path}.{dev}"
        if not dev or any(c.isspace() for c in dev) or "/" in dev or "\0" in dev:
            raise InvalidSpec(f"{dev!r} is not an RDMA device name", sub)
        if limits is None:
            continue
        checked = _fields(limits, sub, {"hcaHandles": _u32, "hcaObjects": _u32})
        if not checked:
            raise InvalidSpec("an rdma entry needs hcaHandles or hcaObjects", sub)
        out[dev] = checked
    return out


def check_unified_key(key: str) -> str | None:
    """Why ``key`` cannot be a ``unified`` key, or None if it can."""
    if not key or "/" in key or "\0" in key or key in (".", ".."):
        return "must be a file name in the container's cgroup (no slashes)"
    controller, dot, param = key.partition(".")
    if not dot or not controller or not param:
        return "must be in the form CONTROLLER.PARAMETER"
    if controller == "cgroup" and key not in UNIFIED_CORE_ALLOWED:
        allowed = ", ".join(sorted(UNIFIED_CORE_ALLOWED))
        return f"is a core cgroup file the runtime manages (of cgroup.* only {allowed} may be set)"
    return None


def _unified(v: object, path: str) -> dict[str, object]:
    if not isinstance(v, dict):
        raise InvalidSpec(f"expected an object, got {_kind(v)}", path)
    out: dict[str, object] = {}
    for key, value in v.items():
        sub = f"{path}[{key!r}]"
        why = check_unified_key(key)
        if why:
            raise InvalidSpec(f"unified key {key!r} {why}", sub)
        out[key] = _str(value, sub)
    return out


def _device_number(v: object, path: str, hi: int) -> int:
    if _is_int(v) and v == -1:
        return -1
    return _int(v, path, 0, hi)


def _device_rule(v: object, path: str) -> dict[str, object]:
    """One device cgroup rule, every key present: type ``a`` and numbers -1 (any) when
    absent; ``access`` ``rwm`` when absent, in canonical order."""
    out = _fields(v, path, {
        "allow": _bool,
        "type": _str,
        "major": lambda x, p: _device_number(x, p, MAJOR_MAX),
        "minor": lambda x, p: _device_number(x, p, MINOR_MAX),
        "access": _str,
    })
    if "allow" not in out:
        raise InvalidSpec("a device rule needs 'allow' (true or false)", path)
    kind = out.get("type", "a")
    if kind not in ("a", "b", "c"):
        raise InvalidSpec(f"device rule type {kind!r} is not one of a (all), b (block), c (char)",
                          f"{path}.type")
    access = out.get("access", "rwm")
    assert isinstance(access, str)
    # runc takes the r, w and m in the string and ignores any other letter ("rwa" is rw)
    if not any(p in "rwm" for p in access):
        raise InvalidSpec(f"device access {access!r} has none of r, w, m (read, write, mknod)",
                          f"{path}.access")
    return {
        "allow": out["allow"],
        "type": kind,
        "major": out.get("major", -1),
        "minor": out.get("minor", -1),
        "access": "".join(p for p in "rwm" if p in access),
    }


_SECTIONS: dict[str, Callable[[object, str], object]] = {
    "devices": lambda v, p: _list(v, p, _device_rule),
    "memory": _memory,
    "cpu": _cpu,
    "pids": _pids_section,
    "blockIO": _block_io,
    "hugepageLimits": _hugepages,
    "network": _network,
    "rdma": _rdma,
    "unified": _unified,
}


def check(res: object, where: str = "$.linux.resources") -> dict[str, object]:
    """``res`` validated and normalized (nulls and unset markers dropped); InvalidSpec otherwise."""
    if res is None:
        return {}
    return _fields(res, where, _SECTIONS)
