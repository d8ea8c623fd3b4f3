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

import os
import sys
import time

from hutch.engine import events
from hutch.errors import HutchError
from hutch.util import timefmt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine

FILTER_KEYS = ("type", "event", "container", "image", "volume", "network", "label")
POLL = 0.1


def flags(p: Parser) -> None:
    p.add_argument("--since", default="", help="show events created since this time")
    p.add_argument("--until", default="", help="stream events until this time")
    p.add_argument("-f", "--filter", action="append", default=[], help="filter output (key=value)")
    p.add_argument("--format", default="", help="format the output with a Go template")


def parse_filters(given: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in given:
        key, eq, value = f.partition("=")
        if not eq:
            raise HutchError(f"bad format of filter (expected name=value): {f}")
        if key not in FILTER_KEYS:
            raise HutchError(f"invalid filter '{key}'")
        out.setdefault(key, set()).add(value)
    return out


def matches(ev: dict[str, Any], filters: dict[str, set[str]]) -> bool:
    actor = ev.get("Actor") or {}
    attrs = actor.get("Attributes") or {}
    kind, ident = ev.get("Type", ""), str(actor.get("ID", ""))

    def named(values: set[str]) -> bool:  # an id, its prefix, or the name
        return any(v == attrs.get("name") or (v and ident.startswith(v)) for v in values)

    for key, values in filters.items():
        if key == "type" and kind not in values:
            return False
        if key == "event" and ev.get("Action", "").partition(":")[0] not in values:
            return False
        if key in ("container", "volume", "network") and (kind != key or not named(values)):
            return False
        if key == "image" and not (attrs.get("image") in values or (kind == "image" and named(values))):
            return False
        if key == "label" and not any(attrs.get(v.partition("=")[0]) == v.partition("=")[2] if "=" in v
                                      else v in attrs for v in values):
            return False
    return True


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


def docker_message(ev: dict[str, Any]) -> dict[str, Any]:
    """The event as docker's API sends it: the old status, id and from fields as well."""
    out: dict[str, Any] = {}
    actor = ev.get("Actor") or {}
    if ev.get("Type") in ("container", "image"):
        out = {"status": ev.get("Action"), "id": actor.get("ID", "")}
        if ev.get("Type") == "container":
            out["from"] = (actor.get("Attributes") or {}).get("image", "")
    out.update(ev)
    return out


class Journal:
    """Reads the journal from its start, then (``follow``) what is appended to it."""

    def __init__(self, root: str) -> None:
        self.path = events.path(root)
        self.fd = -1
        self.ino = 0
        self.buf = b""

    def _open(self) -> bool:
        try:
            self.fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        self.ino = os.fstat(self.fd).st_ino
        return True

    def _lines(self) -> Iterator[bytes]:
        while chunk := os.read(self.fd, 1 << 16):
            self.buf += chunk
            *done, self.buf = self.buf.split(b"\n")
            yield from done

    def history(self) -> Iterator[bytes]:
        """events.jsonl.1, then the journal as it is now."""
        try:
            with open(self.path + ".1", "rb") as f:
                yield from f
        except FileNotFoundError:
            pass
        if self._open():
            yield from self._lines()

    def more(self) -> Iterator[bytes]:
        """What was appended since; after a rotation, the rest of the old file, then the new one."""
        if self.fd < 0:
            if self._open():
                yield from self._lines()
            return
        yield from self._lines()
        try:
            rotated = os.stat(self.path).st_ino != self.ino
        except FileNotFoundError:
            rotated = False
        if rotated:
            os.close(self.fd)
            self.fd, self.buf = -1, b""
            if self._open():
                yield from self._lines()


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.fastjson import loads

    try:
        filters = parse_filters(a.filter)
        start = timefmt.docker_timestamp(a.since) if a.since else time.time_ns()
        until = timefmt.docker_timestamp(a.until) if a.until else None
    except HutchError as err:
        sys.stderr.write(f"Error: {err}\n")
        return 1
    if a.format:
        from hutch.cli.engine.system._template import render  # TO BE REPLACED: hutch.cli.gotemplate

    def show(raw: bytes) -> bool:
        """Print one journal line if it is wanted; False once past --until."""
        try:
            ev: Any = loads(raw)
        except ValueError:
            return True
        if not isinstance(ev, dict):
            return True
        ns = int(ev.get("timeNano", 0))
        if until is not None and ns > until:
            return False
        if ns >= start and matches(ev, filters):
            sys.stdout.write((render(a.format, docker_message(ev)) if a.format else line(ev)) + "\n")
            sys.stdout.flush()
        return True

    journal = Journal(eng.root)
    try:
        for raw in journal.history():
            if raw.strip() and not show(raw):
                return 0
        while until is None or time.time_ns() <= until:
            for raw in journal.more():
                if raw.strip() and not show(raw):
                    return 0
            time.sleep(POLL)
        for raw in journal.more():  # (what was written up to --until)
            if raw.strip() and not show(raw):
                return 0
    except BrokenPipeError:
        pass
    except KeyboardInterrupt:
        return 0
    return 0
