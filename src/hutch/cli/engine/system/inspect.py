"""`hutch inspect`: containers, else images, as JSON (docker's inspect documents)."""

from __future__ import annotations

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("objects", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.engine.inspecting import print_documents
    from hutch.engine import inspect

    def document(ref: str) -> Any:
        try:
            return inspect.container(eng, eng.find(ref))
        except HutchError:
            return inspect.image(eng.images.get(ref))

    return print_documents(a.objects, document, lambda ref, _err: f"Error: No such object: {ref}")
