"""`hutch volume ls|list`: docker's volume table, its --filter keys and --format templates."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.gotemplate import Struct
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def _filter(raw: str) -> tuple[str, str]:
    from hutch.cli.filters import parse  # (only when a --filter is given)

    return parse(raw)


def flags(p: Parser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="only the volume names")
    p.add_argument("-f", "--filter", action="append", type=_filter, metavar="filter",
                   help="dangling (true or false), driver, label (key or key=value), name")
    p.add_argument("--format", default="", help="table, json or a Go template")


DEFAULT = "table {{.Driver}}\t{{.Name}}"
#: docker's volumeContext header (cli/command/formatter/volume.go)
HEADERS = {"Name": "VOLUME NAME", "Driver": "DRIVER", "Scope": "SCOPE", "Mountpoint": "MOUNTPOINT",
           "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE", "Group": "GROUP",
           "Availability": "AVAILABILITY", "Status": "STATUS"}
FILTERS = ("dangling", "driver", "label", "name")


def context(v: dict[str, Any], links: int) -> Struct:
    """What a --format template sees of a volume: docker's volumeContext."""
    from hutch.cli.gotemplate import Struct

    labels: dict[str, str] = v.get("Labels") or {}

    def label(name: str) -> str:
        return str(labels.get(name, ""))

    return Struct("*formatter.volumeContext", {
        "Name": v["Name"], "Driver": v.get("Driver", "local"), "Scope": v.get("Scope", "local"),
        "Mountpoint": v.get("Mountpoint", ""),
        "Labels": ",".join(f"{k}={val}" for k, val in sorted(labels.items())),
        "Links": str(links), "Size": "N/A", "Group": "", "Availability": "", "Status": "",
        "Label": label})


def select(vols: list[dict[str, Any]], pairs: list[tuple[str, str]], used: set[str]) -> list[dict[str, Any]]:
    """docker's volume filters: ``name`` a part of the name, ``driver`` exact, every ``label``,
    ``dangling`` (no container, running or not, has it)."""
    from hutch.cli.filters import Filters
    from hutch.errors import HutchError

    f = Filters(pairs).validate(FILTERS)
    out = [v for v in vols if f.exact("driver", v.get("Driver", "local"))
           and ("name" not in f or any(n in v["Name"] for n in f.get("name")))
           and f.labels("label", v.get("Labels") or {})]
    if "dangling" in f:
        values = f.get("dangling")
        if any(x in ("true", "1") for x in values):
            out = [v for v in out if v["Name"] not in used]
        elif any(x in ("false", "0") for x in values):
            out = [v for v in out if v["Name"] in used]
        else:
            raise HutchError(f"invalid filter 'dangling=[{' '.join(values)}]'")
    return out


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli import gotemplate
    from hutch.cli.engine.volumes.rm import in_use
    from hutch.engine.volumes import VolumeStore

    vols = VolumeStore(eng.root).all()
    counts: dict[str, int] = {}
    for r in eng.records():
        for v in r.get("volumes") or []:
            counts[str(v["Name"])] = counts.get(str(v["Name"]), 0) + 1
    if a.filter:
        vols = select(vols, a.filter, in_use(eng))
    fmt = a.format or "table"
    if fmt == "table":
        fmt = "{{.Name}}" if a.quiet else DEFAULT
    sys.stdout.write(gotemplate.write(fmt, (context(v, counts.get(v["Name"], 0)) for v in vols), HEADERS))
    return 0
