"""`hutch image prune`: remove dangling (with -a: unused) images."""

from __future__ import annotations

from hutch.cli.engine.system.prune import confirm, print_prune, prune_flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    prune_flags(p, all_flag=True)


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import prune

    what = "all images without at least one container associated to them" if a.all \
        else "all dangling images"
    if not confirm(a, what):
        return 0
    images, freed = prune.images(eng, everything=a.all)
    print_prune([], images, freed)
    return 0
