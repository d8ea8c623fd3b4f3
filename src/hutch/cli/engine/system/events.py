"""`hutch events` (`system events`): the store's event journal (hutch.engine.events), as docker's.

Without ``--since`` only events from now on are shown; without ``--until`` it follows the
journal (as `tail -f`: it polls the file, and reads the new file when the journal was
rotated under it) until interrupted. Times are docker's forms (api/types/time.GetTimestamp):
RFC 3339 (with or without a zone, a date alone), Unix seconds with an optional fraction,
or a Go duration before now (``10m``). ``--filter`` is docker's: type, event, container,
image, volume, network, label; values of one key are alternatives, keys must all match.
The text is docker's line:

    2026-12-07T21:00:00.000000000Z container start ID (image=hbox:1, name=web)
"""

from __future__ import annotations

import sys
import time

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("--since", default="", help="show events created since this time")
    p.add_argument("--until", default="", help="stream events until this time")
    p.add_argument("-f", "--filter", action="append", default=[], help="filter output (key=value)")
    p.add_argument("--format", default="", help="format the output with a Go template")


def go_time(ns: int) -> str:
    """Go's RFC3339Nano-fixed in local time, as docker prints it (``Z`` for UTC)."""
    secs, frac = divmod(ns, 1_000_000_000)
    t = time.localtime(secs)
    off = t.tm_gmtoff or 0
    zone = "Z" if off == 0 else f"{'+' if off > 0 else '-'}{abs(off) // 3600:02d}:{abs(off) % 3600 // 60:02d}"
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{frac:09d}{zone}"


def line(ev: dict[str, Any]) -> str:
    actor = ev.get("Actor") or {}
    attrs = actor.get("Attributes") or {}
    shown = ", ".join(f"{k}={attrs[k]}" for k in sorted(attrs))
    head = f"{go_time(int(ev.get('timeNano', 0)))} {ev.get('Type')} {ev.get('Action')} {actor.get('ID', '')}"
    return head + (f" ({shown})" if shown else "")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.eventstream import docker_message, parse_filters, stream
    from hutch.util.timefmt import timestamp_ns

    now = time.time_ns()
    try:
        filters = parse_filters(a.filter)
        start = timestamp_ns(a.since, now) if a.since else now
        until = timestamp_ns(a.until, now) if a.until else None
    except (HutchError, ValueError) as err:
        sys.stderr.write(f"Error: {err}\n")
        return 1
    fmt = "{{json .}}" if a.format == "json" else a.format  # (docker's --format json)
    if fmt:
        from hutch.cli.gotemplate import render
    try:
        for ev in stream(eng.root, start, until, filters):
            sys.stdout.write((render(fmt, docker_message(ev)) if fmt else line(ev)) + "\n")
            sys.stdout.flush()
    except BrokenPipeError:
        pass
    except KeyboardInterrupt:
        return 0
    return 0
