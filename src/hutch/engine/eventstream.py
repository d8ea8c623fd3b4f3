"""Reading the store's event journal (hutch.engine.events writes it): its lines from the start,
then (following, as `tail -f`) what is appended, across a rotation; docker's filters; docker's
message shape. `hutch events` and the Python API's ``Client.events()`` read it through this.

docker's filters (``--filter``): type, event, container, image, volume, network, label; values
of one key are alternatives, keys must all match.
"""

from __future__ import annotations

import os
import time

from hutch.engine import events
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

FILTER_KEYS = ("type", "event", "container", "image", "volume", "network", "label")
POLL = 0.1


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
    """Reads the journal from its start (`history`), then what is appended to it (`more`)."""

    def __init__(self, root: str) -> None:
        self.path = events.path(root)
        self.fd = -1
        self.ino = 0
        self.buf = b""

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

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


def stream(root: str, since: int, until: int | None, filters: dict[str, set[str]],
           poll: float = POLL) -> Iterator[dict[str, Any]]:
    """The journal's events from ``since`` (ns) that ``filters`` match: those written before,
    then (until ``until``, or for ever when None) those appended, polled every ``poll`` s."""
    from hutch.fastjson import loads

    journal = Journal(root)

    def wanted(raws: Iterator[bytes]) -> Iterator[dict[str, Any] | None]:
        """Each wanted event; None once past ``until``."""
        for raw in raws:
            if not raw.strip():
                continue
            try:
                ev: Any = loads(raw)
            except ValueError:
                continue
            if not isinstance(ev, dict):
                continue
            ns = int(ev.get("timeNano", 0))
            if until is not None and ns > until:
                yield None
                return
            if ns >= since and matches(ev, filters):
                yield ev

    try:
        for ev in wanted(journal.history()):
            if ev is None:
                return
            yield ev
        while True:
            last = until is not None and time.time_ns() > until  # (then one more read: what came up to it)
            for ev in wanted(journal.more()):
                if ev is None:
                    return
                yield ev
            if last:
                return
            time.sleep(poll)
    finally:
        journal.close()
