"""`hutch push` (and `image push`): upload an image to a registry."""

from __future__ import annotations

import sys

from hutch.cli.engine.images.registry import registry_flags, session

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="print only the digest")
    p.add_argument("--chunk-size", type=int, default=0, help="upload in chunks of this many bytes "
                                                              "(default: each blob in one request)")
    registry_flags(p)
    p.add_argument("image", metavar="NAME[:TAG]")
    p.add_argument("dest", nargs="?", default=None, metavar="DESTINATION")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.image.registry.progress import Progress
    from hutch.image.registry.push import push

    s = session(a)
    try:
        digest = push(eng.images, s, a.image, a.dest, Progress(sys.stdout, quiet=a.quiet), chunk=a.chunk_size)
    finally:
        s.close()
    from hutch.engine import events

    events.image(eng.root, "push", a.dest or a.image)
    if a.quiet:
        print(digest)
    return 0
