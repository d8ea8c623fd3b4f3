"""`hutch container inspect`: containers as JSON (docker's inspect document)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    from hutch.cli.engine.inspecting import flags as inspect_flags

    inspect_flags(p)
    p.add_argument("-s", "--size", action="store_true", help="with SizeRw and SizeRootFs (containers)")
    p.add_argument("objects", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.engine.inspecting import print_documents
    from hutch.engine import inspect

    return print_documents(a.objects, lambda ref: inspect.container(eng, eng.find(ref), a.size),
                           lambda _ref, err: f"Error: {err}", a.format)
