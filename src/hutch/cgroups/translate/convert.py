"""runc's conversions of cgroup v1 values to cgroup v2 ones (opencontainers/cgroups utils.go).

The runtime-spec's resources are written in cgroup v1 terms; these give the v2 value
where a v2 file means something else. Pure; ``math`` is imported only when needed.
"""

from __future__ import annotations


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


def weight_to_io(weight: int) -> int:
    """blkio weight (10..1000) -> io.weight (1..10000), runc's ConvertBlkIOToIOWeightValue."""
    return 0 if weight == 0 else 1 + (weight - 10) * 9999 // 990
