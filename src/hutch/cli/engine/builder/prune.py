"""`hutch builder prune`: remove the build cache: the build's step images no container uses
and the cache naming them; with -a the RUN --mount caches too."""

from __future__ import annotations

import sys

from hutch.cli.engine.system.prune import confirm

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--force", action="store_true", help="Do not prompt for confirmation")
    p.add_argument("-a", "--all", action="store_true",
                   help="Remove all unused build cache, the RUN --mount caches too")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.fmt import size
    from hutch.engine import prune

    if not confirm(a, "all dangling build cache" if not a.all else "all build cache"):
        return 0
    ids, freed = prune.build_cache(eng, everything=a.all)
    if ids:
        sys.stdout.write("Deleted build cache objects:\n" + "".join(i[:25] + "\n" for i in ids) + "\n")
    sys.stdout.write(f"Total reclaimed space: {size(freed)}\n")
    return 0
