"""`hutch kill`: send a signal to running containers."""

from __future__ import annotations

from hutch.cli.engine.containers._each import each

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-s", "--signal", default="KILL", help="Signal to send to the container")
    p.add_argument("containers", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.containers import signal_number

    signal_number(a.signal)  # a bad signal: one error, before any container
    return each(eng, a.containers, lambda r: eng.kill(r, a.signal))
