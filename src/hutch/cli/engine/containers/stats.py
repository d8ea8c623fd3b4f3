"""`hutch stats`: CPU, memory, block I/O and pids of containers, docker's table and its --format
templates (docker's statsContext: Container, Name, ID, CPUPerc, MemUsage, MemPerc, NetIO,
BlockIO, PIDs)."""

from __future__ import annotations

import os
import sys
import time

from hutch.cli.fmt import size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.gotemplate import Struct
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine
    from hutch.engine.records import Record


def flags(p: Parser) -> None:
    p.add_argument("--no-stream", action="store_true",
                   help="Disable streaming stats and only pull the first result")
    p.add_argument("-a", "--all", action="store_true",
                   help="Show all containers (default shows just running)")
    p.add_argument("--no-trunc", action="store_true", help="do not shorten the ids")
    p.add_argument("--format", default="", help="table, json or a Go template")
    p.add_argument("containers", nargs="*")


def _mem(data: dict[str, Any]) -> tuple[int, int]:
    """docker's memory usage (without the inactive page cache) and limit."""
    mem = data.get("memory") or {}
    usage = int((mem.get("usage") or {}).get("usage", 0))
    limit = int((mem.get("usage") or {}).get("limit", 0))
    st = mem.get("stats") or {}
    cache = int(st.get("total_inactive_file", st.get("inactive_file", 0)))
    host = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(0, usage - cache), (limit if 0 < limit < host else host)


def _bytes(n: float) -> str:
    from hutch.util.units import bytes_size

    return bytes_size(n, 4)


def _blkio(data: dict[str, Any]) -> str:
    read = write = 0
    for e in (data.get("blkio") or {}).get("ioServiceBytesRecursive") or []:
        op = str(e.get("op", "")).lower()
        read += int(e.get("value", 0)) if op == "read" else 0
        write += int(e.get("value", 0)) if op == "write" else 0
    return f"{size(read)} / {size(write)}"  # (docker: decimal units here, binary for memory)


DEFAULT = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}" \
    "\t{{.PIDs}}"
#: docker's statsContext header (cli/command/container/formatter_stats.go)
HEADERS = {"Container": "CONTAINER", "Name": "NAME", "ID": "CONTAINER ID", "CPUPerc": "CPU %",
           "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O",
           "PIDs": "PIDS"}


def context(r: Record, container: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
            trunc: bool) -> Struct:
    """One container's sample as docker's statsContext shows it (``--`` when it has none)."""
    from hutch.cli.gotemplate import Struct
    from hutch.engine.stats import net_io

    fields = {"Container": container, "Name": r["name"] or "--", "ID": r["id"][:12] if trunc else r["id"]}
    if before is None or after is None:
        none = {"CPUPerc": "--", "MemUsage": "-- / --", "MemPerc": "--", "NetIO": "--", "BlockIO": "--",
                "PIDs": "--"}
        return Struct("*container.statsContext", {**fields, **none})
    cpu_ns = int(after["cpu"]["usage"]["total"]) - int(before["cpu"]["usage"]["total"])
    cpu = 100.0 * cpu_ns / max(1, after["_at"] - before["_at"])
    usage, limit = _mem(after)
    rx, tx = net_io(after)
    pids = int((after.get("pids") or {}).get("current", 0))
    return Struct("*container.statsContext", {
        **fields, "CPUPerc": f"{cpu:.2f}%", "MemUsage": f"{_bytes(usage)} / {_bytes(limit)}",
        "MemPerc": f"{100.0 * usage / max(1, limit):.2f}%", "NetIO": f"{size(rx)} / {size(tx)}",
        "BlockIO": _blkio(after), "PIDs": str(pids)})


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli import gotemplate
    from hutch.engine.stats import sample

    if a.containers:
        records = [eng.find(ref) for ref in a.containers]
        named = list(a.containers)
    else:
        records = [r for r in eng.records() if a.all or r["state"]["status"] in ("running", "paused")]
        named = [r["id"][:12] for r in records]
    fmt = a.format or "table"
    if fmt == "table":
        fmt = DEFAULT
    gotemplate.parse(gotemplate.prepare(fmt)[1])  # (a template that does not parse fails before sampling)
    while True:
        first = {r["id"]: sample(eng, r) for r in records}
        time.sleep(0.5)
        rows = [context(r, name, first.get(r["id"]), sample(eng, r), not a.no_trunc)
                for r, name in zip(records, named, strict=True)]
        text = gotemplate.write(fmt, rows, HEADERS)
        if not a.no_stream:
            sys.stdout.write("\033[2J\033[H")
        sys.stdout.write(text)
        sys.stdout.flush()
        if a.no_stream:
            return 0
