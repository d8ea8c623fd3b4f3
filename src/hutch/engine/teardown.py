"""The one teardown of a container, which every exit path calls: a failed create, the
container's exit (its monitor, `run --rm` included), `rm [-f]`, and a lost monitor found
by `ps`. In order, each step idempotent:

    1. the runtime's container: `delete --force` while the runtime has state of it
       (which also kills what is left of its processes and removes its cgroup), through
       its command line, or with ``in_process`` (the supervisor, hutch's own runtime)
       by calling `hutch.container.delete` itself;
    2. the root: unmount the overlay (and a shareable /dev/shm);
    3. the prepared resources: each one's ``release()``, and the container's place on a bridge
       network (hutch.engine.netattach: veth, namespace, address lease, published ports);
    4. with ``remove``: the directory and the record (under the records' lock), and with
       ``volumes`` the anonymous volumes; otherwise the record's end (``ended``).

A kill -9 at any step leaves a state that the next call finishes: the runtime's state
dir goes last in its `delete`, the record last of the directory (so a directory without
a record is debris of a create or a removal, which `ps` sweeps). Kill points
(``hutch.faults``) let tests stop here on purpose.

The supervisor imports this module when a container ends: no heavy module at the top.
"""

from __future__ import annotations

import os

from hutch import faults
from hutch.engine.layout import Layout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, Protocol

    from hutch.engine.records import Record, Records

    class Resource(Protocol):
        """Something a container was given at create or start and must give back."""

        def release(self) -> None: ...


class Teardown:
    """What it takes to tear one container down: its records, its runtime, its store."""

    __slots__ = ("engine_root", "in_process", "layout", "records", "resources", "runtime", "runtime_root")

    def __init__(self, records: Records, cid: str, runtime: str, runtime_root: str, engine_root: str,
                 resources: Sequence[Resource] = (), in_process: bool = False) -> None:
        self.records, self.runtime, self.runtime_root = records, runtime, runtime_root
        self.in_process = in_process
        self.engine_root = engine_root
        self.layout = Layout(records.dir, cid)
        self.resources = list(resources)

    def __call__(self, *, remove: bool = False, volumes: bool = False, held: bool = False,
                 ended: Callable[[Record], None] | None = None,
                 record: Record | None = None) -> Record | None:
        """Tear the container down; the record as it is left (None once removed).
        ``held``: the caller holds the records' lock. ``record``: what to go by when there
        is none on disk (a create that failed before it saved one)."""
        self.delete_runtime_state()
        faults.point("engine.teardown.deleted")
        self.layout.overlay([]).unmount()
        from hutch.snapshot.overlay import unmount

        unmount(self.layout.shm)  # (--ipc shareable's /dev/shm; nothing for the others)
        if os.path.isdir(self.layout.idmap):  # (--uidmap's idmapped layers)
            from hutch.snapshot.idmapped import unmount_layers

            unmount_layers(self.layout.idmap)
        faults.point("engine.teardown.unmounted")
        for resource in self.resources:
            resource.release()
        self.release_network(keep_record=not remove)
        if not remove:
            return self.records.update(self.layout.id, ended) if ended is not None else None
        if held:
            gone = self._remove_dir() or record
        else:
            with self.records.locked():
                gone = self._remove_dir() or record
        if volumes and gone:
            self.remove_volumes(gone.get("volumes") or [])
        if gone and gone.get("name"):  # (a record, not the debris of a failed create)
            from hutch.engine import events

            events.container(self.engine_root, "destroy", gone)
        return None

    def release_network(self, keep_record: bool) -> None:
        """Its place on a bridge network (hutch.engine.netattach), by what its record says."""
        record = self.records.load(self.layout.id)
        if record is not None and (record.get("networks") or record.get("netns") or record.get("ports")):
            from hutch.engine import netattach  # (netattach.has_network, inlined: imported only then)

            netattach.release(self.records, record, self.engine_root, keep_record=keep_record)

    def delete_runtime_state(self) -> None:
        if not (self.runtime and os.path.isdir(os.path.join(self.runtime_root, self.layout.id))):
            return
        if self.in_process:
            from hutch.container.delete import delete
            from hutch.container.store import Store
            from hutch.errors import HutchError

            try:
                delete(Store(self.runtime_root), self.layout.id, True, _warn)
            except (HutchError, OSError) as err:
                _warn(f"cannot delete the runtime's container {self.layout.id}: {err}")
        else:
            from hutch.engine.spawn import run_quietly

            run_quietly([self.runtime, "--root", self.runtime_root, "delete", "--force", self.layout.id])


    def _remove_dir(self) -> Record | None:
        """Remove the directory, the record last: the record as it was (None if there was none)."""
        from hutch.util.tree import remove_tree

        record = self.records.load(self.layout.id)
        for name in _listdir(self.layout.dir):
            if name != os.path.basename(self.layout.record):
                path = os.path.join(self.layout.dir, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    remove_tree(path)
                else:
                    _unlink(path)
        faults.point("engine.teardown.emptied")
        remove_tree(self.layout.dir)
        return record

    def remove_volumes(self, used: list[dict[str, Any]]) -> None:
        anonymous = [v for v in used if v.get("Anonymous")]
        if anonymous:  # (the volumes module is imported only then: it is not small)
            from hutch.engine.volumes import VolumeStore

            VolumeStore(self.engine_root).remove_anonymous(anonymous)


def orphans(records: Records) -> list[str]:
    """Container directories without a record: what a create or a removal killed midway left
    (the caller holds the records' lock, or checks again under it)."""
    return [name for name in _listdir(records.dir)
            if len(name) == 64 and not os.path.exists(Layout(records.dir, name).record)
            and os.path.isdir(os.path.join(records.dir, name))]


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _warn(msg: str) -> None:
    os.write(2, f"warning: {msg}\n".encode())
