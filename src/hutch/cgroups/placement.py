"""Where a container's processes live: its cgroup directory in every hierarchy of the host.

One :class:`Placement` covers every hierarchy (see :mod:`hutch.cgroups.mode`):
each v1 hierarchy (``cpu``, ``cpu,cpuacct``, ``memory``, ``name=systemd``, ...),
the cgroup2 ``unified`` one on hybrid hosts (runc places processes there too),
or the single cgroup2 tree on a v2 host. The same cgroup path is used in each.
It creates the directories, moves processes in, lists and signals them, and removes
the directories again; what the processes may use is :mod:`hutch.cgroups.limits`.

Where the container goes (``cgroupsPath`` of config.json, :func:`resolve_path`):

- absent or empty: ``/hutch/<container-id>``;
- absolute (``/a/b``): used as is, relative to each hierarchy's root;
- relative (``a/b``): ``/hutch/a/b``. **Deliberate difference from runc**, which
  resolves a relative path against the *caller's own* cgroup: a runtime started
  from a shell that sits in some machine cgroup (``memory:/process_api/...``)
  would nest its containers there and they would die with that cgroup;
- ``..`` components or the systemd driver's ``slice:prefix:name`` form: CgroupError.

Imports: ``os``, ``errno``, ``time`` and hutch modules only (no ``signal``: its
``enum`` import costs ~30 ms on the kill path; signals are plain ints here).
"""

from __future__ import annotations

import errno
import os
import time

from hutch.cgroups import mode as _mode
from hutch.cgroups.cgfs import CgroupFS, CgroupIOError
from hutch.errors import CgroupError, HutchError

#: The shared parent of every container cgroup hutch creates; never removed by destroy().
PARENT = "/hutch"

_SIGKILL = 9
# destroy(): how long to retry rmdir while the kernel still counts exiting tasks (EBUSY).
_RMDIR_TIMEOUT = 2.0
# kill_all(): rounds of "list, signal the new ones" to catch processes forked meanwhile.
_KILL_ROUNDS = 20
# create(): attempts when a concurrent destroy() removes an empty parent under us.
_CREATE_RETRIES = 5

_FS = CgroupFS()


def resolve_path(cgroups_path: str | None, container_id: str) -> str:
    """Turn config.json's ``linux.cgroupsPath`` into hutch's absolute cgroup path."""
    if not cgroups_path:
        if not container_id or "/" in container_id or container_id in (".", ".."):
            raise CgroupError(f"cgroup: cannot derive a cgroup path from container id {container_id!r}")
        raw = f"{PARENT}/{container_id}"
    elif ":" in cgroups_path:
        raise CgroupError(
            f"cgroup: cgroupsPath {cgroups_path!r} looks like systemd's "
            f"slice:prefix:name form; the systemd cgroup driver is not supported"
        )
    elif cgroups_path.startswith("/"):
        raw = cgroups_path
    else:
        raw = f"{PARENT}/{cgroups_path}"
    if "\0" in raw:
        raise CgroupError(f"cgroup: cgroupsPath {cgroups_path!r} contains a NUL byte")
    parts = [p for p in raw.split("/") if p and p != "."]
    if ".." in parts:
        raise CgroupError(f"cgroup: cgroupsPath {cgroups_path!r} must not contain '..'")
    path = "/" + "/".join(parts)
    if path in ("/", PARENT):
        shown = cgroups_path if cgroups_path else container_id
        raise CgroupError(
            f"cgroup: cgroupsPath {shown!r} resolves to {path}, which is shared and cannot hold a container"
        )
    return path


