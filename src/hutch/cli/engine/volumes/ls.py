"""`hutch volume ls|list`: docker's volume table."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-q", "--quiet", action="store_true")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.volumes import VolumeStore

    vols = VolumeStore(eng.root).all()
    if a.quiet:
        sys.stdout.write("".join(v["Name"] + "\n" for v in vols))
    else:
        width = max([len("VOLUME NAME"), *(len(v["Name"]) for v in vols)])
        sys.stdout.write("DRIVER    VOLUME NAME\n")
        sys.stdout.write("".join(f"{v['Driver']:<9} {v['Name']:<{width}}".rstrip() + "\n" for v in vols))
    return 0
