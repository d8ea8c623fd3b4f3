"""Keep the kernel's cgroup-migration lock on its fast path while a container starts.

Moving a process into a cgroup (writing ``cgroup.procs``) takes the kernel's
``cgroup_threadgroup_rwsem`` for writing. When no migration happened in the last
grace period, that write first waits for an RCU grace period (``rcu_sync_enter``):
6-20 ms on this kind of VM, while a write within ~20 ms of the last one takes ~20 us.
`create` and `exec` would spend that time waiting with nothing else to do. So a
throw-away child writes its own pid to a ``cgroup.procs`` at once and then every
:data:`INTERVAL` seconds: its first write pays the grace period while the caller
prepares the container, and its later ones keep the lock warm until :func:`reap`, so
the real migration of the container's process finds the fast path.

- :func:`start` puts the child in the container's own cgroup (one hierarchy; never a
  v1 ``pids`` one, nor a v2 cgroup with a pids limit, where it would count against the
  container's limit), as soon as the cgroup exists: the runtime's `create` and `exec`.
- :func:`start_here` lets the child write to the cgroup it already is in (its
  parent's), which moves nothing: the kernel takes the lock all the same. The engine's
  supervisor calls it when a `start` or `exec` request arrives, before the container's
  cgroup exists, and it touches no cgroup's membership; it then calls the runtime's
  create and exec with ``warm=True``, so they start no child of their own.

The child holds nothing, dies with its parent (PR_SET_PDEATHSIG: a `create` killed
midway leaves nothing in the container's cgroup), exits by itself after :data:`LIFETIME`
seconds, and :func:`reap` kills and collects it. Only timing depends on this: the container is
placed by :meth:`hutch.cgroups.manager.Manager.apply` either way. Never started for a
paused container (the child would freeze in its cgroup); :func:`reap` waits a bounded
time in case the container is paused meanwhile (a frozen child is then left to die on
thaw; it is in the container's cgroup, so `delete` cleans it up with the rest).
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cgroups.manager import Manager

#: seconds between the child's writes: well inside one grace period
INTERVAL = 0.004
#: seconds the child lives at most when nobody reaps it (it dies with its parent too)
LIFETIME = 2.0


def start(manager: Manager) -> int:
    """Fork the warm-up child into the container's cgroup; its pid (0 if none) goes to :func:`reap`."""
    paths = [p for key, p in manager.paths.items() if "pids" not in key.split(",")]
    if not paths or not _unlimited_pids(paths[0]):
        return 0
    return _fork(f"{paths[0]}/cgroup.procs")


def _unlimited_pids(path: str) -> bool:
    """Whether the child may sit in ``path`` without counting against a pids limit (v2:
    one hierarchy for every controller; v1 hierarchies without pids have no pids.max)."""
    try:
        with open(f"{path}/pids.max") as f:
            return f.read().strip() == "max"
    except FileNotFoundError:
        return True
    except OSError:
        return False


def start_here() -> int:
    """Fork the warm-up child writing to the cgroup it is in already (a migration that
    moves nothing); its pid (0 if none) goes to :func:`reap`."""
    procs = own_procs_file()
    return _fork(procs) if procs else 0


def own_procs_file() -> str:
    """The ``cgroup.procs`` of this process's cgroup in the first mounted hierarchy ("" if
    it cannot be told)."""
    from hutch.cgroups.mode import UNIFIED, probe
    from hutch.errors import CgroupError

    try:
        hierarchy = probe().hierarchies[0]
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except (OSError, CgroupError, IndexError):
        return ""
    want = set() if hierarchy.key == UNIFIED else set(hierarchy.controllers)
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        if set(filter(None, controllers.split(","))) == want:
            return os.path.join(hierarchy.mountpoint, path.lstrip("/"), "cgroup.procs")
    return ""


def _fork(procs: str) -> int:
    from hutch._sys.consts import PR_SET_PDEATHSIG
    from hutch._sys.creds import prctl

    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        return 0
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            # dies with its parent: a `create` killed midway leaves no process in the
            # container's cgroup that `delete` (which kills by one hierarchy) would not find
            prctl(PR_SET_PDEATHSIG, 9)
            if os.getppid() != parent:
                os._exit(0)
            fd = os.open(procs, os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
            me = str(os.getpid()).encode()
            end = time.monotonic() + LIFETIME
            while time.monotonic() < end:
                os.write(fd, me)
                time.sleep(INTERVAL)
        finally:
            os._exit(0)
    return pid


def reap(pid: int, timeout: float = 2.0) -> None:
    """Kill and collect the warm-up child (bounded: a frozen one is left to die on thaw)."""
    if pid <= 0:
        return
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    delay = 0.0005
    while True:
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done or time.monotonic() >= deadline:
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
