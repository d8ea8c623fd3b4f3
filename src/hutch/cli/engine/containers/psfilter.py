"""`hutch ps --filter`: docker's keys, as its daemon applies them (daemon/list.go).

``id`` and ``name`` (with or without docker's leading ``/``) match the whole text or a regular
expression found in it; ``label`` is ``key`` or ``key=value`` (each must hold); ``status``
(created, restarting, running, removing, paused, exited, dead: it lists stopped containers
too), ``exited`` (an exit code, of a container that ran), ``ancestor`` (an image's name or id),
``before`` and ``since`` (a container's name or id: those created before or after it),
``volume`` (a volume's name or a mount's destination), ``network`` (a network's name or id
prefix), ``publish`` and ``expose`` (``PORT[/PROTO]`` or ``START-END[/PROTO]`` of a running
container), ``health`` (its State.Health's status: starting, healthy, unhealthy; ``none``
without a health check),
``isolation`` (``default``) and ``is-task`` (no container is a swarm task).
"""

from __future__ import annotations

from hutch.cli.filters import Filters
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from hutch.engine.records import Record

ACCEPTED = ("ancestor", "before", "exited", "expose", "health", "id", "is-task", "isolation", "label",
            "name", "network", "publish", "since", "status", "volume")
STATES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
HEALTH = ("starting", "healthy", "unhealthy", "none")


def state(r: Record) -> str:
    """docker's State() of a container: paused, running, exited, created..."""
    st = r["state"]
    if st.get("paused") or st["status"] == "paused":
        return "paused"
    return "created" if st["status"] == "starting" else str(st["status"])


def _ports(f: Filters, key: str) -> set[str]:
    """``80``, ``80/udp``, ``8000-8010/tcp`` -> {"80/tcp", ...} (docker's portOp)."""
    out: set[str] = set()
    for value in f.get(key):
        if ":" in value:
            raise HutchError(f"filter for '{key}' should not contain ':': {value}")
        ports, _, proto = value.partition("/")
        start, _, end = ports.partition("-")
        try:
            lo, hi = int(start), int(end or start)
        except ValueError:
            raise HutchError(f"invalid range specified for {key}: {ports}") from None
        out |= {f"{p}/{proto or 'tcp'}" for p in range(lo, hi + 1)}
    return out


def _find(records: list[Record], ref: str) -> Record:
    for r in records:
        if ref in (r["id"], r["name"]):
            return r
    hits = [r for r in records if r["id"].startswith(ref)]
    if len(hits) == 1:
        return hits[0]
    raise HutchError(f"No such container: {ref}")


def select(records: list[Record], pairs: list[tuple[str, str]],
           image_id: Callable[[str], str | None]) -> tuple[list[Record], bool]:
    """The records (newest first) the filters keep, and whether a ``status`` filter was given
    (docker then lists stopped containers without ``-a``). ``image_id`` resolves an image
    reference (None when there is no such image)."""
    f = Filters(pairs).validate(ACCEPTED)
    exited: list[int] = []
    for value in f.get("exited"):
        try:
            exited.append(int(value))
        except ValueError:
            raise HutchError(f"invalid filter 'exited={value}': strconv.Atoi: parsing \"{value}\": "
                             "invalid syntax") from None
    for value in f.get("status"):
        if value not in STATES:
            raise HutchError(f"invalid filter 'status={value}'")
    for value in f.get("is-task"):
        if value not in ("true", "false"):
            raise HutchError(f"invalid filter 'is-task={value}'")
    for value in f.get("health"):
        if value not in HEALTH:
            raise HutchError(f"unrecognized filter value for health: {value}")
    before = [_find(records, v)["id"] for v in f.get("before")][-1:]
    since = [_find(records, v)["id"] for v in f.get("since")][-1:]
    images = {i for i in (image_id(v) for v in f.get("ancestor")) if i}
    publish, expose = _ports(f, "publish"), _ports(f, "expose")

    out: list[Record] = []
    for r in records:
        if before:  # (newest first: what comes before the container is newer than it)
            if r["id"] == before[0]:
                before = []
            continue
        if since and r["id"] == since[0]:
            break
        st = r["state"]
        running = st["status"] in ("running", "paused")
        if not (f.match("name", "/" + r["name"]) or f.match("name", r["name"])) or not f.match("id", r["id"]):
            continue
        if not f.labels("label", r.get("labels") or {}) or not f.match("isolation", "default"):
            continue
        if "true" in f.get("is-task") and "false" not in f.get("is-task"):
            continue
        if exited and not (not running and st.get("started_at") and st.get("exit_code") in exited):
            continue
        health = str((st.get("health") or {}).get("Status") or "none")
        if not f.match("status", state(r)) or not f.exact("health", health):
            continue
        if "volume" in f:
            mounted = {str(v.get(k, "")) for v in r.get("volumes") or [] for k in ("Name", "Destination")}
            if not mounted & set(f.get("volume")):
                continue
        if "ancestor" in f and r.get("image_id") not in images:
            continue
        if "network" in f:
            places = r.get("networks") or {}
            names = {str(r.get("network", "")), *(str(c.get("name", "")) for c in r.get("connected") or []),
                     *(str(p.get("name", "")) for p in places.values())}
            if not any(v in names or any(nid.startswith(v) for nid in places) for v in f.get("network")):
                continue
        if publish or expose:
            ports = (r.get("ports") or {}) if running else {}  # (docker: the ports of a running one)
            private = set(ports) | (set(r.get("exposed") or []) if running else set())
            public = {f"{b.get('HostPort')}/{port.partition('/')[2]}"
                      for port, binds in ports.items() for b in binds}
            if not (private & expose or public & publish):
                continue
        out.append(r)
    return out, "status" in f
