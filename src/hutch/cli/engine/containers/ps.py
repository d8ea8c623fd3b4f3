"""`hutch ps` (and `container ls|ps|list`): docker's columns, filters and --format templates."""

from __future__ import annotations

import json
import sys

from hutch.cli.fmt import ago, duration, since, table
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine
    from hutch.engine.records import Record


def flags(p: Parser) -> None:
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("-l", "--latest", action="store_true")
    p.add_argument("-n", "--last", type=int, default=-1)
    p.add_argument("--format", default="")


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
        "Ports": ports_text(r), "Mounts": "", "Size": "", "Networks": ",".join(
            str(p.get("name", "")) for p in (r.get("networks") or {}).values()),
    }


def ports_text(r: Record) -> str:
    """docker's PORTS column: ``0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp``."""
    return ", ".join(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}->{private}"
                     for private, binds in sorted((r.get("ports") or {}).items()) for b in binds)


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


def handle(eng: Engine, a: Namespace) -> int:
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
