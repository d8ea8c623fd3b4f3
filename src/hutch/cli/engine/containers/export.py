"""`hutch export` (`container export`): a container's filesystem as a tar archive, as docker's:
to ``-o FILE`` or to standard output, which must not be a terminal."""

from __future__ import annotations

import os
import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-o", "--output", default=None, help="write to a file, instead of standard output")
    p.add_argument("container")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.copy import CopyError, export

    eng.find(a.container)  # (no such container: before a file is made)
    try:
        if a.output is None:
            if sys.stdout.isatty():
                raise HutchError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
            sys.stdout.flush()
            export(eng, a.container, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return 0
        try:
            with open(a.output, "wb") as f:
                export(eng, a.container, f)
        except BaseException:
            try:
                os.unlink(a.output)
            except OSError:
                pass
            raise
    except CopyError as err:
        raise HutchError(f"export: {err}") from err
    except OSError as err:
        raise HutchError(f"failed to export container: {err.strerror or err}") from err
    return 0
