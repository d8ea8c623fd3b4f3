"""`hutch wait`: wait for containers to stop; print their exit codes."""

from __future__ import annotations

from hutch.cli.engine.containers._each import each

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("containers", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    return each(eng, a.containers, eng.wait)
