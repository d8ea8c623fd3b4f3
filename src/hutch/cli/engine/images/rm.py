"""`hutch rmi` (and `image rm`): remove images."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--force", action="store_true",
                   help="untag an image that containers use (it stays, untagged, while they exist)")
    p.add_argument("images", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.rmi import remove_image

    code = 0
    for ref in a.images:
        try:
            for line in remove_image(eng, ref, force=a.force):
                print(line)
        except HutchError as err:
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    return code
