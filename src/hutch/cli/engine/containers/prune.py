"""`hutch container prune`: remove all stopped containers."""

from __future__ import annotations

from hutch.cli.engine.system.prune import confirm, print_prune, prune_flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    prune_flags(p)


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import prune

    if not confirm(a, "all stopped containers"):
        return 0
    ids, freed = prune.containers(eng)
    print_prune(ids, [], freed)
    return 0
