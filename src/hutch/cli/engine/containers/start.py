"""`hutch start`: start stopped containers; with -a or -i, attached to one."""

from __future__ import annotations

import sys

from hutch.cli.engine.containers._each import each
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine
    from hutch.engine.records import Record


def flags(p: Parser) -> None:
    p.add_argument("-a", "--attach", action="store_true", help="Attach STDOUT/STDERR and forward signals")
    p.add_argument("-i", "--interactive", action="store_true", help="Attach container's STDIN")
    p.add_argument("containers", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.containers import StartFailed

    if a.attach or a.interactive:
        if len(a.containers) != 1:
            raise HutchError("you cannot start and attach multiple containers at once")
        record = eng.find(a.containers[0])
        cfg = record.get("config", {})
        try:
            started = eng.start(record, attach=True)
        except StartFailed as err:
            sys.stderr.write(f"Error: {err}\n")
            return err.code
        return eng.attached(started, stdin=a.interactive and bool(cfg.get("stdin")), tty=bool(cfg.get("tty")))

    def go(r: Record) -> None:
        if r["state"]["status"] in ("running", "paused"):
            return  # docker: starting a running container is not an error
        eng.start(r)

    return each(eng, a.containers, go)
