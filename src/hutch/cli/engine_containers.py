"""`hutch`'s container verbs beyond run/create/rm: ps, start, stop, restart, kill, wait,
logs, exec, attach, pause, unpause, rename, top, stats, port. docker's flags and output."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from hutch.cli.fmt import ago, duration, since, table
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hutch.engine.containers import Engine
    from hutch.engine.records import Record


def ps_flags(ps: argparse.ArgumentParser) -> None:
    ps.add_argument("-a", "--all", action="store_true")
    ps.add_argument("-q", "--quiet", action="store_true")
    ps.add_argument("--no-trunc", action="store_true")
    ps.add_argument("-l", "--latest", action="store_true")
    ps.add_argument("-n", "--last", type=int, default=-1)
    ps.add_argument("--format", default="")


def add_parsers(sub: Any) -> None:
    ps_flags(sub.add_parser("ps", help="list containers"))

    start = sub.add_parser("start", help="start stopped containers")
    start.add_argument("-a", "--attach", action="store_true")
    start.add_argument("-i", "--interactive", action="store_true")
    start.add_argument("containers", nargs="+")
    for verb, text in (("stop", "stop running containers"), ("restart", "restart containers")):
        p = sub.add_parser(verb, help=text)
        p.add_argument("-t", "--time", "--timeout", type=int, default=None, dest="time",
                       help="seconds to wait before killing it")
        p.add_argument("containers", nargs="+")
    kill = sub.add_parser("kill", help="send a signal to running containers")
    kill.add_argument("-s", "--signal", default="KILL")
    kill.add_argument("containers", nargs="+")
    wait = sub.add_parser("wait", help="wait for containers to stop; print their exit codes")
    wait.add_argument("containers", nargs="+")
    for verb, text in (("pause", "freeze a container's processes"), ("unpause", "thaw them")):
        sub.add_parser(verb, help=text).add_argument("containers", nargs="+")
    rename = sub.add_parser("rename", help="rename a container")
    rename.add_argument("container")
    rename.add_argument("name")

    logs = sub.add_parser("logs", help="a container's output")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("-n", "--tail", default="all")
    logs.add_argument("-t", "--timestamps", action="store_true")
    logs.add_argument("container")

    ex = sub.add_parser("exec", help="run a command in a running container")
    ex.add_argument("-i", "--interactive", action="store_true")
    ex.add_argument("-t", "--tty", action="store_true")
    ex.add_argument("-d", "--detach", action="store_true")
    ex.add_argument("-e", "--env", action="append", default=[])
    ex.add_argument("-u", "--user", default="")
    ex.add_argument("-w", "--workdir", default="")
    ex.add_argument("container")
    ex.add_argument("args", nargs=argparse.REMAINDER)

    att = sub.add_parser("attach", help="attach to a running container's output (and input)")
    att.add_argument("--no-stdin", action="store_true")
    att.add_argument("--sig-proxy", default="true", choices=["true", "false"])
    att.add_argument("container")

    top = sub.add_parser("top", help="a container's processes")
    top.add_argument("container")
    top.add_argument("ps_args", nargs=argparse.REMAINDER)
    stats = sub.add_parser("stats", help="CPU, memory and pids of containers")
    stats.add_argument("--no-stream", action="store_true")
    stats.add_argument("-a", "--all", action="store_true")
    stats.add_argument("containers", nargs="*")
    port = sub.add_parser("port", help="a container's published ports")
    port.add_argument("container")
    port.add_argument("private", nargs="?")


def _each(eng: Engine, refs: list[str], act: Callable[[Record], object], echo: bool = True) -> int:
    """Apply ``act`` to each container, as docker does: print the name given, or one error
    line; exit 1 if any failed."""
    code = 0
    for ref in refs:
        try:
            out = act(eng.find(ref))
            if echo:
                print(ref if out is None else out, flush=True)
        except HutchError as err:
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    return code


# ---- ps ---------------------------------------------------------------------------------


def status_text(r: Record) -> str:
    st = r["state"]
    if st["status"] == "exited":
        return f"Exited ({st['exit_code']}) {ago(st['finished_at'])}"
    if st["status"] in ("running", "paused"):
        up = f"Up {duration(since(st['started_at']))}"
        return up + " (Paused)" if st.get("paused") else up
    return str(st["status"]).capitalize()


def _ps_fields(r: Record, trunc: bool) -> dict[str, str]:
    command = " ".join(r.get("args", []))
    return {
        "ID": r["id"][:12] if trunc else r["id"], "Image": r["image"],
        "Command": f'"{command[:20]}"' if trunc else f'"{command}"',
        "CreatedAt": r["created"], "RunningFor": ago(r["created"]), "Status": status_text(r),
        "State": r["state"]["status"], "Names": r["name"],
        "Labels": ",".join(f"{k}={v}" for k, v in sorted((r.get("labels") or {}).items())),
        "Ports": "", "Mounts": "", "Size": "", "Networks": "",
    }


DEFAULT_PS = "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
_HEADERS = {"ID": "CONTAINER ID", "CreatedAt": "CREATED AT", "RunningFor": "CREATED"}


def render(template: str, fields: dict[str, str]) -> str:
    """A Go-template subset, as docker's --format: {{.Field}}, {{json .}}, {{json .Field}}."""
    import re

    def one(m: re.Match[str]) -> str:
        expr = m.group(1).strip()
        if expr == "json .":
            return json.dumps(fields)
        if expr.startswith("json ."):
            return json.dumps(fields.get(expr[6:], ""))
        if expr.startswith(".") and expr[1:] in fields:
            return fields[expr[1:]]
        raise HutchError(f"template: can't evaluate {{{{{expr}}}}} (fields: {', '.join(fields)})")

    return re.sub(r"\{\{(.*?)\}\}", one, template.replace("\\t", "\t").replace("\\n", "\n"))


