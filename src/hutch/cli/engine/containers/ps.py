"""`hutch ps` (and `container ls|ps|list`): docker's columns, filters and --format templates."""

from __future__ import annotations

import sys

from hutch.cli.fmt import ago, duration, go_time, since
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.gotemplate import Struct
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine
    from hutch.engine.records import Record


def _filter(raw: str) -> tuple[str, str]:
    from hutch.cli.filters import parse  # (only when a --filter is given)

    return parse(raw)


def flags(p: Parser) -> None:
    p.add_argument("-a", "--all", action="store_true",
                   help="Show all containers (default shows just running)")
    p.add_argument("-q", "--quiet", action="store_true", help="Only display container IDs")
    p.add_argument("--no-trunc", action="store_true", help="Don't truncate output")
    p.add_argument("-l", "--latest", action="store_true",
                   help="Show the latest created container (includes all states)")
    p.add_argument("-n", "--last", type=int, default=-1,
                   help="Show n last created containers (includes all states)")
    p.add_argument("-s", "--size", action="store_true", help="the size of each container's writable layer")
    p.add_argument("--format", default="", help="table, json or a Go template")
    p.add_argument("-f", "--filter", action="append", type=_filter, metavar="filter",
                   help="id, name, label, status, exited, ancestor, before, since, volume, network, "
                        "publish, expose, health, isolation, is-task")


def status_text(r: Record) -> str:
    st = r["state"]
    if st["status"] == "exited":
        return f"Exited ({st['exit_code']}) {ago(st['finished_at'])}"
    if st["status"] == "restarting":  # docker's: the exit status, how long ago it ended
        return f"Restarting ({st['exit_code']}) {ago(st['finished_at'])}"
    if st["status"] in ("running", "paused"):
        up = f"Up {duration(since(st['started_at']))}"
        if st.get("paused"):
            return up + " (Paused)"
        from hutch.engine.healthcheck import status_suffix

        return up + status_suffix(st.get("health"))
    return str(st["status"]).capitalize()


def _ellipsis(s: str, n: int) -> str:
    return s if len(s) <= n else s[:n - 1] + "…"


def _ps_fields(r: Record, trunc: bool, size: str = "0B") -> dict[str, str]:
    command = " ".join(r.get("args", []))
    volumes = [str(v.get("Name", "")) for v in r.get("volumes") or []]
    return {
        "ID": r["id"][:12] if trunc else r["id"], "Image": r["image"],
        "Command": f'"{command[:20]}"' if trunc else f'"{command}"',
        "CreatedAt": go_time(r["created"], seconds=True), "RunningFor": ago(r["created"]),
        "Status": status_text(r),
        "State": r["state"]["status"], "Names": r["name"],
        "Labels": ",".join(f"{k}={v}" for k, v in sorted((r.get("labels") or {}).items())),
        "Ports": ports_text(r), "Mounts": ",".join(_ellipsis(n, 15) if trunc else n for n in volumes),
        "LocalVolumes": str(len(volumes)), "Size": size, "Networks": ",".join(
            str(p.get("name", "")) for p in (r.get("networks") or {}).values()),
    }


def ports_text(r: Record) -> str:
    """docker's PORTS column: ``0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp``."""
    return ", ".join(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}->{private}"
                     for private, binds in sorted((r.get("ports") or {}).items()) for b in binds)


DEFAULT_PS = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
#: docker's ContainerContext header (cli/command/formatter/container.go)
HEADERS = {"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
           "RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS", "Size": "SIZE",
           "Names": "NAMES", "Labels": "LABELS", "Mounts": "MOUNTS", "LocalVolumes": "LOCAL VOLUMES",
           "Networks": "NETWORKS"}


def size_text(eng: Engine, r: Record) -> str:
    """docker's SIZE: the writable layer's size, and with the image's, the virtual size
    (``2B (virtual 4.2MB)``)."""
    from hutch.cli.fmt import size
    from hutch.engine.inspect import sizes

    rw, rootfs = sizes(eng, r)
    return f"{size(rw)} (virtual {size(rootfs)})" if rootfs > 0 else size(rw)


def context(r: Record, trunc: bool, size: str = "0B") -> Struct:
    """What a --format template sees of a container: docker's ContainerContext, ``.Label "k"`` too;
    ``size``: its SIZE when it was asked for (docker's 0B when not)."""
    from hutch.cli.gotemplate import Struct

    labels = r.get("labels") or {}

    def label(name: str) -> str:
        return str(labels.get(name, ""))

    return Struct("*formatter.ContainerContext", {**_ps_fields(r, trunc, size), "Label": label})


def _image_id(eng: Engine, ref: str) -> str | None:
    try:
        return eng.images.get(ref).id
    except HutchError:
        return None  # (docker: a warning in its log, and no container has that ancestor)


def handle(eng: Engine, a: Namespace) -> int:
    records, stopped_too = eng.records(), a.all
    if a.filter:
        from hutch.cli.engine.containers.psfilter import select

        records, by_status = select(records, a.filter, lambda ref: _image_id(eng, ref))
        stopped_too = stopped_too or by_status
    if a.latest:
        records = records[:1]
    elif a.last >= 0:
        records = records[:a.last]
    elif not stopped_too:
        records = [r for r in records if r["state"]["status"] in ("running", "paused", "restarting")]
    if a.quiet:
        if a.format:
            sys.stderr.write("WARNING: Ignoring custom format, because both --format and --quiet are set.\n")
        for r in records:
            print(r["id"] if a.no_trunc else r["id"][:12])
        return 0
    from hutch.cli import gotemplate

    fmt = a.format or DEFAULT_PS
    if fmt == "table":
        fmt = DEFAULT_PS
    if a.size and fmt == DEFAULT_PS:
        fmt += "\t{{.Size}}"
    sized = a.size or ".Size" in fmt  # (docker asks its daemon for sizes when the format shows them)
    rows = (context(r, not a.no_trunc, size_text(eng, r) if sized else "0B") for r in records)
    sys.stdout.write(gotemplate.write(fmt, rows, HEADERS))
    return 0
