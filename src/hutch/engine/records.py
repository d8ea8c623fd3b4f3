"""The engine's container records: ROOT/containers/<id>/container.json, one per container.

Every change is a read-modify-write under one flock (ROOT/containers/lock), so two `hutch`
commands and the containers' monitors never lose each other's updates; files are replaced
atomically, so a reader never sees half a record. Kept small: the per-container monitor
imports it, and every module it imports costs memory in each monitor.
"""

from __future__ import annotations

import os

from hutch import filelock
from hutch.engine.layout import Layout
from hutch.fastjson import dumps_pretty, loads
from hutch.util import atomic
from hutch.util.procstat import start_time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Record = dict[str, Any]


class Records:
    def __init__(self, directory: str) -> None:
        self.dir = directory

    def locked(self) -> filelock.locked:
        return filelock.locked(self.dir)

    def path(self, cid: str) -> str:
        return Layout(self.dir, cid).record

    def load(self, cid: str) -> Record | None:
        try:
            with open(self.path(cid)) as f:
                record: Record = loads(f.read())  # type: ignore[assignment]
        except (OSError, ValueError):
            return None
        return record

    def all(self) -> list[Record]:
        try:
            ids = os.listdir(self.dir)
        except FileNotFoundError:
            return []
        out = [r for r in map(self.load, ids) if r is not None]
        out.sort(key=lambda r: str(r.get("created", "")), reverse=True)
        return out

    def save(self, record: Record, durable: bool = True) -> None:
        """Write ``record`` (the caller holds the lock). ``durable=False`` for a passing
        state (starting) that a machine's crash may lose: the record before it is on disk."""
        atomic.write(self.path(record["id"]), dumps_pretty(record).encode(), 0o666, durable=durable)

    def update(self, cid: str, change: Callable[[Record], None]) -> Record | None:
        """Apply ``change`` to the record as it is on disk now, under the lock; None when the
        container is gone."""
        with self.locked():
            record = self.load(cid)
            if record is None:
                return None
            change(record)
            self.save(record)
            return record


def alive(pid: int, start: int) -> bool:
    """Whether the process ``pid`` that started at ``start`` still runs (not the pid reused)."""
    return pid > 0 and start > 0 and start_time(pid) == start