def _ps(eng: Engine, a: argparse.Namespace) -> int:
    records = eng.records()
    if a.latest:
        records = records[:1]
    elif a.last >= 0:
        records = records[:a.last]
    elif not a.all:
        records = [r for r in records if r["state"]["status"] in ("running", "paused")]
    if a.quiet:
        for r in records:
            print(r["id"] if a.no_trunc else r["id"][:12])
        return 0
    fmt = a.format
    if fmt == "json":
        fmt = "{{json .}}"
    if fmt and not fmt.startswith("table"):
        for r in records:
            print(render(fmt, _ps_fields(r, not a.no_trunc)))
        return 0
    template = fmt[5:].strip() if fmt else DEFAULT_PS
    import re

    names = re.findall(r"\{\{\s*\.(\w+)\s*\}\}", template)
    rows = [[_HEADERS.get(n, re.sub(r"(?<=[a-z])(?=[A-Z])", " ", n).upper()) for n in names]]
    for r in records:
        f = _ps_fields(r, not a.no_trunc)
        rows.append([f.get(n, "") for n in names])
    sys.stdout.write(table(rows))
    return 0


# ---- lifecycle ----------------------------------------------------------------------------


def _start(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.engine.containers import StartFailed

    if a.attach or a.interactive:
        if len(a.containers) != 1:
            raise HutchError("you cannot start and attach multiple containers at once")
        record = eng.find(a.containers[0])
        cfg = record.get("config", {})
        try:
            started = eng.start(record, attach=True)
        except StartFailed as err:
            sys.stderr.write(f"Error: {err}\n")
            return err.code
        return eng.attached(started, stdin=a.interactive and bool(cfg.get("stdin")), tty=bool(cfg.get("tty")))

    def go(r: Record) -> None:
        if r["state"]["status"] in ("running", "paused"):
            return  # docker: starting a running container is not an error
        eng.start(r)

    return _each(eng, a.containers, go)


def _stop(eng: Engine, a: argparse.Namespace) -> int:
    return _each(eng, a.containers, lambda r: eng.stop(r, a.time))


def _restart(eng: Engine, a: argparse.Namespace) -> int:
    return _each(eng, a.containers, lambda r: eng.restart(r, a.time))


def _kill(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.engine.containers import signal_number

    signal_number(a.signal)  # a bad signal: one error, before any container
    return _each(eng, a.containers, lambda r: eng.kill(r, a.signal))


def _wait(eng: Engine, a: argparse.Namespace) -> int:
    return _each(eng, a.containers, eng.wait)


def _pause(eng: Engine, a: argparse.Namespace) -> int:
    return _each(eng, a.containers, eng.pause if a.command == "pause" else eng.unpause)


def _rename(eng: Engine, a: argparse.Namespace) -> int:
    eng.rename(eng.find(a.container), a.name)
    return 0


# ---- output and input -------------------------------------------------------------------


def _logs(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.engine import jsonlog

    record = eng.find(a.container)
    path = eng.log_path(record)
    tail = -1
    if a.tail != "all":
        try:
            tail = int(a.tail)
        except ValueError:
            raise HutchError(f"invalid --tail {a.tail!r}: a number or all") from None

    def show(stream: str, stamp: str, text: str) -> None:
        out = sys.stdout.buffer if stream == "stdout" else sys.stderr.buffer
        out.write(((stamp + " ") if a.timestamps else "").encode() + text.encode())
        out.flush()

    entries = list(jsonlog.read(path))
    for entry in entries[-tail:] if tail > 0 else [] if tail == 0 else entries:
        show(*entry)
    if not a.follow:
        return 0
    follower = jsonlog.Follower(path)
    while True:
        running = eng.is_running(record)
        for entry in follower.new():
            show(*entry)
        if not running:
            for entry in follower.new():
                show(*entry)
            return 0
        time.sleep(0.1)


def _exec(eng: Engine, a: argparse.Namespace) -> int:
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    try:
        record = eng.find(a.container)
        if a.tty and not a.detach and not sys.stdin.isatty():
            raise HutchError("the input device is not a TTY (use -i without -t)")
        return eng.exec(record, args, tty=a.tty, stdin=a.interactive, detach=a.detach, env=a.env,
                        user=a.user, workdir=a.workdir)[0]
    except HutchError as err:
        sys.stderr.write(f"Error: {err}\n")
        return 126 if "not running" in str(err) else 125


def _attach(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.engine import attach
    from hutch.engine.containers import Started

    record = eng.find(a.container)
    if record["state"]["status"] not in ("running", "paused"):
        raise HutchError("you cannot attach to a stopped container, start it first")
    cfg = record.get("config", {})
    try:
        sock = attach.connect(os.path.join(eng.dir, record["id"], "attach"))
    except OSError as err:
        raise HutchError(f"cannot attach to {a.container}: {err.strerror or err}") from err
    started = Started(record, int(record["state"].get("pid", 0)), sock)
    return eng.attached(started, stdin=not a.no_stdin and bool(cfg.get("stdin")), tty=bool(cfg.get("tty")),
                        sig_proxy=a.sig_proxy == "true")


# ---- looking at running containers ------------------------------------------------------


def container_pids(eng: Engine, record: Record) -> list[int]:
    if record["state"]["status"] not in ("running", "paused"):
        raise HutchError(f"container {record['name']} is not running")
    r = eng.runtime(record).call("ps", "--format", "json", record["id"])
    if r.returncode != 0:
        raise HutchError(f"cannot list the processes of {record['name']}: "
                         f"{r.stderr.decode(errors='replace').strip()}")
    return [int(p) for p in json.loads(r.stdout or b"[]")]


def _top(eng: Engine, a: argparse.Namespace) -> int:
    import subprocess

    record = eng.find(a.container)
    pids = set(container_pids(eng, record))
    ps_args = a.ps_args or ["-ef"]
    r = subprocess.run(["ps", *ps_args], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise HutchError(f"ps {' '.join(ps_args)}: {r.stderr.strip()}")
    lines = r.stdout.splitlines()
    header = lines[0].split()
    if "PID" not in header:
        raise HutchError(f"ps {' '.join(ps_args)}: its output has no PID column")
    col = header.index("PID")
    rows = [line for line in lines[1:] if len(line.split()) > col and line.split()[col].isdigit()
            and int(line.split()[col]) in pids]
    sys.stdout.write("\n".join([lines[0], *rows]) + "\n")
    return 0


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


def _stats(eng: Engine, a: argparse.Namespace) -> int:
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


def _port(eng: Engine, a: argparse.Namespace) -> int:
    record = eng.find(a.container)
    for private, binds in sorted((record.get("ports") or {}).items()):
        if a.private and a.private not in (private, private.split("/")[0]):
            continue
        for b in binds:
            print(f"{private} -> {b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}")
    return 0


def _rm(eng: Engine, a: argparse.Namespace) -> int:
    code = 0
    for ref in a.containers:
        try:
            eng.remove(ref, a.force, volumes=a.volumes)
            print(ref)
        except HutchError as err:
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    return code


COMMANDS: dict[str, Callable[[Engine, argparse.Namespace], int]] = {
    "ps": _ps, "start": _start, "stop": _stop, "restart": _restart, "kill": _kill, "wait": _wait,
    "pause": _pause, "unpause": _pause, "rename": _rename, "logs": _logs, "exec": _exec,
    "attach": _attach, "top": _top, "stats": _stats, "port": _port, "rm": _rm,
}
