"""A container's resource usage read from its cgroups, in runc's `events` JSON shape.

:func:`collect` returns the ``data`` object of ``runc events --stats`` (runc 1.1's
``types.Stats``), keys and omissions as runc's Go encoder writes them: a zero number or
an empty list marked ``omitempty`` there is left out, nested objects are always present,
map keys are sorted. Units are runc's: nanoseconds for cpu, bytes for memory.

Which files, by host layout (the container's manager gives ``mode`` and ``paths``):

- v1 (legacy and hybrid): ``cpuacct.*`` (usage, per cpu, user/system), ``cpu.stat``
  (throttling), ``cpuset.*``, ``memory.*`` (usage, ``memsw`` as swap, ``kmem`` and
  ``kmem.tcp`` as kernel), ``memory.stat`` as ``raw``, ``pids.*``, ``blkio.*`` (the first
  family the kernel fills, in runc's order: bfq debug, bfq, cfq, throttle), hugetlb.
- v2: ``cpu.stat``, ``cpuset.{cpus,mems}.effective``, ``memory.{current,max,peak}``,
  ``memory.swap.*`` (reported as memory + swap, as v1 counts it), ``memory.stat``,
  ``pids.*``, ``io.stat``, ``hugetlb.<size>.{current,events}``. ``failcnt`` of memory
  usage is ``memory.events``' ``max`` count (runc leaves it 0 on v2).
- hybrid hosts: hugetlb from the cgroup2 ``unified`` directory when the v1 hierarchies
  lack it (runc ignores it there).

A controller the host lacks contributes nothing (its part keeps runc's zero shape).
OOM kills: :mod:`hutch.cgroups.oom`.

Imports: ``os`` and hutch modules only.
"""

from __future__ import annotations

import errno
import os

from hutch.cgroups.limits import HUGEPAGES_DIR, hugepage_sizes
from hutch.cgroups.mode import UNIFIED, V2
from hutch.errors import CgroupError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

#: What "max" (no limit) reads as, as runc reports it.
UINT64_MAX = (1 << 64) - 1

_NS_PER_SEC = 1_000_000_000

# v1 blkio: families of files in runc's order of preference; the first family whose first
# file has entries is reported (bfq debug stats, bfq, cfq, throttle recursive, throttle).
_BLKIO_FAMILIES: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        ("blkio.bfq.sectors_recursive", "sectorsRecursive"),
        ("blkio.bfq.io_service_time_recursive", "ioServiceTimeRecursive"),
        ("blkio.bfq.io_wait_time_recursive", "ioWaitTimeRecursive"),
        ("blkio.bfq.io_merged_recursive", "ioMergedRecursive"),
        ("blkio.bfq.io_queued_recursive", "ioQueueRecursive"),
        ("blkio.bfq.time_recursive", "ioTimeRecursive"),
        ("blkio.bfq.io_serviced_recursive", "ioServicedRecursive"),
        ("blkio.bfq.io_service_bytes_recursive", "ioServiceBytesRecursive"),
    ),
    (
        ("blkio.bfq.io_serviced_recursive", "ioServicedRecursive"),
        ("blkio.bfq.io_service_bytes_recursive", "ioServiceBytesRecursive"),
    ),
    (
        ("blkio.sectors_recursive", "sectorsRecursive"),
        ("blkio.io_service_time_recursive", "ioServiceTimeRecursive"),
        ("blkio.io_wait_time_recursive", "ioWaitTimeRecursive"),
        ("blkio.io_merged_recursive", "ioMergedRecursive"),
        ("blkio.io_queued_recursive", "ioQueueRecursive"),
        ("blkio.time_recursive", "ioTimeRecursive"),
        ("blkio.io_serviced_recursive", "ioServicedRecursive"),
        ("blkio.io_service_bytes_recursive", "ioServiceBytesRecursive"),
    ),
    (
        ("blkio.throttle.io_serviced_recursive", "ioServicedRecursive"),
        ("blkio.throttle.io_service_bytes_recursive", "ioServiceBytesRecursive"),
    ),
    (
        ("blkio.throttle.io_serviced", "ioServicedRecursive"),
        ("blkio.throttle.io_service_bytes", "ioServiceBytesRecursive"),
    ),
)
# The order runc's Blkio struct lists its fields in.
_BLKIO_KEYS = (
    "ioServiceBytesRecursive", "ioServicedRecursive", "ioQueueRecursive", "ioServiceTimeRecursive",
    "ioWaitTimeRecursive", "ioMergedRecursive", "ioTimeRecursive", "sectorsRecursive",
)
# v1 cpuset flags in the order of runc's CPUSet struct ("cpus" and "mems" are lists).
_CPUSET_FLAGS = (
    "cpu_exclusive", "mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page",
    "memory_spread_slab", "memory_pressure", "sched_load_balance",
)

