"""`hutch network inspect`: networks as JSON, with their running containers (docker's
``Containers``: name, MAC, IPv4 and IPv6 address of each)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("networks", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.engine.inspecting import print_documents
    from hutch.network.store import Networks

    store, records = Networks(eng.root), eng.records()

    def document(ref: str) -> dict[str, Any]:
        net = dict(store.get(ref))
        net["Containers"] = {
            r["id"]: {"Name": r["name"], "MacAddress": place.get("mac", ""),
                      "IPv4Address": f"{place.get('ip', '')}/{place.get('prefix', 0)}",
                      "IPv6Address": f"{place['ip6']}/{place.get('prefix6', 0)}" if place.get("ip6") else ""}
            for r in records for nid, place in (r.get("networks") or {}).items() if nid == net["Id"]}
        return net

    return print_documents(a.networks, document, lambda _ref, err: f"Error: {err}")
