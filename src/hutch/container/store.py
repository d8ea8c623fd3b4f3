"""Container state under ``--root``: one directory per container.

    <root>/<id>/state.json   what `state` reports, plus what later commands need
    <root>/<id>/plan.json    the converted init plan (exec reuses its process defaults)
    <root>/<id>/exec.fifo    exists while the container is `created`; `start` consumes it

Writes are atomic (hutch.util.atomic: temp file + rename, no fsync: as runc's state.json,
on a tmpfs that a reboot empties with the containers it describes). A lock (flock on the directory) keeps two
runtime commands from changing one container at once.

A runtime killed at any moment leaves a state the next command understands:
  - a directory without state.json: a `create` killed before its first save (it holds
    the lock until then); `delete` removes it, and `delete --force` then succeeds, as runc;
  - ``"creating": {"pid", "starttime"}``: a `create` in progress; once that process is
    gone the container counts as stopped, and `delete` kills and removes what it made
    (its cgroup is recorded before it is created);
  - state.json is removed last, so a half-deleted container is still found and deleted.
"""

from __future__ import annotations

import errno
import fcntl
import os

from hutch import fastjson
from hutch.errors import ContainerNotFound, InvalidID
from hutch.util import atomic
from hutch.util.procstat import stat as proc_stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_ROOT = "/run/hutch"
FIFO = "exec.fifo"

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.")


def validate_id(cid: str) -> None:
    """runc's rule: [A-Za-z0-9_+.-]+, not "." or "..", at most 1024 characters."""
    if not cid:
        raise InvalidID(cid, "it is empty")
    if cid in (".", "..") or not set(cid) <= _ID_CHARS:
        raise InvalidID(cid, "only letters, digits and _ + - . are allowed")
    if len(cid) > 1024:
        raise InvalidID(cid, "it is longer than 1024 characters")


class Store:
    def __init__(self, root: str = DEFAULT_ROOT) -> None:
        self.root = os.path.abspath(root)

    def dir(self, cid: str) -> str:
        validate_id(cid)
        return os.path.join(self.root, cid)

    def create_dir(self, cid: str) -> str:
        """Claim ``cid`` atomically (mkdir); ContainerExists if taken."""
        from hutch.errors import ContainerExists

        path = self.dir(cid)
        os.makedirs(self.root, 0o711, exist_ok=True)
        try:
            os.mkdir(path, 0o711)
        except FileExistsError:
            raise ContainerExists(cid) from None
        return path

    def ids(self) -> list[str]:
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if os.path.isfile(os.path.join(self.root, n, "state.json")))

    def load(self, cid: str) -> dict[str, Any]:
        path = os.path.join(self.dir(cid), "state.json")
        try:
            with open(path, "rb") as f:
                data = f.read()
        except (FileNotFoundError, NotADirectoryError):
            raise ContainerNotFound(cid) from None
        state = fastjson.loads(data)
        assert isinstance(state, dict)
        return state

    def save(self, cid: str, state: dict[str, Any]) -> None:
        atomic.write(os.path.join(self.dir(cid), "state.json"), fastjson.dumps(state).encode())

    def lock(self, cid: str) -> int:
        """Take the container's lock (blocking); returns the fd to close to release it."""
        try:
            fd = os.open(self.dir(cid), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise ContainerNotFound(cid) from None
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    def remove(self, cid: str) -> None:
        """Remove the container's directory; state.json goes last (see the module doc)."""
        path = self.dir(cid)
        names = os.listdir(path) if os.path.isdir(path) else []
        names.sort(key=lambda name: name == "state.json")
        for name in names:
            try:
                os.unlink(os.path.join(path, name))
            except OSError as err:
                if err.errno != errno.ENOENT:
                    raise
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass


def me() -> dict[str, int]:
    """This process as pid and start time (what ``"creating"`` records)."""
    pid = os.getpid()
    st = proc_stat(pid)
    return {"pid": pid, "starttime": st[1] if st else 0}


def is_alive(pid: int, starttime: int) -> bool:
    if pid <= 0:
        return False
    st = proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X") and (not starttime or st[1] == starttime)


def status(state_dir: str, state: dict[str, Any]) -> str:
    """The runtime-spec status: creating, created, running, paused or stopped.

    A frozen cgroup means paused, also for a container not started yet (as runc).
    """
    creating = state.get("creating")
    if creating:
        if isinstance(creating, dict) and not is_alive(int(creating["pid"]), int(creating["starttime"])):
            return "stopped"  # its `create` was killed: `delete` cleans up what it made
        return "creating"
    if not is_alive(int(state["pid"]), int(state.get("starttime", 0))):
        return "stopped"
    cg = state.get("cgroup")
    if cg and _frozen(cg):
        return "paused"
    if os.path.exists(os.path.join(state_dir, FIFO)):
        return "created"
    return "running"


def _frozen(cg: dict[str, Any]) -> bool:
    paths = cg.get("paths")
    if not isinstance(paths, dict):
        return False
    from hutch.cgroups.freezer import is_frozen

    return is_frozen(paths)
