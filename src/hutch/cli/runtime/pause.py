"""pause, resume: freeze and thaw the container's processes (runc's pause.go has both)."""

from __future__ import annotations

from hutch.cli.args import Args, Flag, need_id
from hutch.cli.log import Log
from hutch.container.pause import pause, resume
from hutch.container.store import Store


def flags() -> list[Flag]:
    return []



def handle(name: str, g: Args, a: Args, log: Log) -> int:
    store = Store(g.text("root"))
    cid = need_id(a, name)
    if name == "pause":
        pause(store, cid)
    else:
        resume(store, cid)
    return 0
