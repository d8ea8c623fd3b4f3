"""start: run the program of a created container (runc's start.go)."""

from __future__ import annotations

from hutch.cli.args import Args, Flag, need_id
from hutch.cli.log import Log
from hutch.container.store import Store


def flags() -> list[Flag]:
    return []


def handle(name: str, g: Args, a: Args, log: Log) -> int:
    from hutch.container.start import start

    start(Store(g.text("root")), need_id(a, name), log.warn)
    return 0
