"""`hutch top`: a container's processes, from ps(1)'s output."""

from __future__ import annotations

import json
import sys

from hutch.cli.pflag import REMAINDER, Namespace, Parser
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.engine.containers import Engine
    from hutch.engine.records import Record


def flags(p: Parser) -> None:
    p.add_argument("container")
    p.add_argument("ps_args", nargs=REMAINDER)


def container_pids(eng: Engine, record: Record) -> list[int]:
    if record["state"]["status"] not in ("running", "paused"):
        raise HutchError(f"container {record['name']} is not running")
    r = eng.runtime(record).call("ps", "--format", "json", record["id"])
    if r.returncode != 0:
        raise HutchError(f"cannot list the processes of {record['name']}: "
                         f"{r.stderr.decode(errors='replace').strip()}")
    return [int(p) for p in json.loads(r.stdout or b"[]")]


def handle(eng: Engine, a: Namespace) -> int:
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
