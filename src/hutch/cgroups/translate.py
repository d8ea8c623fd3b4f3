"""LinuxResources values -> cgroup file writes, for cgroup v1 and v2 (pure, table-driven).

:func:`translate` takes resources already checked by :func:`hutch.specconv.resources.check`
and the host's controllers with their versions (``{"memory": 1, "hugetlb": 2, ...}``),
and returns the ordered :class:`Write` list. Translation is **per controller**: on a
hybrid host a controller in the cgroup2 ``unified`` hierarchy (hugetlb here) gets v2
files while the others get v1 files.

Controllers are named as in cgroup v2 (``io``, not ``blkio``); :data:`V1_NAMES` maps
the few that differ. runc's v1 -> v2 conversions (opencontainers/cgroups utils.go,
fs2/*.go):

- cpu ``shares`` -> ``cpu.weight`` by runc's quadratic fit (2 -> 1, 1024 -> 100,
  262144 -> 10000); ``quota``/``period`` -> ``cpu.max`` ``"QUOTA PERIOD"`` (``max`` for
  no limit; a part not given keeps the current one, else 100000 us);
  ``burst`` -> ``cpu.max.burst``; ``idle`` -> ``cpu.idle``; realtime is v1 only.
- memory ``swap`` is memory+swap, v2's ``memory.swap.max`` is swap alone: swap - limit,
  ``max`` for -1 (and for an unlimited memory with swap unset); ``reservation`` ->
  ``memory.low``; ``-1`` -> ``max``.
- blockIO ``weight`` -> ``io.bfq.weight`` as is, or else ``io.weight`` converted
  (1 + (w - 10) * 9999 / 990); throttles -> ``io.max`` lines (``rbps=``, ``wbps=``,
  ``riops=``, ``wiops=``; a rate of 0, which removes a v1 rule, is ``max``).
- hugepageLimits -> ``hugetlb.<size>.limit_in_bytes`` (v1) / ``hugetlb.<size>.max``
  (v2), and the ``.rsvd`` reservation files where the kernel has them.

Ordering (the kernel checks each write against the current values):

- v1 memory: ``memory.memsw.limit_in_bytes`` must stay >= ``memory.limit_in_bytes``,
  so when both change, memsw goes first if it grows past the current limit (or is -1),
  otherwise the limit goes first (runc's setMemoryAndSwap). Kernel memory comes first
  of all, while the cgroup is still empty.
- cpu: period, then burst, then quota; a period or burst refused with EINVAL is retried
  after the quota (``Write.retry``), as runc does; likewise realtime period and runtime.
- ``unified`` keys last: they override what the typed fields wrote (crun, runc).

A setting this host cannot honour is an error, never dropped: a missing controller
here, a missing file in :meth:`hutch.cgroups.manager.Manager.set`.

Imports: ``hutch.errors`` only (on the create path).
"""

from __future__ import annotations

from hutch.errors import CgroupError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

#: Controllers whose cgroup v1 name differs from the v2 one.
V1_NAMES = {"io": "blkio"}
#: The reverse: a v1 hierarchy's controller -> the name used here.
FROM_V1 = {"blkio": "io"}
#: The pseudo-controller of core cgroup2 files (``cgroup.max.depth``); present with any cgroup2 hierarchy.
CORE = "cgroup"

#: cpu.max's period when none is given or known (the kernel's default).
DEFAULT_PERIOD = 100000


