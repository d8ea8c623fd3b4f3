"""`hutch inspect`: containers, else images, as JSON (docker's inspect documents)."""

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
    from hutch.engine import inspect

    docs, code = [], 0
    for ref in a.objects:
        try:
            try:
                docs.append(inspect.container(eng, eng.find(ref)))
                continue
            except HutchError:
                pass
            docs.append(inspect.image(eng.images.get(ref)))
        except HutchError:
            sys.stderr.write(f"Error: No such object: {ref}\n")
            code = 1
    import json

    sys.stdout.write(json.dumps(docs, indent=4) + "\n")
    return code
