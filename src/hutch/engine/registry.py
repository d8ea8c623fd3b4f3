"""The engine's containers as a set: their records (found by name, id or prefix, and
reconciled with what is still running), their directories (hutch.engine.layout), their
OCI runtime and their one teardown (hutch.engine.teardown).

    ROOT/containers/<id>/...              a container's directory (hutch.engine.layout)
    RUNROOT/runtime                       the OCI runtime's --root

The verbs are built on it: hutch.engine.operations (kill, stop, wait, pause, exec,
rename) and hutch.engine.lifecycle (create, start, run, rm); hutch.engine.containers
composes them into `Engine`, the facade of the CLI and the Python API.
"""

from __future__ import annotations

import os

from hutch.engine import model
from hutch.engine.layout import Layout
from hutch.engine.records import Records, alive
from hutch.engine.runtime_client import Runtime, find_runtime
from hutch.engine.supervise.protocol import keeper_alive
from hutch.engine.teardown import Teardown, orphans
from hutch.errors import HutchError, NotFound
from hutch.image.store import ImageStore
from hutch.util import timefmt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.records import Record

DEFAULT_ROOT = "/var/lib/hutch"
DEFAULT_RUNROOT = "/run/hutch-engine"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


class ContainerNotFound(NotFound):
    def __init__(self, ref: str) -> None:
        super().__init__(f"No such container: {ref}")


def name_in_use(name: str, cid: str) -> HutchError:
    """docker's daemon's words for a name another container has."""
    return HutchError(f'Conflict. The container name "/{name}" is already in use by container "{cid}". You '
                      f'have to remove (or rename) that container to be able to reuse that name.')


def check_name(name: str) -> None:
    if not name or not set(name) <= _NAME_CHARS or not name[0].isalnum():
        raise HutchError(f"invalid container name {name!r}: use [a-zA-Z0-9][a-zA-Z0-9_.-]*")


class Registry:
    """The containers of one store (ROOT) with its runtime state (RUNROOT)."""

    def __init__(self, root: str = DEFAULT_ROOT, runroot: str = DEFAULT_RUNROOT,
                 runtime: str | None = None) -> None:
        self.root = root
        self.runroot = runroot
        self.images = ImageStore(os.path.join(root, "images"))
        self.dir = os.path.join(root, "containers")
        self.store = Records(self.dir)
        self.runtime_name = runtime

    # ---- records ------------------------------------------------------------------------

    def layout(self, cid: str) -> Layout:
        return Layout(self.dir, cid)

    def locked(self) -> Any:
        return self.store.locked()

    def records(self) -> list[Record]:
        found = [self._reconcile(r) for r in self.store.all()]
        if debris := orphans(self.store):
            self._sweep(debris)
        return found

    def _sweep(self, debris: list[str]) -> None:
        """Remove what a create or a removal killed midway left: a directory without a record."""
        with self.locked():
            for cid in set(debris) & set(orphans(self.store)):
                self.teardown(cid, "")(remove=True, held=True)  # (no runtime had it: the record goes last)

    def teardown(self, cid: str, runtime: str) -> Teardown:
        """The container's one teardown (``runtime``: its OCI runtime's path, "" for none)."""
        return Teardown(self.store, cid, runtime, os.path.join(self.runroot, "runtime"), self.root)

    def find(self, ref: str) -> Record:
        """A container by name, full id or unique id prefix."""
        records = self.store.all()
        for r in records:
            if ref in (r["name"], r["id"]):
                return self._reconcile(r)
        hits = [r for r in records if ref and r["id"].startswith(ref)]
        if len(hits) == 1:
            return self._reconcile(hits[0])
        if len(hits) > 1:
            raise HutchError(f"container id prefix {ref!r} is ambiguous")
        raise ContainerNotFound(ref)

    def _reconcile(self, record: Record) -> Record:
        """A record that says running while its supervisor and the keeper are gone (killed,
        or the machine rebooted) is a container that exited: say so, as docker does (255)."""
        st = record["state"]
        if st["status"] in model.LIVE and not alive(st.get("monitor_pid", 0), st.get("monitor_start", 0)) \
                and not keeper_alive(self.runroot):  # (its keeper hands it to a new supervisor)
            def lost(r: Record) -> None:
                if r["state"]["status"] in model.LIVE:
                    r["state"].update(status=model.EXITED, exit_code=255, pid=0, monitor_pid=0, paused=False,
                                      finished_at=timefmt.now(), error="the container's monitor is gone")
                    from hutch.engine import events  # (under the records' lock: one die, whoever sees it)

                    events.container(self.root, "die", r, exitCode=255)

            return self.teardown(record["id"], self.runtime(record).path)(ended=lost) or record
        if st["status"] == model.RESTARTING and not alive(st.get("monitor_pid", 0),
                                                          st.get("monitor_start", 0)) \
                and not keeper_alive(self.runroot):  # nobody will restart it (hutch has no daemon)
            def stopped(r: Record) -> None:
                if r["state"]["status"] == model.RESTARTING:
                    r["state"].update(status=model.EXITED, monitor_pid=0, monitor_start=0)

            return self.store.update(record["id"], stopped) or record
        return record

    def runtime(self, record: Record | None = None) -> Runtime:
        path = (record or {}).get("runtime") or find_runtime(self.runtime_name)
        return Runtime(path, os.path.join(self.runroot, "runtime"))

    def is_running(self, record: Record) -> bool:
        current = self.store.load(record["id"])
        return current is not None and self._reconcile(current)["state"]["status"] in model.LIVE

    def log_path(self, record: Record) -> str:
        return self.layout(record["id"]).log
