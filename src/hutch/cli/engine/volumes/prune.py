"""`hutch volume prune`: remove unused anonymous volumes (all unused with -a)."""

from __future__ import annotations

import sys

from hutch.cli.engine.volumes.rm import in_use

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("-f", "--force", action="store_true", help="(there is no prompt)")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.volumes import VolumeStore

    gone = VolumeStore(eng.root).prune(in_use(eng), a.all)
    if gone:
        sys.stdout.write("Deleted Volumes:\n" + "".join(n + "\n" for n in gone))
    print(f"Total reclaimed volumes: {len(gone)}")
    return 0
