"""`hutch update`: change a container's settings; docker's ``--restart`` (the restart policy
the supervisor applies at the container's next exit)."""

from __future__ import annotations

import sys

from hutch.cli.engine.containers._each import each
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("--restart", default=None, help="no, always, unless-stopped or on-failure[:N]")
    p.add_argument("containers", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    if a.restart is None:
        sys.stderr.write("Error: you must provide one or more flags when using this command\n")
        return 1
    from hutch.engine import restartpolicy

    try:
        policy = restartpolicy.parse(a.restart)
    except HutchError as err:
        sys.stderr.write(f"Error: {err}\n")
        return 1
    return each(eng, a.containers, lambda r: eng.update_restart(r, policy))
