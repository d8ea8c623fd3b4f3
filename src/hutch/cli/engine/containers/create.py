"""`hutch create`: a container made as `run` makes it, left created (start it with `hutch start`)."""

from __future__ import annotations

import sys

from hutch.cli.engine.containers.run import image_for, run_flags, run_request
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    """`run`'s."""
    run_flags(p)


def handle(eng: Engine, a: Namespace) -> int:
    try:
        image_for(eng, a)
        print(eng.create(run_request(a))["id"])
    except HutchError as err:
        sys.stderr.write(f"Error: {err}\n")
        return 125
    return 0
