"""`hutch update`: change a container's resources, as docker's update: written to its cgroup
through the OCI runtime's `update --resources -` while it runs, and kept in its bundle's
config.json (linux.resources), which `inspect` shows and the next start applies.

The request is a partial LinuxResources (the sections and keys given); `parse` turns docker's
flags into one, checked as docker checks them. More of docker's update flags (--restart...)
add a key to `parse`'s input and a branch in `apply` for what is not a resource.
"""

from __future__ import annotations

import json
import os

from hutch.engine import events
from hutch.errors import HutchError, InvalidArgument
from hutch.util import atomic
from hutch.util.units import parse_ram

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.containers import Engine
    from hutch.engine.records import Record

MIN_MEMORY = 6 * 1024 * 1024
CPU_PERIOD = 100000


def parse(*, memory: str = "", memory_swap: str = "", cpus: str = "", cpu_shares: str = "",
          cpuset_cpus: str = "", pids_limit: str = "") -> dict[str, dict[str, Any]]:
    """docker's update flags ("" for one not given) as a partial LinuxResources."""
    res: dict[str, dict[str, Any]] = {}
    if memory:
        limit = parse_ram(memory, "memory")
        if limit < MIN_MEMORY:
            raise InvalidArgument("Minimum memory limit allowed is 6MB")
        res.setdefault("memory", {})["limit"] = limit
    if memory_swap:
        swap = -1 if memory_swap == "-1" else parse_ram(memory_swap, "memory-swap")
        res.setdefault("memory", {})["swap"] = swap
    if cpus:
        try:
            n = float(cpus)
        except ValueError:
            raise InvalidArgument(f"invalid argument {cpus!r} for \"--cpus\" flag: not a number") from None
        if not 0 < n <= (os.cpu_count() or 1):
            raise InvalidArgument(f"range of CPUs is from 0.01 to {os.cpu_count()}.00, as there are only "
                                  f"{os.cpu_count()} CPUs available")
        res.setdefault("cpu", {}).update(quota=round(n * CPU_PERIOD), period=CPU_PERIOD)
    if cpu_shares:
        res.setdefault("cpu", {})["shares"] = _int(cpu_shares, "cpu-shares")
    if cpuset_cpus:
        res.setdefault("cpu", {})["cpus"] = cpuset_cpus
    if pids_limit:
        n = _int(pids_limit, "pids-limit")
        res["pids"] = {"limit": -1 if n <= 0 else n}  # docker: 0 or -1 is unlimited
    return res


def _int(text: str, flag: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidArgument(f'invalid argument "{text}" for "--{flag}" flag: not an integer') from None


def merged(current: dict[str, Any], change: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``current`` linux.resources with ``change``'s keys over it; docker's checks on the result."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in current.items()}
    for section, values in change.items():
        out.setdefault(section, {}).update(values)
    mem = out.get("memory") or {}
    limit, swap = int(mem.get("limit") or 0), int(mem.get("swap") or 0)
    if "swap" in (change.get("memory") or {}) and swap not in (0, -1):
        if not limit:
            raise HutchError("Cannot update a container's memory swap without a memory limit: "
                             "set --memory too")
        if swap < limit:
            raise HutchError("Minimum memoryswap limit should be larger than memory limit, "
                             "see usage")
    elif "limit" in (change.get("memory") or {}) and swap > 0 and limit > swap:
        raise HutchError("Memory limit should be smaller than already set memoryswap limit, "
                         "update the memoryswap at the same time")
    return out


def apply(eng: Engine, record: Record, change: dict[str, dict[str, Any]]) -> None:
    """The change to the container's cgroup (when it runs) and to its config.json."""
    lay = eng.layout(record["id"])
    with open(lay.config) as f:
        config: Any = json.load(f)
    linux = config.setdefault("linux", {})
    resources = merged(linux.get("resources") or {}, change)
    if eng.is_running(record):
        r = eng.runtime(record).call("update", "--resources", "-", record["id"],
                                     input=json.dumps(change).encode())
        if r.returncode != 0 and eng.is_running(record):
            lines = r.stderr.decode(errors="replace").strip().splitlines()
            msg = lines[-1] if lines else f"exit status {r.returncode}"
            raise HutchError(f"Cannot update container {record['id']}: {msg}")
    linux["resources"] = resources
    atomic.write(lay.config, json.dumps(config).encode(), 0o666)
    cpu = change.get("cpu") or {}
    if "quota" in cpu:  # (--cpus: inspect's NanoCpus says it from now on)
        period = int(cpu.get("period") or resources.get("cpu", {}).get("period") or 0)
        nano = round(int(cpu["quota"]) * 1e9 / period) if period and int(cpu["quota"]) > 0 else 0
        eng.store.update(record["id"], lambda r: r.setdefault("config", {}).update(nano_cpus=nano))
    events.container(eng.root, "update", record)



