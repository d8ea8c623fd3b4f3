"""ps: the container's processes, from ps(1)'s output or as JSON pids (runc's ps.go)."""

from __future__ import annotations

import sys

from hutch import fastjson
from hutch.cli.args import Args, Flag, need_id
from hutch.cli.log import Log
from hutch.container.store import Store
from hutch.errors import InvalidArgument


def flags() -> list[Flag]:
    return [Flag("format", "f", value=True, default="table")]


def handle(name: str, g: Args, a: Args, log: Log) -> int:
    store = Store(g.text("root"))
    cid = need_id(a, name, extra_ok=True)
    fmt = a.text("format")
    if fmt not in ("table", "json"):
        raise InvalidArgument(f"invalid format {fmt!r}: use table or json")
    state = store.load(cid)
    pids: list[int] = []
    if state.get("cgroup"):
        from hutch.cgroups import Manager

        pids = sorted(Manager.from_record(state["cgroup"]).pids())
    if fmt == "json":
        if len(a.args) > 1:
            raise InvalidArgument("ps options cannot be used with --format json")
        sys.stdout.write(fastjson.dumps(pids) + "\n")
        return 0
    import subprocess

    ps_args = a.args[1:] or ["-ef"]
    out = subprocess.run(["ps", *ps_args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise InvalidArgument(f"ps {' '.join(ps_args)}: {out.stderr.strip()}")
    lines = out.stdout.splitlines()
    if not lines:
        return 0
    header = lines[0]
    try:
        col = header.split().index("PID")
    except ValueError:
        raise InvalidArgument("ps output has no PID column") from None
    keep = set(pids)
    sys.stdout.write(header + "\n")
    for line in lines[1:]:
        fields = line.split()
        if len(fields) > col and fields[col].isdigit() and int(fields[col]) in keep:
            sys.stdout.write(line + "\n")
    return 0
