"""`hutch volume prune`: remove unused anonymous volumes (all unused with -a; --filter label=,
label!=, all=)."""

from __future__ import annotations

import sys

from hutch.cli.engine.volumes.rm import in_use

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-a", "--all", action="store_true", help="all unused volumes, not just anonymous ones")
    p.add_argument("-f", "--force", action="store_true", help="(there is no prompt)")
    p.add_argument("--filter", action="append", type=_filter, metavar="filter", help="label, label!, all")


def _filter(raw: str) -> tuple[str, str]:
    from hutch.cli.filters import parse  # (only when a --filter is given)

    return parse(raw)


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.volumes import VolumeStore

    keep = None
    if a.filter:
        import time

        from hutch.cli.filters import Filters, prune_filter

        keep = prune_filter(a.filter, ("label", "label!", "all"), time.time_ns())
        a.all = a.all or Filters(a.filter).boolean("all") is True  # (docker's all=true is -a)
    gone = VolumeStore(eng.root).prune(in_use(eng), a.all, keep)
    if gone:
        sys.stdout.write("Deleted Volumes:\n" + "".join(n + "\n" for n in gone))
    print(f"Total reclaimed volumes: {len(gone)}")
    return 0
