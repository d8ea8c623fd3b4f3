"""`hutch restart`: stop, then start containers (`stop`'s flags)."""

from __future__ import annotations

from hutch.cli.engine.containers import stop
from hutch.cli.engine.containers._each import each

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    """`stop`'s."""
    stop.flags(p)


def handle(eng: Engine, a: Namespace) -> int:
    return each(eng, a.containers, lambda r: eng.restart(r, a.time))