class Write:
    """One control-file write.

    ``choices`` are ``(file, value)`` alternatives: the first whose file exists is
    written (``blkio.weight`` or ``blkio.bfq.weight``...). ``optional``: skip it when
    no file exists (a setting runc implies, not one the user asked for). ``retry``:
    on EINVAL, try again after the controller's other writes. ``verify``: read it
    back and fail if the kernel kept it unlimited (kernel memory on Linux >= 6.1).
    ``hint`` says why a file may be missing.
    """

    __slots__ = ("choices", "controller", "field", "hint", "optional", "retry", "verify", "version")

    def __init__(
        self,
        version: int,
        controller: str,
        field: str,
        choices: list[tuple[str, str]],
        *,
        optional: bool = False,
        retry: bool = False,
        verify: bool = False,
        hint: str = "",
    ) -> None:
        self.version = version
        self.controller = controller
        self.field = field
        self.choices = choices
        self.optional = optional
        self.retry = retry
        self.verify = verify
        self.hint = hint

    @property
    def file(self) -> str:
        return self.choices[0][0]

    @property
    def value(self) -> str:
        return self.choices[0][1]

    def key(self) -> tuple[int, str, str, str]:
        """(version, controller, first file, its value): what tests compare."""
        return (self.version, self.controller, self.file, self.value)

    def __repr__(self) -> str:
        return f"Write(v{self.version} {self.controller} {self.choices!r} for {self.field})"


def versions_from(v1: list[str], v2: list[str]) -> dict[str, int]:
    """The ``versions`` argument of :func:`translate`: v1 controller names (``blkio``...)
    and the controllers of a cgroup2 hierarchy (its ``cgroup.controllers``)."""
    out = {FROM_V1.get(c, c): 1 for c in v1}
    for c in v2:
        out.setdefault(c, 2)
    return out


def kernel_name(controller: str, version: int) -> str:
    return V1_NAMES.get(controller, controller) if version == 1 else controller


# ---- small accessors: the resources are checked, these only narrow types -------------


def _sec(res: Mapping[str, object], name: str) -> dict[str, object]:
    v = res.get(name)
    return v if isinstance(v, dict) else {}


def _int(d: Mapping[str, object], name: str, default: int = 0) -> int:
    v = d.get(name)
    return v if isinstance(v, int) and not isinstance(v, bool) else default


def _opt_int(d: Mapping[str, object], name: str) -> int | None:
    v = d.get(name)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _items(v: object) -> list[dict[str, object]]:
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


class _Out:
    """Collects writes; knows the host's versions and names fields for errors."""

    def __init__(self, versions: Mapping[str, int], where: str) -> None:
        self.versions = versions
        self.where = where
        self.writes: list[Write] = []

    def field(self, path: str) -> str:
        return f"{self.where}.{path}" if self.where else path

    def version(self, controller: str, path: str) -> int:
        v = self.versions.get(controller)
        if v is None:
            names = kernel_name(controller, 1)
            if names != controller:
                names = f"{names} (v1) or {controller} (v2)"
            raise CgroupError(f"cgroup: {self.field(path)}: this host has no {names} cgroup controller")
        return v

    def refuse(self, path: str, why: str) -> CgroupError:
        return CgroupError(f"cgroup: {self.field(path)}: {why}")

    def add(self, version: int, controller: str, path: str, file: str, value: str, **kw: object) -> None:
        self.write(version, controller, path, [(file, value)], **kw)

    def write(
        self, version: int, controller: str, path: str, choices: list[tuple[str, str]], **kw: object
    ) -> None:
        self.writes.append(
            Write(
                version,
                kernel_name(controller, version),
                self.field(path),
                choices,
                optional=bool(kw.get("optional", False)),
                retry=bool(kw.get("retry", False)),
                verify=bool(kw.get("verify", False)),
                hint=str(kw.get("hint", "")),
            )
        )


def translate(
    res: Mapping[str, object],
    versions: Mapping[str, int],
    current: Mapping[str, str] | None = None,
    where: str = "linux.resources",
) -> list[Write]:
    """The writes that apply ``res`` (checked LinuxResources) on a host with ``versions``.

    ``current`` holds values read from the container's cgroup where the order or a
    value depends on them: ``"memory.limit_in_bytes"`` (v1) and ``"cpu.max"`` (v2).
    ``where`` prefixes field names in errors and in :attr:`Write.field`.
    ``devices`` are not translated here. Raises CgroupError for what the host lacks.
    """
    out = _Out(versions, where)
    cur = current or {}
    for section, fn in _SECTIONS:
        if section in res and res[section] is not None:
            fn(out, res, cur)
    return out.writes


