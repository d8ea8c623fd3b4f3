"""Was a container OOM-killed? The kernel's ``oom_kill`` counter of its memory cgroup.

- v1: ``memory.oom_control`` has ``oom_kill N`` (kernel 4.13+); an eventfd registered
  through ``cgroup.event_control`` fires on every OOM in the cgroup, and once more when
  the cgroup is removed.
- v2: ``memory.events`` has ``oom_kill N`` (the subtree's); the kernel notifies a change
  of the file to ``poll`` (POLLPRI) and inotify.

:func:`oom_kills` is the cheap question, for whoever needs to know before `delete`
removes the cgroup. :class:`OomWatcher` gives `events` a file descriptor to wait on.
The counters are the truth: the notification fds only say "look again".

Imports: ``os`` and hutch modules only.
"""

from __future__ import annotations

import os

from hutch.cgroups.mode import UNIFIED, V2
from hutch.cgroups.stats import parse_keyed, read

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def memory_file(mode: str, paths: Mapping[str, str]) -> tuple[str, str] | None:
    """(directory, file name) that holds the cgroup's ``oom_kill`` counter, if any."""
    if mode == V2:
        d = paths.get(UNIFIED)
        return None if d is None else (d, "memory.events")
    for key, path in paths.items():
        if key != UNIFIED and "memory" in key.split(","):
            return path, "memory.oom_control"
    return None


def oom_kills(mode: str, paths: Mapping[str, str]) -> int | None:
    """How many processes of the cgroup (and its subtree) the OOM killer has killed;
    None when the host has no such counter or the cgroup is gone. One small read:
    ask it before `delete` removes the cgroup."""
    where = memory_file(mode, paths)
    if where is None:
        return None
    text = read(*where)
    if text is None:
        return None
    return parse_keyed(text, os.path.join(*where)).get("oom_kill")


class OomWatcher:
    """New OOM kills of one cgroup since the last :meth:`check`.

    :attr:`fd` (-1 if the kernel gave none) becomes ready for :attr:`poll_events` when
    the counter may have changed; call :meth:`check` then, and also now and then anyway.
    """

    def __init__(self, mode: str, paths: Mapping[str, str]) -> None:
        self.mode = mode
        self.paths = dict(paths)
        self.count = oom_kills(mode, paths) or 0
        self.fd = -1
        self.poll_events = 0
        self._extra_fd = -1
        try:
            self._arm()
        except OSError:
            self.close()

    def _arm(self) -> None:
        import select

        where = memory_file(self.mode, self.paths)
        if where is None:
            return
        d, name = where
        if self.mode == V2:
            self.fd = os.open(os.path.join(d, name), os.O_RDONLY | os.O_CLOEXEC)
            os.read(self.fd, 4096)  # a read arms the notification
            self.poll_events = select.POLLPRI
            return
        self.fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        self._extra_fd = os.open(os.path.join(d, name), os.O_RDONLY | os.O_CLOEXEC)
        control = os.open(os.path.join(d, "cgroup.event_control"), os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.write(control, f"{self.fd} {self._extra_fd}".encode())
        finally:
            os.close(control)
        self.poll_events = select.POLLIN

    def check(self) -> int:
        """How many OOM kills happened since the last call (0 if the cgroup is gone)."""
        if self.fd >= 0:
            try:
                if self.mode == V2:
                    os.lseek(self.fd, 0, os.SEEK_SET)
                    os.read(self.fd, 4096)
                else:
                    os.eventfd_read(self.fd)
            except OSError:  # nothing pending (EAGAIN), or the cgroup went away
                pass
        now = oom_kills(self.mode, self.paths)
        if now is None or now <= self.count:
            return 0
        new, self.count = now - self.count, now
        return new

    def close(self) -> None:
        for fd in (self.fd, self._extra_fd):
            if fd >= 0:
                os.close(fd)
        self.fd = self._extra_fd = -1
