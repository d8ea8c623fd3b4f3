"""`hutch volume inspect`: volumes as JSON."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    from hutch.cli.engine.inspecting import flags as inspect_flags

    inspect_flags(p)
    p.add_argument("names", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.engine.inspecting import print_documents
    from hutch.engine.volumes import VolumeStore

    store = VolumeStore(eng.root)
    return print_documents(a.names, store.get, lambda _ref, err: f"Error: {err}", a.format)
