"""events [--stats] [--interval DURATION]."""

from __future__ import annotations

import sys

from hutch.cli.args import Args, Flag, need_id
from hutch.cli.log import Log
from hutch.container.store import Store
from hutch.errors import InvalidArgument
from hutch.util.units import parse_duration


def _emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def flags() -> list[Flag]:
    return [Flag("stats"), Flag("interval", value=True, default="5s")]



def handle(name: str, g: Args, a: Args, log: Log) -> int:
    from hutch.container import events

    store = Store(g.text("root"))
    cid = need_id(a, name)
    interval = parse_duration(a.text("interval"))
    if interval <= 0:
        raise InvalidArgument("duration interval must be greater than 0")
    if a.flag("stats"):
        _emit(events.event_line("stats", cid, events.stats(store, cid)))
        return 0
    try:
        events.watch(store, cid, interval, _emit, log.warn)
    except BrokenPipeError:  # the reader went away
        return 0
    return 0
