"""`hutch update`: change a container's settings; docker's ``--restart`` (the restart policy
the supervisor applies at the container's next exit)."""

from __future__ import annotations

import sys

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
        sys.stderr.write("hutch: you must provide one or more flags when using this command\n")
        return 1
    from hutch.engine import restartpolicy

    try:
        policy = restartpolicy.parse(a.restart)
    except HutchError as err:
        sys.stderr.write(f"hutch: {err}\n")
        return 1
    status = 0
    for ref in a.containers:
        try:
            eng.update_restart(eng.find(ref), policy)
            print(ref)
        except HutchError as err:
            sys.stderr.write(f"hutch: {err}\n")
            status = 1
    return status
