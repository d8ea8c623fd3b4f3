"""One reading of a live container's figures, for `hutch stats` and the Python API's stats:
the runtime's `events --stats` (its cgroup: cpu, memory, blkio, pids), the host's CPU time
(docker's system_cpu_usage) and the counters of the container's network interfaces (its
init's /proc/PID/net/dev: the interfaces of its network namespace, lo left out as docker's).

A sample is the runtime's ``data`` object with three keys of hutch's own:

    _at        a monotonic clock, ns (for rates between two samples)
    _system    the host's CPU time, all CPUs, ns (/proc/stat)
    _networks  {"eth0": {"rx_bytes": ..., "rx_packets": ..., ... "tx_dropped": ...}}
"""

from __future__ import annotations

import json
import os
import time

from hutch.engine.model import LIVE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.containers import Engine
    from hutch.engine.records import Record

#: /proc/net/dev's columns that docker's API reports (receive 0-3, transmit 8-11)
_FIELDS = (("rx_bytes", 0), ("rx_packets", 1), ("rx_errors", 2), ("rx_dropped", 3),
           ("tx_bytes", 8), ("tx_packets", 9), ("tx_errors", 10), ("tx_dropped", 11))


def sample(eng: Engine, record: Record) -> dict[str, Any] | None:
    """A sample of ``record``'s container, or None when it does not run (or the runtime
    cannot say)."""
    st = record["state"]
    if st["status"] not in LIVE:
        return None
    r = eng.runtime(record).call("events", "--stats", record["id"])
    if r.returncode != 0:
        return None
    try:
        data: dict[str, Any] = json.loads(r.stdout.splitlines()[0]).get("data") or {}
    except (ValueError, IndexError, AttributeError):
        return None
    data["_at"] = time.monotonic_ns()
    data["_system"] = system_cpu_ns()
    own_netns = record.get("network") not in ("host", None)
    data["_networks"] = networks(int(st.get("pid") or 0)) if own_netns else {}
    return data


def system_cpu_ns() -> int:
    """All CPUs' time since boot (user to steal), ns: docker's system_cpu_usage."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:9]
    return sum(int(x) for x in fields) * (1_000_000_000 // os.sysconf("SC_CLK_TCK"))


def networks(pid: int) -> dict[str, dict[str, int]]:
    """The counters of the interfaces in ``pid``'s network namespace, but lo ({} if it is gone)."""
    if pid <= 0:
        return {}
    try:
        with open(f"/proc/{pid}/net/dev") as f:
            lines = f.read().splitlines()[2:]
    except OSError:
        return {}
    out = {}
    for line in lines:
        name, _, rest = line.partition(":")
        values = rest.split()
        if name.strip() == "lo" or len(values) < 16:
            continue
        out[name.strip()] = {key: int(values[i]) for key, i in _FIELDS}
    return out


def net_io(data: dict[str, Any]) -> tuple[int, int]:
    """Bytes received and sent, all interfaces."""
    nets = data.get("_networks") or {}
    return (sum(int(n["rx_bytes"]) for n in nets.values()), sum(int(n["tx_bytes"]) for n in nets.values()))
