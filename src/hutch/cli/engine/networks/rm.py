"""`hutch network rm|remove`: remove networks no container is on."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--force", action="store_true", help="no error for a missing network")
    p.add_argument("networks", nargs="+")


def users(eng: Engine) -> dict[str, list[str]]:
    """network id -> the names of the containers on it."""
    out: dict[str, list[str]] = {}
    for r in eng.records():
        for nid in r.get("networks") or {}:
            out.setdefault(str(nid), []).append(str(r["name"]))
    return out


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import events
    from hutch.network.store import Networks

    store, on = Networks(eng.root), users(eng)
    code = 0
    for ref in a.networks:
        try:
            net = store.remove(ref, lambda nid: on.get(nid, []))
            events.network(eng.root, "destroy", net)
            print(ref)
        except HutchError as err:
            if a.force and "not found" in str(err):
                continue
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    return code
