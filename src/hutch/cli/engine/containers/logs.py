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
    p.add_argument("-f", "--follow", action="store_true", help="follow log output")
    p.add_argument("-n", "--tail", default="all", help="number of lines to show from the end of the logs")
    p.add_argument("-t", "--timestamps", action="store_true", help="show timestamps")
    p.add_argument("--since", default="",
                   help="show logs since a time (2013-01-02T13:23:37Z) or relative (42m: 42 minutes ago)")
    p.add_argument("--until", default="",
                   help="show logs before a time (2013-01-02T13:23:37Z) or relative (42m: 42 minutes ago)")
    p.add_argument("--details", action="store_true", help="show extra details provided to logs")
    p.add_argument("container")


def _bound(value: str, flag: str, now_ns: int) -> int:
    """--since/--until as nanoseconds since the epoch (0: not given)."""
    if not value:
        return 0
    from hutch.util.timefmt import timestamp_ns

    try:
        return timestamp_ns(value, now_ns)
    except ValueError as err:
        raise HutchError(f"invalid value for {flag}: {err}") from None


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import jsonlog
    from hutch.util.timefmt import parse_ns

    record = eng.find(a.container)
    path = eng.log_path(record)
    tail = -1
    if a.tail != "all":
        try:
            tail = int(a.tail)
        except ValueError:
            raise HutchError(f"invalid --tail {a.tail!r}: a number or all") from None
    now = time.time_ns()
    since, until = _bound(a.since, "--since", now), _bound(a.until, "--until", now)

    def show(stream: str, stamp: str, text: str) -> bool:
        """Write one entry (as docker: --since keeps those at or after it, --until stops at the
        first after it); whether to go on."""
        if since or until:
            try:
                at = parse_ns(stamp)
            except ValueError:
                at = 0
            if until and at > until:
                return False
            if since and at < since:
                return True
        out = sys.stdout.buffer if stream == "stdout" else sys.stderr.buffer
        details = " " if a.details else ""  # (docker's attrs, k=v,...: the json-file log has none here)
        out.write(((stamp + " ") if a.timestamps else "").encode() + (details + text).encode())
        out.flush()
        return True

    if a.follow:  # the current file through the follower itself: no line between read and follow lost
        follower = jsonlog.Follower(path, at_end=False)
        entries = [e for name in jsonlog.files(path) if name != path for e in jsonlog.read_file(name)]
        entries += follower.new()
    else:
        entries = list(jsonlog.read(path))
    for entry in entries[-tail:] if tail > 0 else [] if tail == 0 else entries:
        if not show(*entry):
            return 0
    if not a.follow:
        return 0
    while True:
        running = eng.is_running(record)
        for entry in follower.new():
            if not show(*entry):
                return 0
        if not running:
            for entry in follower.new():
                if not show(*entry):
                    return 0
            return 0
        if until and time.time_ns() > until:
            return 0
        time.sleep(0.1)