class Placement:
    """The container's cgroup directories, one per hierarchy.

    ``paths`` maps a hierarchy key (``"memory"``, ``"cpu,cpuacct"``,
    ``"name=systemd"``, ``"unified"``) to the absolute directory; ``path`` is the
    cgroup path common to all of them (``/hutch/<id>``).
    """

    __slots__ = ("_created", "_fs", "mode", "path", "paths")

    def __init__(self, mode: str, path: str, paths: dict[str, str], *, fs: CgroupFS = _FS):
        self.mode = mode
        self.path = path
        self.paths = paths
        self._fs = fs
        # directories create() made in this process (any level): set() may enable
        # cgroup2 controllers in those even outside /hutch
        self._created: set[str] = set()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.mode!r}, {self.path!r})"

    @property
    def fs(self) -> CgroupFS:
        """The file operations every read and write of this cgroup goes through."""
        return self._fs

    # ---- queries ------------------------------------------------------------------

    def dir_for(self, controller: str) -> str | None:
        """The directory that holds ``controller``'s files (``"memory"``, ``"pids"``...).

        On v2 that is the one unified directory; None when no hierarchy has it.
        """
        if self.mode == _mode.V2:
            return self.paths.get(_mode.UNIFIED)
        for key, path in self.paths.items():
            if key != _mode.UNIFIED and controller in key.split(","):
                return path
        return None

    def exists(self) -> bool:
        """True while the container's directory exists in any hierarchy."""
        return any(self._fs.isdir(p) for p in self.paths.values())

    def pids(self) -> list[int]:
        """Every process in the container's cgroups, sub-cgroups included, sorted.

        The union over all hierarchies, so a process moved out of one still shows.
        """
        found: set[int] = set()
        for key, top in self.paths.items():
            for d in self._fs.walk(top):
                try:
                    text = self._fs.read(key, d, "cgroup.procs")
                except CgroupIOError as err:
                    if err.errno in (errno.ENOENT, errno.ENODEV):  # removed meanwhile
                        continue
                    raise
                found.update(int(tok) for tok in text.split())
        return sorted(found)

    def created_here(self, directory: str) -> bool:
        """True if :meth:`create` made ``directory`` (at any level) in this process."""
        return directory in self._created

    def mountpoint(self, leaf: str) -> str:
        """The root of the hierarchy that holds ``leaf``, one of :attr:`paths`."""
        return leaf[: len(leaf) - len(self.path)]

    # ---- lifecycle ----------------------------------------------------------------

    def create(self) -> None:
        """Make the directories, every missing level, in every hierarchy.

        In a v1 ``cpuset`` hierarchy each level (the ``hutch`` parent too) gets
        ``cpuset.cpus`` and ``cpuset.mems`` copied from its parent when empty: a
        new cpuset starts empty and adding a task to it fails with ENOSPC.
        On failure the leaf directories this call created are removed again.
        """
        made: list[tuple[str, str]] = []
        parts = self.path.strip("/").split("/")
        try:
            for key, leaf in self.paths.items():
                for attempt in range(_CREATE_RETRIES):
                    try:
                        cur = self.mountpoint(leaf)
                        for part in parts:
                            parent, cur = cur, f"{cur}/{part}"
                            if self._fs.mkdir(key, cur):
                                self._created.add(cur)
                                if cur == leaf:
                                    made.append((key, cur))
                            if key != _mode.UNIFIED and "cpuset" in key.split(","):
                                self._init_cpuset(key, parent, cur)
                        break
                    except CgroupIOError as err:
                        # a concurrent destroy() removed an empty /hutch level under us
                        if err.errno != errno.ENOENT or attempt == _CREATE_RETRIES - 1:
                            raise
        except HutchError as err:
            for key, leaf in reversed(made):
                try:
                    self._fs.rmdir(key, leaf)
                except HutchError as cleanup:
                    err.add_note(f"cleanup also failed: {cleanup}")
            raise

    def apply(self, pid: int) -> None:
        """Move process ``pid`` (all its threads) into the cgroup of every hierarchy."""
        for key, path in self.paths.items():
            self.add_process(key, path, pid)

    def add_process(self, key: str, directory: str, pid: int) -> None:
        """Move process ``pid`` into ``directory`` of hierarchy ``key`` (the container's
        cgroup or one below it: see :mod:`hutch.cgroups.subcgroup`)."""
        self._fs.write(key, directory, "cgroup.procs", str(pid))

    def kill_all(self, sig: int) -> None:
        """Send ``sig`` to every process in the container's cgroups.

        For SIGKILL, ``cgroup.kill`` of the cgroup2 directory kills the whole
        subtree atomically (no fork race); on v2 that is all. Otherwise, and on
        hybrid hosts as a second pass, signal the listed pids, repeating while new
        ones show up. A process that exits meanwhile is not an error.
        """
        v2 = self.paths.get(_mode.UNIFIED)
        if sig == _SIGKILL and v2 is not None and self._fs.has(v2, "cgroup.kill"):
            self._fs.write(_mode.UNIFIED, v2, "cgroup.kill", "1")
            if self.mode == _mode.V2:
                return
        sent: set[int] = set()
        for _ in range(_KILL_ROUNDS):
            fresh = [pid for pid in self.pids() if pid not in sent]
            if not fresh:
                return
            for pid in fresh:
                sent.add(pid)
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
                except OSError as err:
                    raise CgroupError(
                        f"cgroup {self.path}: cannot send signal {sig} to pid {pid}: {err.strerror}"
                    ) from err

    def destroy(self) -> None:
        """Remove the container's directories (and any below them), deepest first.

        Retries briefly on EBUSY while exiting processes are still counted.
        Idempotent. The shared ``/hutch`` parent and other levels above the
        container's directory stay. Every hierarchy is attempted; the first
        failure is raised, later ones are attached to it as notes.
        """
        first: CgroupError | None = None
        for key, top in self.paths.items():
            try:
                for d in reversed(list(self._fs.walk(top))):
                    self._rmdir_retry(key, d)
                self._remove_empty_parents(key, top)
            except CgroupError as err:
                if first is None:
                    first = err
                else:
                    first.add_note(f"also: {err}")
        if first is not None:
            raise first

    # ---- helpers ------------------------------------------------------------------

    def _remove_empty_parents(self, key: str, leaf: str) -> None:
        """Remove levels between the leaf and the hierarchy root under /hutch once empty.

        Only hutch's own parent: an absolute cgroupsPath elsewhere keeps its
        ancestors. A level another container still uses is not empty (EBUSY/ENOTEMPTY).
        """
        if not self.path.startswith(PARENT + "/"):
            return
        mount = self.mountpoint(leaf)
        cur = leaf.rsplit("/", 1)[0]
        while len(cur) >= len(mount) + len(PARENT):
            try:
                self._fs.rmdir(key, cur)
            except CgroupIOError:
                return
            cur = cur.rsplit("/", 1)[0]

    def _init_cpuset(self, key: str, parent: str, cur: str) -> None:
        for name in ("cpuset.cpus", "cpuset.mems"):
            if self._fs.read(key, cur, name).strip():
                continue
            value = self._fs.read(key, parent, name).strip()
            if value:
                self._fs.write(key, cur, name, value)

    def _rmdir_retry(self, key: str, path: str) -> None:
        deadline = time.monotonic() + _RMDIR_TIMEOUT
        delay = 0.005
        while True:
            try:
                self._fs.rmdir(key, path)
                return
            except CgroupIOError as err:
                if err.errno != errno.EBUSY or time.monotonic() >= deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
