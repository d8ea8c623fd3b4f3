"""kill: send a signal to the container's init, or with --all to all its processes (runc's kill.go)."""

from __future__ import annotations

from hutch.cli.args import Args, Flag, need_id
from hutch.cli.log import Log
from hutch.container.store import Store


def flags() -> list[Flag]:
    return [Flag("all", "a")]


def handle(name: str, g: Args, a: Args, log: Log) -> int:
    from hutch.container.kill import kill, parse_signal

    cid = need_id(a, name, extra_ok=len(a.args) == 2)
    sig = parse_signal(a.args[1]) if len(a.args) > 1 else 15
    kill(Store(g.text("root")), cid, sig, a.flag("all"))
    return 0
