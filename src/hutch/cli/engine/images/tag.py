"""`hutch tag`: give an image another name."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("source")
    p.add_argument("target")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import events
    from hutch.image import reference

    image = eng.images.get(a.source)
    eng.images.tag(a.target, image.manifest_digest)
    events.image(eng.root, "tag", image.id, reference.familiar(reference.normalize(a.target)))
    return 0
