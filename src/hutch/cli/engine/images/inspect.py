"""`hutch image inspect`: images as JSON (docker's inspect document)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    from hutch.cli.engine.inspecting import flags as inspect_flags

    inspect_flags(p)
    p.add_argument("images", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.engine.inspecting import print_documents
    from hutch.engine import inspect

    return print_documents(a.images, lambda ref: inspect.image(eng.images.get(ref)),
                           lambda ref, _err: f"Error: No such object: {ref}", a.format)
