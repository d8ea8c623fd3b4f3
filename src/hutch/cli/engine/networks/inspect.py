"""`hutch network inspect`: networks as JSON, with their running containers (docker's
``Containers``: name, MAC, IPv4 and IPv6 address of each)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    from hutch.cli.engine.inspecting import flags as inspect_flags

    inspect_flags(p)
    p.add_argument("networks", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.engine.inspecting import print_documents
    from hutch.engine import inspect

    return print_documents(a.networks, lambda ref: inspect.network(eng, ref),
                           lambda _ref, err: f"Error: {err}", a.format)
