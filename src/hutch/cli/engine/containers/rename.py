"""`hutch rename`: give a container another name."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("container")
    p.add_argument("name")


def handle(eng: Engine, a: Namespace) -> int:
    eng.rename(eng.find(a.container), a.name)
    return 0
