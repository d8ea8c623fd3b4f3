"""`hutch inspect [--type container|image|volume|network]`: docker's documents as JSON; without
--type, the first kind that has the name, in docker's order (container, image, network, volume)."""

from __future__ import annotations

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine

KINDS = ("container", "image", "network", "volume")


def flags(p: Parser) -> None:
    from hutch.cli.engine.inspecting import flags as inspect_flags

    inspect_flags(p)
    p.add_argument("-s", "--size", action="store_true", help="with SizeRw and SizeRootFs (containers)")
    p.add_argument("--type", default="", help="only this kind of object: container, image, network or volume")
    p.add_argument("objects", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.engine.inspecting import print_documents
    from hutch.engine import inspect

    if a.type and a.type not in KINDS:
        raise HutchError(f'"{a.type}" is not a valid value for --type')

    def volume(ref: str) -> Any:
        from hutch.engine.volumes import VolumeStore

        return VolumeStore(eng.root).get(ref)

    finders: dict[str, Callable[[str], Any]] = {
        "container": lambda ref: inspect.container(eng, eng.find(ref), a.size),
        "image": lambda ref: inspect.image(eng.images.get(ref)),
        "network": lambda ref: inspect.network(eng, ref),
        "volume": volume,
    }
    kinds = [a.type] if a.type else list(KINDS)

    def document(ref: str) -> Any:
        for kind in kinds:
            try:
                return finders[kind](ref)
            except HutchError:
                continue
        raise HutchError(f"No such object: {ref}")

    return print_documents(a.objects, document, lambda ref, _err: f"Error: No such object: {ref}", a.format)
