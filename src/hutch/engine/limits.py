"""docker's resource flags (-m, --memory-swap, --memory-reservation, --cpus, --cpu-period,
--cpu-quota, --cpu-shares, --cpuset-cpus, --pids-limit, --blkio-weight) as a typed
`Resources`, checked as docker checks them; part of each `CreateRequest`
(hutch.engine.request), made config.json's linux.resources by hutch.engine.specgen.
"""

from __future__ import annotations

import os

from hutch.errors import InvalidArgument
from hutch.util.value import Value

MIN_MEMORY = 6 << 20  # docker's


class Resources(Value):
    """docker's resource flags, typed; None (or 0 for the shares) is "not set".
    ``memory_swap`` is memory plus swap in bytes, -1 unlimited; ``cpus`` a number of CPUs
    (a CFS quota); ``pids_limit`` -1 for unlimited; ``memory_reservation`` a soft limit in
    bytes; ``cpu_period``/``cpu_quota`` the CFS period and quota in µs; ``blkio_weight``
    10..1000 (0: not set)."""

    __slots__ = ("blkio_weight", "cpu_period", "cpu_quota", "cpu_shares", "cpus", "cpuset_cpus", "memory",
                 "memory_reservation", "memory_swap", "pids_limit")

    def __init__(self, *, memory: int | None = None, memory_swap: int | None = None,
                 cpus: float | None = None, cpu_shares: int = 0, cpuset_cpus: str = "",
                 pids_limit: int | None = None, memory_reservation: int | None = None,
                 cpu_period: int = 0, cpu_quota: int = 0, blkio_weight: int = 0) -> None:
        self.memory, self.memory_swap, self.memory_reservation = memory, memory_swap, memory_reservation
        self.cpus, self.cpu_shares, self.cpuset_cpus = cpus, cpu_shares, cpuset_cpus
        self.cpu_period, self.cpu_quota, self.blkio_weight = cpu_period, cpu_quota, blkio_weight
        self.pids_limit = pids_limit


def _size(value: str | int, flag: str) -> int | None:
    from hutch.util.units import parse_ram

    if isinstance(value, int):
        return value or None
    return parse_ram(value, flag) if value else None


def parse_resources(memory: str | int, memory_swap: str | int, cpus: str | float, cpu_shares: int,
                    cpuset_cpus: str, pids_limit: int, *, memory_reservation: str | int = "",
                    cpu_period: int = 0, cpu_quota: int = 0, blkio_weight: int = 0) -> Resources:
    """-m/--memory-swap (sizes; swap -1 is unlimited; for -m alone the spec generator gives
    twice as much memory+swap, as docker's daemon), --memory-reservation, --cpus,
    --cpu-period/--cpu-quota, --cpu-shares, --cpuset-cpus, --pids-limit (-1 or 0: unlimited),
    --blkio-weight, checked as docker checks them."""
    limit = _size(memory, "memory")
    swap = None
    if limit is not None:
        if limit < MIN_MEMORY:
            raise InvalidArgument("--memory: the minimum allowed is 6MB")
        if memory_swap not in ("", 0):
            swap = -1 if memory_swap in ("-1", -1) else _size(memory_swap, "memory-swap")
            if swap is not None and swap != -1 and swap < limit:
                raise InvalidArgument("--memory-swap must be at least --memory (it is memory plus swap)")
    elif memory_swap not in ("", 0):
        raise InvalidArgument("--memory-swap needs --memory")
    reservation = _size(memory_reservation, "memory-reservation")
    if reservation is not None:
        if reservation < MIN_MEMORY:
            raise InvalidArgument("Minimum memory reservation allowed is 6MB")
        if limit is not None and limit < reservation:
            raise InvalidArgument("Minimum memory limit can not be less than memory reservation limit, "
                                  "see usage")
    if cpu_period and not 1000 <= cpu_period <= 1000000:
        raise InvalidArgument("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s "
                              "(i.e. 1000000)")
    if cpu_quota and cpu_quota != -1 and cpu_quota < 1000:
        raise InvalidArgument("CPU cfs quota can not be less than 1ms (i.e. 1000)")
    if cpus not in ("", 0) and (cpu_period or cpu_quota):
        raise InvalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both be set"
                              if cpu_period else
                              "Conflicting options: Nano CPUs and CPU Quota cannot both be set")
    if blkio_weight and not 10 <= blkio_weight <= 1000:
        raise InvalidArgument("Range of blkio weight is from 10 to 1000")
    ncpus = None
    if cpus not in ("", 0):
        try:
            ncpus = float(cpus)
        except ValueError:
            raise InvalidArgument(f"invalid value {cpus!r} for --cpus: not a number") from None
        if not 0 < ncpus <= (os.cpu_count() or 1):
            raise InvalidArgument(f"--cpus {cpus}: must be above 0 and at most {os.cpu_count()} here")
    return Resources(memory=limit, memory_swap=swap, cpus=ncpus, cpu_shares=cpu_shares,
                     cpuset_cpus=cpuset_cpus, pids_limit=(-1 if pids_limit < 0 else pids_limit) or None,
                     memory_reservation=reservation, cpu_period=cpu_period, cpu_quota=cpu_quota,
                     blkio_weight=blkio_weight)
