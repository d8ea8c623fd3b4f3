"""`hutch volume inspect`: volumes as JSON."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from hutch.engine.containers import Engine


def flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="+")


def handle(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.cli.engine.inspecting import print_documents
    from hutch.engine.volumes import VolumeStore

    store = VolumeStore(eng.root)
    return print_documents(a.names, store.get, lambda _ref, err: f"Error: {err}")
