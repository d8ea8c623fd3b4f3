"""`hutch network rm|remove`: remove networks no container is on."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--force", action="store_true", help="no error for a missing network")
    p.add_argument("networks", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import events
    from hutch.engine.netattach import remove_network

    records = eng.records()
    code = 0
    for ref in a.networks:
        try:
            net = remove_network(eng.root, eng.runroot, records, ref)
            events.network(eng.root, "destroy", net)
            print(ref)
        except HutchError as err:
            if a.force and "not found" in str(err):
                continue
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    return code
