"""`hutch volume rm|remove`: remove volumes no container uses."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--force", action="store_true", help="no error for a missing volume")
    p.add_argument("names", nargs="+")


def in_use(eng: Engine) -> set[str]:
    """The names of the volumes that containers use."""
    return {str(v["Name"]) for r in eng.records() for v in r.get("volumes") or []}


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.volumes import VolumeStore

    store = VolumeStore(eng.root)
    code, used = 0, in_use(eng)
    for name in a.names:
        try:
            store.remove(name, used)
            print(name)
        except HutchError as err:
            if a.force and "No such volume" in str(err):
                continue
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    return code
