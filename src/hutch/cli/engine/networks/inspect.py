"""`hutch network inspect`: networks as JSON."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("networks", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.engine.inspecting import print_documents
    from hutch.network.store import Networks

    store = Networks(eng.root)
    return print_documents(a.networks, store.get, lambda _ref, err: f"Error: {err}")
