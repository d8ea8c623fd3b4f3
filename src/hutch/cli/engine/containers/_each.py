"""What the container verbs that take several containers share: docker's one line per container."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from hutch.engine.containers import Engine
    from hutch.engine.records import Record


def each(eng: Engine, refs: list[str], act: Callable[[Record], object], echo: bool = True) -> int:
    """Apply ``act`` to each container, as docker does: print the name given, or one error
    line; exit 1 if any failed."""
    code = 0
    for ref in refs:
        try:
            out = act(eng.find(ref))
            if echo:
                print(ref if out is None else out, flush=True)
        except HutchError as err:
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    return code
