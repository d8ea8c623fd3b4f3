"""linux.resources.cpu -> the cpu controller's files (v1 or v2), and the cpuset's.

v1: period, then burst, then quota; a period or burst refused with EINVAL is retried
after the quota (``Write.retry``), as runc does; likewise realtime period and runtime.
v2: ``shares`` -> ``cpu.weight`` (:func:`~hutch.cgroups.translate.convert.shares_to_weight`);
``quota``/``period`` -> ``cpu.max`` ``"QUOTA PERIOD"`` (``max`` for no limit; a part not
given keeps the current one, else :data:`DEFAULT_PERIOD`); realtime is v1 only.
``cpus``/``mems`` go to the cpuset controller, whichever version it is.
"""

from __future__ import annotations

from hutch.cgroups.translate.convert import shares_to_weight
from hutch.cgroups.translate.write import get_int, get_opt_int, section

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hutch.cgroups.translate.write import Out

#: cpu.max's period when none is given or known (the kernel's default).
DEFAULT_PERIOD = 100000

_CPU_KEYS = ("shares", "quota", "burst", "period", "realtimeRuntime", "realtimePeriod", "idle")
_NO_BURST = "the kernel has no CFS burst (Linux 5.14+)"
_NO_IDLE = "the kernel has no idle cgroups (Linux 5.15+)"
_NO_RT = "the kernel has no realtime group scheduling (CONFIG_RT_GROUP_SCHED)"


def translate(out: Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    c = section(res, "cpu")
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


def _cpu_v1(out: Out, c: Mapping[str, object]) -> None:
    shares, quota, period = get_int(c, "shares"), get_int(c, "quota"), get_int(c, "period")
    if shares:
        out.add(1, "cpu", "cpu.shares", "cpu.shares", str(shares))
    if period:
        out.add(1, "cpu", "cpu.period", "cpu.cfs_period_us", str(period), retry=bool(quota))
    burst = get_opt_int(c, "burst")
    if burst is not None:
        out.add(1, "cpu", "cpu.burst", "cpu.cfs_burst_us", str(burst), retry=bool(quota), hint=_NO_BURST)
    if quota:
        out.add(1, "cpu", "cpu.quota", "cpu.cfs_quota_us", str(quota))
    idle = get_opt_int(c, "idle")
    if idle is not None:
        out.add(1, "cpu", "cpu.idle", "cpu.idle", str(idle), hint=_NO_IDLE)
    rt_runtime, rt_period = get_int(c, "realtimeRuntime"), get_int(c, "realtimePeriod")
    if rt_period:
        out.add(1, "cpu", "cpu.realtimePeriod", "cpu.rt_period_us", str(rt_period), retry=bool(rt_runtime),
                hint=_NO_RT)
    if rt_runtime:
        out.add(1, "cpu", "cpu.realtimeRuntime", "cpu.rt_runtime_us", str(rt_runtime), hint=_NO_RT)


def _cpu_v2(out: Out, c: Mapping[str, object], cur: Mapping[str, str]) -> None:
    for key in ("realtimeRuntime", "realtimePeriod"):
        if get_int(c, key) > 0:
            raise out.refuse(f"cpu.{key}", "cgroup v2 has no realtime CPU limits")
    idle = get_opt_int(c, "idle")
    if idle is not None:
        out.add(2, "cpu", "cpu.idle", "cpu.idle", str(idle), hint=_NO_IDLE)
    shares = get_int(c, "shares")
    if shares:
        out.add(2, "cpu", "cpu.shares", "cpu.weight", str(shares_to_weight(shares)))
    quota, period = get_int(c, "quota"), get_int(c, "period")
    burst = get_opt_int(c, "burst")
    if burst is not None:
        out.add(2, "cpu", "cpu.burst", "cpu.max.burst", str(burst), retry=bool(quota), hint=_NO_BURST)
    if quota or period:
        old = cur.get("cpu.max", "").split()
        q = str(quota) if quota > 0 else "max" if quota == -1 else (old[0] if old else "max")
        p = str(period) if period else (old[1] if len(old) == 2 else str(DEFAULT_PERIOD))
        out.add(2, "cpu", "cpu.quota" if quota else "cpu.period", "cpu.max", f"{q} {p}")
