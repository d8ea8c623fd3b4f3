"""What the containers' methods stream or convert: log times, exec output as it comes, docker's
stats document, and `hutch cp` in a process of its own for the archives."""

from __future__ import annotations

import os

from hutch.errors import APIError, NotFound

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import IO, Any

    from hutch.engine.containers import Engine
    from hutch.engine.records import Record


def streamed(run: Any, want: dict[int, bool], demux: bool) -> Iterator[Any]:
    """exec output as it comes: the exec in a thread, its chunks through a queue."""
    import queue
    import threading

    q: queue.Queue[tuple[int, bytes] | None] = queue.Queue()

    def work() -> None:
        try:
            run(lambda kind, data: q.put((kind, data)))
        finally:
            q.put(None)

    threading.Thread(target=work, daemon=True).start()
    while (item := q.get()) is not None:
        kind, data = item
        if want.get(kind):
            yield ((data, None) if kind == 1 else (None, data)) if demux else data


def epoch(value: Any) -> float | None:
    """docker-py's since/until (a datetime, or seconds) or a log line's RFC 3339 time, as seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    import datetime

    if isinstance(value, datetime.datetime):
        return value.timestamp()
    text = str(value).replace("Z", "+00:00")
    head, dot, frac = text.partition(".")
    if dot:
        digits = "".join(c for c in frac if c.isdigit())
        text = f"{head}.{digits[:6]}{frac[len(digits):]}"
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def stats_doc(record: Record, now: dict[str, Any] | None, before: dict[str, Any] | None) -> dict[str, Any]:
    from hutch.util import timefmt

    def cpu(d: dict[str, Any] | None) -> dict[str, Any]:
        if not d:
            return {"cpu_usage": {"total_usage": 0}, "system_cpu_usage": 0, "online_cpus": 0}
        u = (d.get("cpu") or {}).get("usage") or {}
        return {"cpu_usage": {"total_usage": int(u.get("total", 0)),
                              "usage_in_kernelmode": int(u.get("kernel", 0)),
                              "usage_in_usermode": int(u.get("user", 0))},
                "system_cpu_usage": int(d["_system"]), "online_cpus": os.cpu_count() or 1,
                "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}}

    mem = (now or {}).get("memory") or {}
    usage = (mem.get("usage") or {})
    host = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = int(usage.get("limit", 0))
    blkio = [{"major": int(e.get("major", 0)), "minor": int(e.get("minor", 0)), "op": str(e.get("op", "")),
              "value": int(e.get("value", 0))}
             for e in ((now or {}).get("blkio") or {}).get("ioServiceBytesRecursive") or []]
    return {"read": timefmt.now() if now else "0001-01-01T00:00:00Z",
            "preread": timefmt.now() if before else "0001-01-01T00:00:00Z",
            "id": record["id"], "name": "/" + str(record["name"]),
            "pids_stats": {"current": int(((now or {}).get("pids") or {}).get("current", 0))} if now else {},
            "cpu_stats": cpu(now), "precpu_stats": cpu(before),
            "memory_stats": {"usage": int(usage.get("usage", 0)), "max_usage": int(usage.get("max", 0)),
                             "limit": limit if 0 < limit < host else host,
                             "stats": dict(mem.get("stats") or {})} if now else {},
            "blkio_stats": {"io_service_bytes_recursive": blkio if now else None},
            "networks": dict((now or {}).get("_networks") or {}) if now else None}


def cli(eng: Engine, argv: list[str], *, stdin: bytes | None = None, stdout: Any = None) -> Any:
    """`hutch ARGV...` on this store, in a fresh interpreter (-I: nothing from the environment)."""
    import subprocess
    import sys

    code = "import sys; from hutch.cli.engine import main; sys.exit(main(sys.argv[1:]))"
    glob = ["--root", eng.root, "--runroot", eng.runroot]
    if eng.runtime_name:
        glob += ["--runtime", eng.runtime_name]
    return subprocess.run([sys.executable, "-I", "-c", code, *glob, *argv], input=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, check=False)


def cli_check(r: Any, what: str) -> None:
    if r.returncode == 0:
        return
    msg = r.stderr.decode(errors="replace").strip().splitlines()
    text = (msg[-1] if msg else f"exit status {r.returncode}").removeprefix("Error: ")
    if "No such container" in text or "Could not find the file" in text or "no such file" in text:
        raise NotFound(f"{what}: {text}")
    raise APIError(f"{what}: {text}")


def tar_stat(f: IO[bytes]) -> dict[str, Any]:
    """docker's X-Docker-Container-Path-Stat of a tar's first entry (mode: Go's FileMode bits)."""
    import tarfile

    with tarfile.open(fileobj=f, mode="r|") as tar:
        ti = tar.next()
    if ti is None:
        return {}
    mode = ti.mode & 0o777
    if ti.isdir():
        mode |= 1 << 31
    elif ti.issym():
        mode |= 1 << 27
    return {"name": ti.name.rstrip("/").rpartition("/")[2] or ti.name, "size": ti.size, "mode": mode,
            "mtime": rfc3339(ti.mtime), "linkTarget": ti.linkname}


def rfc3339(t: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def chunks(f: IO[bytes], size: int) -> Iterator[bytes]:
    try:
        while chunk := f.read(size):
            yield chunk
    finally:
        f.close()

