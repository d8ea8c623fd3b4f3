"""Start the kernel's slow path of a first cgroup migration early, in a throw-away child.

Moving a process into a cgroup (writing ``cgroup.procs``) takes the kernel's
``cgroup_threadgroup_rwsem`` for writing. When no migration happened lately, that
first write waits for an RCU grace period (``rcu_sync_enter``): 9-20 ms on this
kind of VM, while every write after it takes ~20 us. `create` would spend that time
waiting with nothing else to do. So, as soon as the container's cgroups exist,
:func:`start` forks a child that moves itself into the container's cgroup of one
hierarchy and exits: the grace period runs while `create` writes its state files
and prepares the init, and the real migration of the container finds the fast path.

The child never leaves the container's own cgroup and holds nothing; :func:`reap`
collects it before the cgroup may be removed. Only timing depends on this: the
container is placed by :meth:`hutch.cgroups.manager.Manager.apply` either way.
`exec` does the same for the process it starts; never for a paused container (the
child would freeze in its cgroup), and :func:`reap` waits a bounded time in case the
container is paused meanwhile (a frozen child is then left to exit on thaw; it is in
the container's cgroup, so `delete` cleans it up with the rest).
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cgroups.manager import Manager


def start(manager: Manager) -> int:
    """Fork the warm-up child; its pid (0 if it could not be forked) goes to :func:`reap`."""
    path = next(iter(manager.paths.values()), None)
    if path is None:
        return 0
    try:
        pid = os.fork()
    except OSError:
        return 0
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            fd = os.open(f"{path}/cgroup.procs", os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
            os.write(fd, str(os.getpid()).encode())
        finally:
            os._exit(0)
    return pid


def reap(pid: int, timeout: float = 2.0) -> None:
    """Wait for the warm-up child; it exits by itself right after its one write."""
    if pid <= 0:
        return
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done or time.monotonic() >= deadline:
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