Stats = dict[str, object]


# ---- reading and parsing ------------------------------------------------------------


def read(dirpath: str, name: str) -> str | None:
    """The content of ``dirpath/name``, or None if the file does not exist."""
    path = os.path.join(dirpath, name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ENODEV, errno.ENOTDIR):
            return None
        raise CgroupError(f"cgroup: cannot read {path}: {err.strerror}") from err
    try:
        chunks: list[bytes] = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError as err:
        if err.errno == errno.ENODEV:  # the cgroup went away while reading
            return None
        raise CgroupError(f"cgroup: cannot read {path}: {err.strerror}") from err
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "surrogateescape")


def parse_uint(text: str, where: str = "value") -> int:
    """A cgroup number as runc reads it: "max" is 2**64-1, a negative number is 0."""
    text = text.strip()
    if text == "max":
        return UINT64_MAX
    try:
        value = int(text, 10)
    except ValueError:
        raise CgroupError(f"cgroup: cannot parse {where}: {text!r} is not a number") from None
    return max(0, min(value, UINT64_MAX))


def parse_int(text: str, where: str = "value") -> int:
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise CgroupError(f"cgroup: cannot parse {where}: {text.strip()!r} is not a number") from None


def parse_keyed(text: str, where: str = "file") -> dict[str, int]:
    """``key value`` lines (memory.stat, cpu.stat, memory.events...) as a dict."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise CgroupError(f"cgroup: cannot parse {where}: line {line!r} is not 'key value'")
        out[parts[0]] = parse_uint(parts[1], where)
    return out


def parse_cpu_list(text: str, where: str = "cpu list") -> list[int]:
    """``0-3,8,10-11`` as [0, 1, 2, 3, 8, 10, 11]."""
    out: list[int] = []
    for part in text.strip().split(","):
        if not part:
            continue
        lo, dash, hi = part.partition("-")
        try:
            first, last = int(lo), int(hi if dash else lo)
        except ValueError:
            raise CgroupError(f"cgroup: cannot parse {where}: {text.strip()!r}") from None
        if first < 0 or last < first:
            raise CgroupError(f"cgroup: cannot parse {where}: {text.strip()!r}")
        out.extend(range(first, last + 1))
    return out


def _value(dirpath: str, name: str) -> int | None:
    text = read(dirpath, name)
    return None if text is None else parse_uint(text, os.path.join(dirpath, name))


def _keyed(dirpath: str, name: str) -> dict[str, int] | None:
    text = read(dirpath, name)
    return None if text is None else parse_keyed(text, os.path.join(dirpath, name))


def _omit_zero(obj: dict[str, object], *keys: str) -> dict[str, object]:
    """Go's ``omitempty``: drop the named keys whose value is 0, [] or {}."""
    return {k: v for k, v in obj.items() if k not in keys or v not in (0, [], {}, "")}


# ---- the stats document --------------------------------------------------------------


