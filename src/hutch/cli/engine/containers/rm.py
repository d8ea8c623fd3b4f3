"""`hutch rm` (and `container rm`): remove containers."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--force", action="store_true",
                   help="Force the removal of a running container (uses SIGKILL)")
    p.add_argument("-v", "--volumes", action="store_true", help="remove its anonymous volumes too")
    p.add_argument("containers", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    code = 0
    for ref in a.containers:
        try:
            eng.remove(ref, a.force, volumes=a.volumes)
            print(ref)
        except HutchError as err:
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    return code
