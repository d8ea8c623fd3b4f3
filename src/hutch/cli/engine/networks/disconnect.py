"""`hutch network disconnect`: a container leaves a network (now, if it runs)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--force", action="store_true", help="no error when it is not connected")
    p.add_argument("network")
    p.add_argument("container")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import netattach
    from hutch.errors import HutchError

    try:
        netattach.disconnect(eng.store, eng.find(a.container), eng.root, a.network)
    except HutchError as err:
        if not (a.force and "is not connected" in str(err)):
            raise
    return 0
