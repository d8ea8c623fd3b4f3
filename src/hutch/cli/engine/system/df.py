"""`hutch system df [-v]`: docker's summary (TYPE TOTAL ACTIVE SIZE RECLAIMABLE: images,
containers, local volumes, build cache) or, with -v, its detailed tables.

docker's arithmetic (cli/command/formatter/disk_usage.go): images' size is the layers'
(each once), reclaimable what no container's image holds (size minus shared size of the
images in use); containers' size their writable layers, reclaimable those not running;
volumes' reclaimable those no container names. Sizes are units.HumanSize (4 digits).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-v", "--verbose", action="store_true", help="show detailed information on space usage")
    p.add_argument("--format", default="", help="format the output with a Go template (json)")


def human(n: float) -> str:
    """docker's units.HumanSize: decimal units, four significant digits."""
    from hutch.util.units import human_size

    return human_size(n, 4)


def _reclaim(reclaimable: int, total: int) -> str:
    return f"{human(reclaimable)} ({reclaimable * 100 // total}%)" if total > 0 else human(reclaimable)


def summary(u: dict[str, Any]) -> list[dict[str, str]]:
    images, ctrs, vols = u["Images"], u["Containers"], u["Volumes"]
    used = sum(i["Size"] - i["SharedSize"] for i in images if i["Containers"])
    total = u["LayersSize"]
    csize = sum(c["SizeRw"] for c in ctrs)
    cfree = sum(c["SizeRw"] for c in ctrs if not c["Running"])
    vsize = sum(v["UsageData"]["Size"] for v in vols)
    vfree = sum(v["UsageData"]["Size"] for v in vols if not v["UsageData"]["RefCount"])
    active = (sum(1 for i in images if i["Containers"]), sum(1 for c in ctrs if c["Running"]),
              sum(1 for v in vols if v["UsageData"]["RefCount"]))
    return [
        {"Type": "Images", "TotalCount": str(len(images)), "Active": str(active[0]),
         "Size": human(total), "Reclaimable": _reclaim(total - used, total)},
        {"Type": "Containers", "TotalCount": str(len(ctrs)), "Active": str(active[1]),
         "Size": human(csize), "Reclaimable": _reclaim(cfree, csize)},
        {"Type": "Local Volumes", "TotalCount": str(len(vols)), "Active": str(active[2]),
         "Size": human(vsize), "Reclaimable": _reclaim(vfree, vsize)},
        {"Type": "Build Cache", "TotalCount": "0", "Active": "0", "Size": "0B", "Reclaimable": "0B"},
    ]


def verbose(u: dict[str, Any], statuses: dict[str, str] | None = None) -> str:
    """docker's -v tables (``statuses``: container id -> ps's STATUS, "Exited (0) 2 minutes ago")."""
    from hutch.cli.fmt import ago, table
    from hutch.image import reference

    out = ["Images space usage:", ""]
    rows = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"]]
    for i in u["Images"]:
        names: list[reference.Reference | None] = [reference.parse(n) for n in i["RepoTags"]] or [None]
        for r in names:
            repo, tag = (reference.familiar_name(r.name), r.tag or "<none>") if r else ("<none>", "<none>")
            rows.append([repo, tag, i["Id"].removeprefix("sha256:")[:12], ago(i["Created"]), human(i["Size"]),
                         human(i["SharedSize"]), human(i["Size"] - i["SharedSize"]), str(i["Containers"])])
    out += [table(rows), "Containers space usage:", ""]
    rows = [["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"]]
    for c in u["Containers"]:
        command = c["Command"]
        rows.append([c["Id"][:12], c["Image"], f'"{command[:20]}"', str(c["Volumes"]), human(c["SizeRw"]),
                     ago(c["Created"]), (statuses or {}).get(c["Id"], c["State"]), c["Names"][0]])
    out += [table(rows), "Local Volumes space usage:", ""]
    rows = [["VOLUME NAME", "LINKS", "SIZE"]]
    rows += [[v["Name"], str(v["UsageData"]["RefCount"]), human(v["UsageData"]["Size"])]
             for v in u["Volumes"]]
    out += [table(rows), "Build cache usage: 0B", "",
            table([["CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"]])]
    return "\n".join(out)


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.fmt import table
    from hutch.engine.diskusage import usage

    u = usage(eng)
    if a.verbose:
        from hutch.cli.engine.containers.ps import status_text

        sys.stdout.write(verbose(u, {r["id"]: status_text(r) for r in eng.records()}))
        return 0
    rows = summary(u)
    if a.format:
        from hutch.cli.gotemplate import render

        fmt = "{{json .}}" if a.format == "json" else a.format
        sys.stdout.write("".join(render(fmt, r) + "\n" for r in rows))
        return 0
    head = ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    sys.stdout.write(table([head, *([r["Type"], r["TotalCount"], r["Active"], r["Size"], r["Reclaimable"]]
                                    for r in rows)]))
    return 0
