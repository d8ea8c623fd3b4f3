"""`hutch stats`: CPU, memory, block I/O and pids of containers, docker's table."""

from __future__ import annotations

import json
import os
import sys
import time

from hutch.cli.fmt import table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine
    from hutch.engine.records import Record


def flags(p: Parser) -> None:
    p.add_argument("--no-stream", action="store_true")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("containers", nargs="*")


def _sample(eng: Engine, record: Record) -> dict[str, Any] | None:
    r = eng.runtime(record).call("events", "--stats", record["id"])
    if r.returncode != 0:
        return None
    try:
        doc = json.loads(r.stdout.splitlines()[0])
    except (ValueError, IndexError):
        return None
    data: dict[str, Any] = doc.get("data") or {}
    data["_at"] = time.monotonic_ns()
    return data


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
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.4g}{unit}"
        n /= 1024
    return f"{n:.4g}TiB"


def _blkio(data: dict[str, Any]) -> str:
    read = write = 0
    for e in (data.get("blkio") or {}).get("ioServiceBytesRecursive") or []:
        op = str(e.get("op", "")).lower()
        read += int(e.get("value", 0)) if op == "read" else 0
        write += int(e.get("value", 0)) if op == "write" else 0
    return f"{_bytes(read)} / {_bytes(write)}"


def handle(eng: Engine, a: Namespace) -> int:
    if a.containers:
        records = [eng.find(ref) for ref in a.containers]
    else:
        records = [r for r in eng.records() if a.all or r["state"]["status"] in ("running", "paused")]
    while True:
        first = {r["id"]: _sample(eng, r) for r in records}
        time.sleep(0.5)
        rows = [["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O",
                 "PIDS"]]
        for r in records:
            before, after = first.get(r["id"]), _sample(eng, r)
            if before is None or after is None:
                rows.append([r["id"][:12], r["name"], "--", "-- / --", "--", "--", "--", "--"])
                continue
            cpu_ns = int(after["cpu"]["usage"]["total"]) - int(before["cpu"]["usage"]["total"])
            cpu = 100.0 * cpu_ns / max(1, after["_at"] - before["_at"])
            usage, limit = _mem(after)
            pids = int((after.get("pids") or {}).get("current", 0))
            rows.append([r["id"][:12], r["name"], f"{cpu:.2f}%", f"{_bytes(usage)} / {_bytes(limit)}",
                         f"{100.0 * usage / max(1, limit):.2f}%", "0B / 0B", _blkio(after), str(pids)])
        if not a.no_stream:
            sys.stdout.write("\033[2J\033[H")
        sys.stdout.write(table(rows))
        sys.stdout.flush()
        if a.no_stream:
            return 0