def collect(mode: str, paths: Mapping[str, str], hugepages_dir: str = HUGEPAGES_DIR) -> Stats:
    """runc's ``types.Stats`` for the cgroup whose directories are ``paths`` (by hierarchy)."""
    sizes = hugepage_sizes(hugepages_dir)
    if mode == V2:
        d = paths[UNIFIED]
        cpu_usage, throttling = _cpu_v2(d)
        return _document(cpu_usage, throttling, _cpuset_v2(d), _memory_v2(d), _pids(d),
                         _io_v2(d), _hugetlb(d, sizes, v2=True))

    def v1(controller: str) -> str | None:
        for key, path in paths.items():
            if key != UNIFIED and controller in key.split(","):
                return path
        return None

    cpuacct, cpu, cpuset, memory = v1("cpuacct"), v1("cpu"), v1("cpuset"), v1("memory")
    pids, blkio, hugetlb = v1("pids"), v1("blkio"), v1("hugetlb")
    if hugetlb is not None:
        huge = _hugetlb(hugetlb, sizes, v2=False)
    elif UNIFIED in paths:
        huge = _hugetlb(paths[UNIFIED], sizes, v2=True)
    else:
        huge = {}
    return _document(
        _cpuacct_v1(cpuacct),
        _throttling(_keyed(cpu, "cpu.stat") if cpu else None, "throttled_time", 1),
        _cpuset_v1(cpuset),
        _memory_v1(memory),
        _pids(pids),
        _blkio_v1(blkio),
        huge,
    )


def _document(cpu_usage: dict[str, object], throttling: dict[str, object], cpuset: dict[str, object],
              memory: dict[str, object], pids: dict[str, object], blkio: dict[str, object],
              hugetlb: dict[str, object]) -> Stats:
    return {
        "cpu": {"usage": cpu_usage, "throttling": throttling},
        "cpuset": cpuset,
        "memory": memory,
        "pids": pids,
        "blkio": blkio,
        "hugetlb": hugetlb,
        "intel_rdt": {},
        "network_interfaces": None,
    }


def _usage(total: int, percpu: list[int], kernel_pc: list[int], user_pc: list[int],
           kernel: int, user: int) -> dict[str, object]:
    return _omit_zero(
        {"total": total, "percpu": percpu, "percpu_kernel": kernel_pc, "percpu_user": user_pc,
         "kernel": kernel, "user": user},
        "total", "percpu", "percpu_kernel", "percpu_user",
    )


def _throttling(stat: dict[str, int] | None, time_key: str, scale: int) -> dict[str, object]:
    stat = stat or {}
    return _omit_zero(
        {"periods": stat.get("nr_periods", 0), "throttledPeriods": stat.get("nr_throttled", 0),
         "throttledTime": stat.get(time_key, 0) * scale},
        "periods", "throttledPeriods", "throttledTime",
    )


def _memory_entry(limit: int = 0, usage: int = 0, peak: int = 0, failcnt: int = 0) -> dict[str, object]:
    return _omit_zero({"limit": limit, "usage": usage, "max": peak, "failcnt": failcnt}, "usage", "max")


def _memory_doc(cache: int, usage: dict[str, object], swap: dict[str, object], kernel: dict[str, object],
                kernel_tcp: dict[str, object], raw: dict[str, int]) -> dict[str, object]:
    return _omit_zero(
        {"cache": cache, "usage": usage, "swap": swap, "kernel": kernel, "kernelTCP": kernel_tcp,
         "raw": dict(sorted(raw.items()))},
        "cache", "raw",
    )


def _pids(d: str | None) -> dict[str, object]:
    if d is None:
        return {}
    current = _value(d, "pids.current")
    if current is None:  # v2 without the pids controller: count the processes
        procs = read(d, "cgroup.procs")
        return _omit_zero({"current": len((procs or "").split())}, "current")
    limit = _value(d, "pids.max") or 0
    return _omit_zero({"current": current, "limit": 0 if limit == UINT64_MAX else limit},
                      "current", "limit")


# ---- v1 -------------------------------------------------------------------------------


