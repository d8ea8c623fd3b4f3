"""`hutch create`: a container made as `run` makes it, left created (start it with `hutch start`)."""

from __future__ import annotations

import sys

from hutch.cli.engine.containers.run import check_cidfile, image_for, run_flags, run_request, write_cidfile
from hutch.errors import HutchError
from hutch.util.ignoring import ignoring

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    """`run`'s."""
    run_flags(p)


def handle(eng: Engine, a: Namespace) -> int:
    try:
        check_cidfile(a.cidfile)
        req = run_request(a)  # (every flag checked before any pull)
        image_for(eng, a)
        req.image = a.image
        record = eng.create(req)
        if a.cidfile:
            try:
                write_cidfile(a.cidfile, record["id"])
            except HutchError:
                with ignoring(HutchError):
                    eng.remove(record["id"], force=True)
                raise
        print(record["id"])
    except HutchError as err:
        sys.stderr.write(f"Error: {err}\n")
        return 125
    return 0
