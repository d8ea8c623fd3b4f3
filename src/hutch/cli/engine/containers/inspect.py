"""`hutch container inspect`: containers as JSON (docker's inspect document)."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from hutch.engine.containers import Engine


def flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("objects", nargs="+")


def handle(eng: Engine, a: argparse.Namespace) -> int:
    import json

    from hutch.engine import inspect

    docs, code = [], 0
    for ref in a.objects:
        try:
            docs.append(inspect.container(eng, eng.find(ref)))
        except HutchError as err:
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    sys.stdout.write(json.dumps(docs, indent=4) + "\n")
    return code