def _cpuacct_v1(d: str | None) -> dict[str, object]:
    if d is None:
        return _usage(0, [], [], [], 0, 0)
    user = kernel = 0
    ticks = _keyed(d, "cpuacct.stat")
    if ticks is not None:
        if "user" not in ticks or "system" not in ticks:
            raise CgroupError(f"cgroup: cannot parse {d}/cpuacct.stat: no user and system lines")
        hz = os.sysconf("SC_CLK_TCK")
        user = ticks["user"] * _NS_PER_SEC // hz
        kernel = ticks["system"] * _NS_PER_SEC // hz
    total = _value(d, "cpuacct.usage") or 0
    where = os.path.join(d, "cpuacct.usage_percpu")
    percpu = [parse_uint(v, where) for v in (read(d, "cpuacct.usage_percpu") or "").split()]
    kernel_pc: list[int] = []
    user_pc: list[int] = []
    where = os.path.join(d, "cpuacct.usage_all")
    for line in (read(d, "cpuacct.usage_all") or "").splitlines()[1:]:  # after "cpu user system"
        fields = line.split()
        if len(fields) == 3:
            user_pc.append(parse_uint(fields[1], where))
            kernel_pc.append(parse_uint(fields[2], where))
    return _usage(total, percpu, kernel_pc, user_pc, kernel, user)


def _cpuset_doc(cpus: list[int], mems: list[int], flags: dict[str, int], level: int) -> dict[str, object]:
    doc: dict[str, object] = {"cpus": cpus, "cpu_exclusive": flags.get("cpu_exclusive", 0), "mems": mems}
    for key in _CPUSET_FLAGS[1:]:
        doc[key] = flags.get(key, 0)
    doc["sched_relax_domain_level"] = level
    return _omit_zero(doc, "cpus", "mems")


def _cpu_list(d: str, name: str) -> list[int]:
    text = read(d, name)
    return [] if text is None else parse_cpu_list(text, os.path.join(d, name))


def _cpuset_v1(d: str | None) -> dict[str, object]:
    if d is None:
        return _cpuset_doc([], [], {}, 0)
    flags = {key: _value(d, f"cpuset.{key}") or 0 for key in _CPUSET_FLAGS}
    level = read(d, "cpuset.sched_relax_domain_level")
    where = os.path.join(d, "cpuset.sched_relax_domain_level")
    return _cpuset_doc(_cpu_list(d, "cpuset.cpus"), _cpu_list(d, "cpuset.mems"), flags,
                       0 if level is None else parse_int(level, where))


def _memory_data_v1(d: str, prefix: str) -> dict[str, object]:
    usage = _value(d, f"{prefix}.usage_in_bytes")
    if usage is None:
        return _memory_entry()
    return _memory_entry(
        limit=_value(d, f"{prefix}.limit_in_bytes") or 0,
        usage=usage,
        peak=_value(d, f"{prefix}.max_usage_in_bytes") or 0,
        failcnt=_value(d, f"{prefix}.failcnt") or 0,
    )


def _memory_v1(d: str | None) -> dict[str, object]:
    if d is None:
        empty = _memory_entry()
        return _memory_doc(0, empty, empty, empty, empty, {})
    raw = _keyed(d, "memory.stat") or {}
    return _memory_doc(
        raw.get("cache", 0),
        _memory_data_v1(d, "memory"),
        _memory_data_v1(d, "memory.memsw"),
        _memory_data_v1(d, "memory.kmem"),
        _memory_data_v1(d, "memory.kmem.tcp"),
        raw,
    )


def parse_blkio(text: str, where: str = "blkio file") -> list[dict[str, object]]:
    """v1 blkio lines ``MAJ:MIN [Op] value`` (a ``Total N`` line is skipped)."""
    entries: list[dict[str, object]] = []
    for line in text.splitlines():
        fields = line.replace(":", " ").split()
        if not fields:
            continue
        if len(fields) == 2 and fields[0] == "Total":
            continue
        if len(fields) not in (3, 4):
            raise CgroupError(f"cgroup: cannot parse {where}: line {line!r}")
        op = fields[2] if len(fields) == 4 else ""
        entries.append(_blkio_entry(fields[0], fields[1], op, fields[-1], where))
    return entries


def _blkio_entry(major: str, minor: str, op: str, value: str, where: str) -> dict[str, object]:
    entry: dict[str, object] = {"major": parse_uint(major, where), "minor": parse_uint(minor, where),
                                "op": op, "value": parse_uint(value, where)}
    return _omit_zero(entry, "major", "minor", "op", "value")


