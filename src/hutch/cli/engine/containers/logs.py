"""`hutch logs`: a container's output from its json-file log, or followed."""

from __future__ import annotations

import sys
import time

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--follow", action="store_true")
    p.add_argument("-n", "--tail", default="all")
    p.add_argument("-t", "--timestamps", action="store_true")
    p.add_argument("container")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import jsonlog

    record = eng.find(a.container)
    path = eng.log_path(record)
    tail = -1
    if a.tail != "all":
        try:
            tail = int(a.tail)
        except ValueError:
            raise HutchError(f"invalid --tail {a.tail!r}: a number or all") from None

    def show(stream: str, stamp: str, text: str) -> None:
        out = sys.stdout.buffer if stream == "stdout" else sys.stderr.buffer
        out.write(((stamp + " ") if a.timestamps else "").encode() + text.encode())
        out.flush()

    entries = list(jsonlog.read(path))
    for entry in entries[-tail:] if tail > 0 else [] if tail == 0 else entries:
        show(*entry)
    if not a.follow:
        return 0
    follower = jsonlog.Follower(path)
    while True:
        running = eng.is_running(record)
        for entry in follower.new():
            show(*entry)
        if not running:
            for entry in follower.new():
                show(*entry)
            return 0
        time.sleep(0.1)
