"""`hutch stop`: stop running containers (their stop signal, then KILL after the timeout)."""

from __future__ import annotations

from hutch.cli.engine.containers._each import each

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    """`stop`'s and `restart`'s."""
    p.add_argument("-t", "--time", "--timeout", type=int, default=None, dest="time",
                   help="seconds to wait before killing it")
    p.add_argument("containers", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    return each(eng, a.containers, lambda r: eng.stop(r, a.time))