def _blkio_v1(d: str | None) -> dict[str, object]:
    if d is None:
        return {}
    found: dict[str, list[dict[str, object]]] = {}
    for family in _BLKIO_FAMILIES:
        first, _key = family[0]
        text = read(d, first)
        if not text or not parse_blkio(text, os.path.join(d, first)):
            continue
        for name, key in family:
            entries = parse_blkio(read(d, name) or "", os.path.join(d, name))
            if not entries:
                break
            found[key] = entries
        break
    return {k: found[k] for k in _BLKIO_KEYS if k in found}


def _hugetlb(d: str, sizes: list[str], v2: bool) -> dict[str, object]:
    """Per huge page size: v1 ``usage_in_bytes``/``max_usage_in_bytes``/``failcnt``, v2
    ``current`` and the ``max`` count of ``events`` (v2 keeps no peak)."""
    out: dict[str, object] = {}
    for size in sizes:
        usage = _value(d, f"hugetlb.{size}.{'current' if v2 else 'usage_in_bytes'}")
        if usage is None:
            continue
        if v2:
            peak, failcnt = 0, (_keyed(d, f"hugetlb.{size}.events") or {}).get("max", 0)
        else:
            peak = _value(d, f"hugetlb.{size}.max_usage_in_bytes") or 0
            failcnt = _value(d, f"hugetlb.{size}.failcnt") or 0
        out[size] = _omit_zero({"usage": usage, "max": peak, "failcnt": failcnt}, "usage", "max")
    return dict(sorted(out.items()))


# ---- v2 -------------------------------------------------------------------------------


def _cpu_v2(d: str) -> tuple[dict[str, object], dict[str, object]]:
    stat = _keyed(d, "cpu.stat") or {}
    usage = _usage(stat.get("usage_usec", 0) * 1000, [], [], [],
                   stat.get("system_usec", 0) * 1000, stat.get("user_usec", 0) * 1000)
    return usage, _throttling(stat, "throttled_usec", 1000)


def _cpuset_v2(d: str) -> dict[str, object]:
    return _cpuset_doc(_cpu_list(d, "cpuset.cpus.effective"), _cpu_list(d, "cpuset.mems.effective"), {}, 0)


def _memory_v2(d: str) -> dict[str, object]:
    raw = _keyed(d, "memory.stat")
    current = _value(d, "memory.current")
    if raw is None or current is None:
        empty = _memory_entry()
        return _memory_doc(0, empty, empty, empty, empty, {})
    limit = _value(d, "memory.max") or 0
    events = _keyed(d, "memory.events") or {}
    usage = _memory_entry(limit, current, _value(d, "memory.peak") or 0, events.get("max", 0))
    swap_current = _value(d, "memory.swap.current")
    if swap_current is None:
        swap = _memory_entry()
    else:
        # v1's memsw counts memory + swap; report v2's swap the same way (as runc).
        swap_limit = _value(d, "memory.swap.max") or 0
        if swap_limit != UINT64_MAX:
            swap_limit = min(swap_limit + limit, UINT64_MAX)
        swap_events = _keyed(d, "memory.swap.events") or {}
        swap = _memory_entry(swap_limit, swap_current + current, 0, swap_events.get("max", 0))
    return _memory_doc(raw.get("file", 0), usage, swap, _memory_entry(), _memory_entry(), raw)


def _io_v2(d: str) -> dict[str, object]:
    text = read(d, "io.stat")
    if not text:
        return {}
    where = os.path.join(d, "io.stat")
    served_bytes: list[dict[str, object]] = []
    served: list[dict[str, object]] = []
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        major, colon, minor = fields[0].partition(":")
        if not colon:
            continue
        for item in fields[1:]:
            name, eq, value = item.partition("=")
            if not eq or name not in ("rbytes", "wbytes", "rios", "wios"):
                continue  # discards, dbytes... have no place in runc's shape
            target = served_bytes if name.endswith("bytes") else served
            op = "Read" if name[0] == "r" else "Write"
            target.append(_blkio_entry(major, minor, op, value, where))
    out: dict[str, object] = {}
    if served_bytes:
        out["ioServiceBytesRecursive"] = served_bytes
    if served:
        out["ioServicedRecursive"] = served
    return out