# ---- memory -----------------------------------------------------------------------------

_SWAP_HINT = "swap accounting is off (kernel built without it, or booted with swapaccount=0)"


def _memory(out: _Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    m = _sec(res, "memory")
    given = [k for k in _MEMORY_KEYS if k in m]
    if not given:
        return  # only checkBeforeUpdate: a behaviour flag, no write
    v = out.version("memory", f"memory.{given[0]}")
    if v == 1:
        _memory_v1(out, m, cur)
    else:
        _memory_v2(out, m)


_MEMORY_KEYS = (
    "limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness", "disableOOMKiller", "useHierarchy"
)


def _memory_v1(out: _Out, m: Mapping[str, object], cur: Mapping[str, str]) -> None:
    kmem = (("kernel", "memory.kmem.limit_in_bytes"), ("kernelTCP", "memory.kmem.tcp.limit_in_bytes"))
    for key, file in kmem:
        n = _int(m, key)
        if n:
            out.add(1, "memory", f"memory.{key}", file, str(n), verify=n > 0,
                    hint="the kernel has no kernel memory accounting")
    limit, swap = _int(m, "limit"), _int(m, "swap")
    implied = False
    if limit == -1 and swap == 0:
        swap, implied = -1, True  # runc: unlimited memory means unlimited memory+swap too
    if limit == -1 and swap > 0:
        raise out.refuse("memory.swap", "cgroup v1 cannot limit memory+swap while memory is unlimited")
    mem = ("memory.limit", "memory.limit_in_bytes", str(limit)) if limit else None
    memsw = ("memory.swap", "memory.memsw.limit_in_bytes", str(swap)) if swap else None
    order = [mem, memsw]
    if mem and memsw:
        try:
            current_limit = int(cur.get("memory.limit_in_bytes", ""))
        except ValueError:
            current_limit = None  # unknown: a new cgroup, whose limit is unlimited
        if swap == -1 or (current_limit is not None and current_limit < swap):
            order = [memsw, mem]
    for item in order:
        if item is not None:
            path, file, value = item
            is_swap = file.startswith("memory.memsw")
            out.add(1, "memory", path, file, value, optional=is_swap and implied,
                    hint=_SWAP_HINT if is_swap else "")
    reservation = _int(m, "reservation")
    if reservation:
        out.add(1, "memory", "memory.reservation", "memory.soft_limit_in_bytes", str(reservation))
    swappiness = _opt_int(m, "swappiness")
    if swappiness is not None:
        out.add(1, "memory", "memory.swappiness", "memory.swappiness", str(swappiness))
    for key, file in (("disableOOMKiller", "memory.oom_control"), ("useHierarchy", "memory.use_hierarchy")):
        flag = m.get(key)
        if isinstance(flag, bool):
            out.add(1, "memory", f"memory.{key}", file, "1" if flag else "0")


def _v2_amount(n: int) -> str:
    return "max" if n == -1 else str(n)


def swap_v2(swap: int, limit: int) -> int:
    """memory+swap (v1 semantics) -> ``memory.swap.max`` (swap alone); -1 is max, 0 unset.

    ValueError where there is no answer (runc's ConvertMemorySwapToCgroupV2Value).
    """
    if limit == -1 and swap == 0:
        return -1
    if swap in (-1, 0) or limit == -1:
        return swap
    if limit == 0:
        raise ValueError("cgroup v2 cannot limit swap without a memory limit (swap is memory+swap)")
    if swap < limit:
        raise ValueError(f"memory+swap ({swap}) must not be below the memory limit ({limit})")
    return swap - limit


def _memory_v2(out: _Out, m: Mapping[str, object]) -> None:
    for key in ("kernel", "kernelTCP"):
        if _int(m, key) > 0:
            raise out.refuse(f"memory.{key}", "cgroup v2 has no kernel memory limits (memory.max counts it)")
    if _opt_int(m, "swappiness") is not None:
        raise out.refuse("memory.swappiness", "cgroup v2 has no per-cgroup swappiness")
    if m.get("disableOOMKiller") is True:
        raise out.refuse("memory.disableOOMKiller", "cgroup v2 cannot disable the OOM killer")
    if m.get("useHierarchy") is False:
        raise out.refuse("memory.useHierarchy", "cgroup v2 accounting is always hierarchical")
    limit, swap, reservation = _int(m, "limit"), _int(m, "swap"), _int(m, "reservation")
    try:
        swap_max = swap_v2(swap, limit)
    except ValueError as err:
        raise out.refuse("memory.swap", str(err)) from None
    if swap_max or (swap > 0 and swap == limit):  # swap == limit: no swap at all ("0")
        # Without swap accounting there is no memory.swap.max: "max" then holds anyway.
        out.add(2, "memory", "memory.swap", "memory.swap.max", _v2_amount(swap_max),
                optional=swap_max == -1, hint=_SWAP_HINT)
    if limit:
        out.add(2, "memory", "memory.limit", "memory.max", _v2_amount(limit))
    if reservation:
        out.add(2, "memory", "memory.reservation", "memory.low", _v2_amount(reservation))


# ---- cpu and cpuset ---------------------------------------------------------------------


def shares_to_weight(shares: int) -> int:
    """cgroup v1 cpu.shares -> v2 cpu.weight (runc's ConvertCPUSharesToCgroupV2Value):
    a quadratic in log2 that maps the minimum, default and maximum exactly."""
    import math

    if shares == 0:
        return 0
    if shares <= 2:
        return 1
    if shares >= 262144:
        return 10000
    lg = math.log2(shares)
    exponent = (lg * lg + 125 * lg) / 612.0 - 7.0 / 34.0
    return math.ceil(math.pow(10, exponent))


_CPU_KEYS = ("shares", "quota", "burst", "period", "realtimeRuntime", "realtimePeriod", "idle")
_NO_BURST = "the kernel has no CFS burst (Linux 5.14+)"
_NO_IDLE = "the kernel has no idle cgroups (Linux 5.15+)"
_NO_RT = "the kernel has no realtime group scheduling (CONFIG_RT_GROUP_SCHED)"


def _cpu(out: _Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    c = _sec(res, "cpu")
    given = [k for k in _CPU_KEYS if k in c]
    if given:
        if out.version("cpu", f"cpu.{given[0]}") == 1:
            _cpu_v1(out, c)
        else:
            _cpu_v2(out, c, cur)
    for key in ("cpus", "mems"):
        value = c.get(key)
        if isinstance(value, str) and value:
            out.add(out.version("cpuset", f"cpu.{key}"), "cpuset", f"cpu.{key}", f"cpuset.{key}", value)


def _cpu_v1(out: _Out, c: Mapping[str, object]) -> None:
    shares, quota, period = _int(c, "shares"), _int(c, "quota"), _int(c, "period")
    if shares:
        out.add(1, "cpu", "cpu.shares", "cpu.shares", str(shares))
    if period:
        out.add(1, "cpu", "cpu.period", "cpu.cfs_period_us", str(period), retry=bool(quota))
    burst = _opt_int(c, "burst")
    if burst is not None:
        out.add(1, "cpu", "cpu.burst", "cpu.cfs_burst_us", str(burst), retry=bool(quota), hint=_NO_BURST)
    if quota:
        out.add(1, "cpu", "cpu.quota", "cpu.cfs_quota_us", str(quota))
    idle = _opt_int(c, "idle")
    if idle is not None:
        out.add(1, "cpu", "cpu.idle", "cpu.idle", str(idle), hint=_NO_IDLE)
    rt_runtime, rt_period = _int(c, "realtimeRuntime"), _int(c, "realtimePeriod")
    if rt_period:
        out.add(1, "cpu", "cpu.realtimePeriod", "cpu.rt_period_us", str(rt_period), retry=bool(rt_runtime),
                hint=_NO_RT)
    if rt_runtime:
        out.add(1, "cpu", "cpu.realtimeRuntime", "cpu.rt_runtime_us", str(rt_runtime), hint=_NO_RT)


def _cpu_v2(out: _Out, c: Mapping[str, object], cur: Mapping[str, str]) -> None:
    for key in ("realtimeRuntime", "realtimePeriod"):
        if _int(c, key) > 0:
            raise out.refuse(f"cpu.{key}", "cgroup v2 has no realtime CPU limits")
    idle = _opt_int(c, "idle")
    if idle is not None:
        out.add(2, "cpu", "cpu.idle", "cpu.idle", str(idle), hint=_NO_IDLE)
    shares = _int(c, "shares")
    if shares:
        out.add(2, "cpu", "cpu.shares", "cpu.weight", str(shares_to_weight(shares)))
    quota, period = _int(c, "quota"), _int(c, "period")
    burst = _opt_int(c, "burst")
    if burst is not None:
        out.add(2, "cpu", "cpu.burst", "cpu.max.burst", str(burst), retry=bool(quota), hint=_NO_BURST)
    if quota or period:
        old = cur.get("cpu.max", "").split()
        q = str(quota) if quota > 0 else "max" if quota == -1 else (old[0] if old else "max")
        p = str(period) if period else (old[1] if len(old) == 2 else str(DEFAULT_PERIOD))
        out.add(2, "cpu", "cpu.quota" if quota else "cpu.period", "cpu.max", f"{q} {p}")


# ---- pids -------------------------------------------------------------------------------


def _pids(out: _Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    limit = _opt_int(_sec(res, "pids"), "limit")
    if limit is None:
        return
    # -1: no limit; 0 is written as 1, as runc does (systemd cannot express 0 either).
    value = "max" if limit < 0 else str(max(limit, 1))
    out.add(out.version("pids", "pids.limit"), "pids", "pids.limit", "pids.max", value)


# ---- block io -----------------------------------------------------------------------------


def weight_to_io(weight: int) -> int:
    """blkio weight (10..1000) -> io.weight (1..10000), runc's ConvertBlkIOToIOWeightValue."""
    return 0 if weight == 0 else 1 + (weight - 10) * 9999 // 990


_THROTTLES = (
    ("throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"),
    ("throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"),
    ("throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"),
    ("throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"),
)
_NO_WEIGHT = "no proportional weight files (the BFQ I/O scheduler is not available)"
_NO_LEAF = "leaf weights need the CFQ I/O scheduler, removed in Linux 5.0"


def _block_io(out: _Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    b = _sec(res, "blockIO")
    given = [k for k in ("weight", "leafWeight", "weightDevice", *(t[0] for t in _THROTTLES)) if b.get(k)]
    if not given:
        return
    v = out.version("io", f"blockIO.{given[0]}")
    weight, leaf = _int(b, "weight"), _int(b, "leafWeight")
    if v == 2 and leaf:
        raise out.refuse("blockIO.leafWeight", "cgroup v2 has no leaf weights")
    if weight:
        if v == 1:
            choices = [("blkio.weight", str(weight)), ("blkio.bfq.weight", str(weight))]
        else:
            choices = [("io.bfq.weight", str(weight)), ("io.weight", str(weight_to_io(weight)))]
        out.write(v, "io", "blockIO.weight", choices, hint=_NO_WEIGHT)
    if leaf:
        out.add(1, "io", "blockIO.leafWeight", "blkio.leaf_weight", str(leaf), hint=_NO_LEAF)
    for i, wd in enumerate(_items(b.get("weightDevice"))):
        dev = f"{_int(wd, 'major')}:{_int(wd, 'minor')}"
        path = f"blockIO.weightDevice[{i}]"
        w, lw = _int(wd, "weight"), _int(wd, "leafWeight")
        if v == 2 and lw:
            raise out.refuse(f"{path}.leafWeight", "cgroup v2 has no leaf weights")
        if w:
            if v == 1:
                choices = [("blkio.weight_device", f"{dev} {w}"), ("blkio.bfq.weight_device", f"{dev} {w}")]
            else:
                choices = [("io.bfq.weight", f"{dev} {w}"), ("io.weight", f"{dev} {weight_to_io(w)}")]
            out.write(v, "io", f"{path}.weight", choices, hint=_NO_WEIGHT)
        if lw:
            out.add(1, "io", f"{path}.leafWeight", "blkio.leaf_weight_device", f"{dev} {lw}", hint=_NO_LEAF)
    for key, v1_file, v2_key in _THROTTLES:
        for i, td in enumerate(_items(b.get(key))):
            dev = f"{_int(td, 'major')}:{_int(td, 'minor')}"
            rate = _int(td, "rate")
            if v == 1:
                out.add(1, "io", f"blockIO.{key}[{i}]", v1_file, f"{dev} {rate}")
            else:
                out.add(2, "io", f"blockIO.{key}[{i}]", "io.max", f"{dev} {v2_key}={rate or 'max'}")


# ---- hugetlb, network, rdma, unified --------------------------------------------------------


def _hugetlb(out: _Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    items = _items(res.get("hugepageLimits"))
    if not items:
        return
    v = out.version("hugetlb", "hugepageLimits")
    suffix = ".limit_in_bytes" if v == 1 else ".max"
    for i, h in enumerate(items):
        size, limit = str(h.get("pageSize")), str(_int(h, "limit"))
        path = f"hugepageLimits[{i}]"
        out.add(v, "hugetlb", path, f"hugetlb.{size}{suffix}", limit, hint=f"no {size} huge pages here")
        # the reservation limit, where the kernel has it (5.7+), as runc writes it
        out.add(v, "hugetlb", path, f"hugetlb.{size}.rsvd{suffix}", limit, optional=True)


def _network(out: _Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    n = _sec(res, "network")
    class_id = _opt_int(n, "classID")
    if class_id is not None:
        v = out.version("net_cls", "network.classID")
        if v == 2:
            raise out.refuse("network.classID", "cgroup v2 has no net_cls controller")
        out.add(1, "net_cls", "network.classID", "net_cls.classid", str(class_id))
    for i, p in enumerate(_items(n.get("priorities"))):
        path = f"network.priorities[{i}]"
        if out.version("net_prio", path) == 2:
            raise out.refuse(path, "cgroup v2 has no net_prio controller")
        out.add(1, "net_prio", path, "net_prio.ifpriomap", f"{p.get('name')} {_int(p, 'priority')}")


def _rdma(out: _Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    for dev, limits in _sec(res, "rdma").items():
        if not isinstance(limits, dict):
            continue
        path = f"rdma.{dev}"
        value = dev
        for key, name in (("hcaHandles", "hca_handle"), ("hcaObjects", "hca_object")):
            n = _opt_int(limits, key)
            if n is not None:
                value += f" {name}={n}"
        out.add(out.version("rdma", path), "rdma", path, "rdma.max", value)


def _unified(out: _Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    for key, value in _sec(res, "unified").items():
        path = f"unified[{key!r}]"
        controller = key.partition(".")[0]
        v = out.versions.get(controller)
        if v is None:
            what = "cgroup v2 hierarchy" if controller == CORE else f"{controller} cgroup controller"
            raise out.refuse(path, f"this host has no {what}")
        if v != 2:
            # runc's words (its tests look for them); runc refuses unified on any host not v2-only
            raise out.refuse(path, f"invalid configuration: cannot use unified on cgroup v1 "
                                   f"(the {controller} controller is on cgroup v1 here)")
        # one write per line, as runc (WriteFileByLine) and crun do
        for line in str(value).split("\n"):
            if line.strip():
                out.add(2, controller, path, key, line)


_SECTIONS = (
    ("memory", _memory),
    ("pids", _pids),
    ("cpu", _cpu),
    ("blockIO", _block_io),
    ("hugepageLimits", _hugetlb),
    ("network", _network),
    ("rdma", _rdma),
    ("unified", _unified),
)
