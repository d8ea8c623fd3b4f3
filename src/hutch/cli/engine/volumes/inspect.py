"""`hutch volume inspect`: volumes as JSON."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from hutch.engine.containers import Engine


def flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="+")


def handle(eng: Engine, a: argparse.Namespace) -> int:
    import json

    from hutch.engine.volumes import VolumeStore

    store = VolumeStore(eng.root)
    docs, code = [], 0
    for name in a.names:
        try:
            docs.append(store.get(name))
        except HutchError as err:
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    sys.stdout.write(json.dumps(docs, indent=4) + "\n")
    return code
