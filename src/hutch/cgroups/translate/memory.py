"""linux.resources.memory -> the memory controller's files (v1 or v2).

v1 ordering: ``memory.memsw.limit_in_bytes`` must stay >= ``memory.limit_in_bytes``,
so when both change, memsw goes first if it grows past the current limit (or is -1),
otherwise the limit goes first (runc's setMemoryAndSwap). Kernel memory comes first
of all, while the cgroup is still empty. v2: ``swap`` (memory+swap) becomes
``memory.swap.max`` (swap alone, :func:`~hutch.cgroups.translate.convert.swap_v2`).
"""

from __future__ import annotations

from hutch.cgroups.translate.convert import swap_v2
from hutch.cgroups.translate.write import get_int, get_opt_int, section

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hutch.cgroups.translate.write import Out

_SWAP_HINT = "swap accounting is off (kernel built without it, or booted with swapaccount=0)"

_MEMORY_KEYS = (
    "limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness", "disableOOMKiller", "useHierarchy"
)


def translate(out: Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    m = section(res, "memory")
    given = [k for k in _MEMORY_KEYS if k in m]
    if not given:
        return  # only checkBeforeUpdate: a behaviour flag, no write
    v = out.version("memory", f"memory.{given[0]}")
    if v == 1:
        _memory_v1(out, m, cur)
    else:
        _memory_v2(out, m)


def _memory_v1(out: Out, m: Mapping[str, object], cur: Mapping[str, str]) -> None:
    kmem = (("kernel", "memory.kmem.limit_in_bytes"), ("kernelTCP", "memory.kmem.tcp.limit_in_bytes"))
    for key, file in kmem:
        n = get_int(m, key)
        if n:
            out.add(1, "memory", f"memory.{key}", file, str(n), verify=n > 0,
                    hint="the kernel has no kernel memory accounting")
    limit, swap = get_int(m, "limit"), get_int(m, "swap")
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
    reservation = get_int(m, "reservation")
    if reservation:
        out.add(1, "memory", "memory.reservation", "memory.soft_limit_in_bytes", str(reservation))
    swappiness = get_opt_int(m, "swappiness")
    if swappiness is not None:
        out.add(1, "memory", "memory.swappiness", "memory.swappiness", str(swappiness))
    for key, file in (("disableOOMKiller", "memory.oom_control"), ("useHierarchy", "memory.use_hierarchy")):
        flag = m.get(key)
        if isinstance(flag, bool):
            out.add(1, "memory", f"memory.{key}", file, "1" if flag else "0")


def _v2_amount(n: int) -> str:
    return "max" if n == -1 else str(n)


def _memory_v2(out: Out, m: Mapping[str, object]) -> None:
    for key in ("kernel", "kernelTCP"):
        if get_int(m, key) > 0:
            raise out.refuse(f"memory.{key}", "cgroup v2 has no kernel memory limits (memory.max counts it)")
    if get_opt_int(m, "swappiness") is not None:
        raise out.refuse("memory.swappiness", "cgroup v2 has no per-cgroup swappiness")
    if m.get("disableOOMKiller") is True:
        raise out.refuse("memory.disableOOMKiller", "cgroup v2 cannot disable the OOM killer")
    if m.get("useHierarchy") is False:
        raise out.refuse("memory.useHierarchy", "cgroup v2 accounting is always hierarchical")
    limit, swap, reservation = get_int(m, "limit"), get_int(m, "swap"), get_int(m, "reservation")
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
