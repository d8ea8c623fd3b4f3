"""`hutch inspect`: containers, else images, as JSON (docker's inspect documents)."""

from __future__ import annotations

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from hutch.engine.containers import Engine


def flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("objects", nargs="+")


def handle(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.cli.engine.inspecting import print_documents
    from hutch.engine import inspect

    def document(ref: str) -> Any:
        try:
            return inspect.container(eng, eng.find(ref))
        except HutchError:
            return inspect.image(eng.images.get(ref))

    return print_documents(a.objects, document, lambda ref, _err: f"Error: No such object: {ref}")
