"""`hutch network ls|list`: docker's network table, its --filter keys and --format templates."""

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
    p.add_argument("-q", "--quiet", action="store_true", help="only the network ids")
    p.add_argument("--no-trunc", action="store_true", help="whole network ids")
    p.add_argument("-f", "--filter", action="append", type=_filter, metavar="filter",
                   help="driver, id, label (key or key=value), name, scope, type (custom or builtin), "
                        "dangling (true or false)")
    p.add_argument("--format", default="", help="table, json or a Go template")


DEFAULT = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
#: docker's networkContext header (cli/command/network/formatter.go)
HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv4": "IPV4",
           "IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT"}
FILTERS = ("dangling", "driver", "id", "label", "name", "scope", "type")


def context(n: dict[str, Any], trunc: bool) -> Struct:
    """What a --format template sees of a network: docker's networkContext."""
    from hutch.cli.fmt import go_time
    from hutch.cli.gotemplate import Struct

    labels: dict[str, str] = n.get("Labels") or {}

    def label(name: str) -> str:
        return str(labels.get(name, ""))

    return Struct("*network.networkContext", {
        "ID": n["Id"][:12] if trunc else n["Id"], "Name": n["Name"], "Driver": n["Driver"],
        "Scope": n["Scope"], "IPv4": "true", "IPv6": "true" if n.get("EnableIPv6") else "false",
        "Internal": "true" if n.get("Internal") else "false",
        "Labels": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        "CreatedAt": go_time(str(n.get("Created", ""))), "Label": label})


def select(nets: list[dict[str, Any]], pairs: list[tuple[str, str]],
           on: dict[str, list[str]]) -> list[dict[str, Any]]:
    """docker's filterNetworks: ``on`` is network id -> the containers on it."""
    from hutch.cli.filters import Filters
    from hutch.errors import HutchError
    from hutch.network.store import PREDEFINED

    f = Filters(pairs).validate(FILTERS)
    out = [n for n in nets
           if f.exact("driver", n["Driver"]) and f.match("name", n["Name"]) and f.match("id", n["Id"])
           and f.labels("label", n.get("Labels") or {}) and f.exact("scope", n["Scope"])]
    dangling = f.boolean("dangling")
    if dangling is not None:  # (no container on it; the predefined networks are never dangling)
        out = [n for n in out if (n["Name"] not in PREDEFINED and not on.get(n["Id"])) == dangling]
    if "type" in f:
        typed: list[dict[str, Any]] = []
        for kind in f.get("type"):
            if kind not in ("custom", "builtin"):
                raise HutchError(f"invalid filter: 'type'='{kind}'")
            typed += [n for n in out if (n["Name"] in PREDEFINED) == (kind == "builtin")]
        out = typed
    return out


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli import gotemplate
    from hutch.network.store import Networks

    nets = Networks(eng.root).listed()
    if a.filter:
        from hutch.engine.netattach import network_users

        dangling = any(k == "dangling" for k, _ in a.filter)
        nets = select(nets, a.filter, network_users(eng.records()) if dangling else {})
    fmt = a.format or "table"
    if fmt == "table":
        fmt = "{{.ID}}" if a.quiet else DEFAULT
    sys.stdout.write(gotemplate.write(fmt, (context(n, not a.no_trunc) for n in nets), HEADERS))
    return 0
