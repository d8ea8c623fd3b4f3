"""Freeze and thaw a container's cgroup: `pause`, `resume`, and the "paused" status.

Which freezer a container has, given its manager's ``paths`` (hierarchy key -> directory):

- a v1 ``freezer`` hierarchy (legacy and hybrid hosts, as runc uses there):
  ``freezer.state`` takes ``FROZEN``/``THAWED`` and reads back ``FREEZING`` while the
  kernel is still stopping tasks. A cgroup frozen only through an ancestor reads
  ``FROZEN`` with ``freezer.self_freezing`` 0: that is not a paused container.
- otherwise the cgroup2 directory (v2 hosts; hybrid hosts whose v1 freezer is not
  mounted, since the container's processes sit in the ``unified`` tree too):
  ``cgroup.freeze`` takes ``1``/``0``; ``cgroup.events`` says ``frozen 1`` once every
  task is stopped.

Fatal signals still reach frozen tasks on cgroup2. On a v1 freezer a SIGKILL only takes
effect once the cgroup is thawed, so whoever kills a paused container thaws it after
sending the signal (runc does the same).

Imports: ``os``, ``time`` and hutch modules only: :func:`is_frozen` runs for `state`.
"""

from __future__ import annotations

import os
import time

from hutch.cgroups.cgfs import CgroupFS
from hutch.cgroups.mode import UNIFIED
from hutch.errors import CgroupError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

THAWED = "thawed"
FROZEN = "frozen"

_FS = CgroupFS()

# v1: runc's empirically tuned retry loop (libcontainer/cgroups/fs/freezer.go): write
# FROZEN and read back until it sticks; now and then thaw and sleep to let tasks that
# keep forking settle, and pause briefly before reading back on a slow machine.
_V1_ATTEMPTS = 1000
_V1_THAW_EVERY = 50
_V1_NAP_EVERY = 25
# How long to wait for v1 FREEZING to settle, or for v2's cgroup.events to say "frozen 1".
_TIMEOUT = 10.0


def locate(paths: Mapping[str, str]) -> tuple[str, str] | None:
    """(hierarchy key, directory) of the container's freezer, or None if the host has none."""
    for key, path in paths.items():
        if key != UNIFIED and "freezer" in key.split(","):
            return key, path
    unified = paths.get(UNIFIED)
    if unified is not None and os.path.exists(os.path.join(unified, "cgroup.freeze")):
        return UNIFIED, unified
    return None


def is_frozen(paths: Mapping[str, str]) -> bool:
    """True if the container's cgroup is frozen by itself (or being frozen); cheap: one or
    two small reads. A cgroup that is gone, or a host without a freezer, is not frozen."""
    where = locate(paths)
    if where is None:
        return False
    key, path = where
    if key == UNIFIED:
        return _peek(path, "cgroup.freeze") == "1"
    value = _peek(path, "freezer.state")
    if value == "FROZEN":
        return _peek(path, "freezer.self_freezing") != "0"
    return value == "FREEZING"


def would_freeze(paths: Mapping[str, str]) -> bool:
    """True if a task put in the container's cgroup now would be frozen: the cgroup, or
    while it does not exist the nearest ancestor that does, is frozen or freezing, by
    itself or through an ancestor. A container's init placed there would never report
    back, so `create` refuses such a cgroup instead of waiting forever."""
    for key, path in paths.items():
        if key != UNIFIED and "freezer" in key.split(","):
            # v1: freezer.state includes what ancestors impose (FROZEN, self_freezing 0)
            return _peek(_existing(path), "freezer.state") in ("FROZEN", "FREEZING")
    unified = paths.get(UNIFIED)
    if unified is None:
        return False
    d = _existing(unified)
    while True:  # v2: cgroup.freeze is each level's own; the root has none
        value = _peek(d, "cgroup.freeze")
        if value == "1":
            return True
        parent = os.path.dirname(d)
        if not value or parent == d:
            return False
        d = parent


def state(paths: Mapping[str, str], fs: CgroupFS = _FS) -> str:
    """THAWED or FROZEN; waits out a v1 FREEZING (as runc does). CgroupError if the
    host has no freezer or the cgroup cannot be read."""
    key, path = _need(paths, "read the freezer state of")
    if key == UNIFIED:
        return FROZEN if fs.read(key, path, "cgroup.freeze").strip() == "1" else THAWED
    deadline = time.monotonic() + _TIMEOUT
    while True:
        value = fs.read(key, path, "freezer.state").strip()
        if value == "THAWED":
            return THAWED
        if value == "FROZEN":
            self_freezing = _peek(path, "freezer.self_freezing")
            return THAWED if self_freezing == "0" else FROZEN
        if value != "FREEZING" or time.monotonic() >= deadline:
            raise CgroupError(f"cgroup {key}: unexpected freezer.state {value!r} in {path}")
        time.sleep(0.001)


def freeze(paths: Mapping[str, str], fs: CgroupFS = _FS) -> None:
    """Stop every task of the cgroup; returns once all are frozen. On failure the cgroup
    is thawed again (a half-frozen container is worse than a running one)."""
    key, path = _need(paths, "freeze")
    try:
        if key == UNIFIED:
            fs.write(key, path, "cgroup.freeze", "1")
            _wait_frozen_v2(key, path, fs)
        else:
            _freeze_v1(key, path, fs)
    except BaseException as err:
        try:
            _write_thawed(key, path, fs)
        except CgroupError as cleanup:
            err.add_note(f"thawing it again also failed: {cleanup}")
        raise


def thaw(paths: Mapping[str, str], fs: CgroupFS = _FS) -> None:
    """Let the cgroup's tasks run again. A host without a freezer has nothing frozen."""
    where = locate(paths)
    if where is not None:
        _write_thawed(*where, fs)


# ---- helpers ------------------------------------------------------------------------


def _need(paths: Mapping[str, str], what: str) -> tuple[str, str]:
    where = locate(paths)
    if where is None:
        raise CgroupError(
            f"cgroup: cannot {what} the container: this host has no freezer "
            "(no v1 freezer hierarchy and no cgroup.freeze)"
        )
    return where


def _existing(path: str) -> str:
    """``path`` or its nearest ancestor that exists."""
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def _peek(path: str, name: str) -> str:
    try:
        fd = os.open(os.path.join(path, name), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return ""
    try:
        return os.read(fd, 64).decode(errors="replace").strip()
    except OSError:
        return ""
    finally:
        os.close(fd)


def _write_thawed(key: str, path: str, fs: CgroupFS) -> None:
    if key == UNIFIED:
        fs.write(key, path, "cgroup.freeze", "0")
    else:
        fs.write(key, path, "freezer.state", "THAWED")


def _freeze_v1(key: str, path: str, fs: CgroupFS) -> None:
    for i in range(_V1_ATTEMPTS):
        if i % _V1_THAW_EVERY == _V1_THAW_EVERY - 1:
            fs.write(key, path, "freezer.state", "THAWED")
            time.sleep(0.01)
        fs.write(key, path, "freezer.state", "FROZEN")
        if i % _V1_NAP_EVERY == _V1_NAP_EVERY - 1:
            time.sleep(0.00001)
        value = fs.read(key, path, "freezer.state").strip()
        if value == "FROZEN":
            return
        if value != "FREEZING":
            raise CgroupError(f"cgroup {key}: unexpected freezer.state {value!r} while freezing {path}")
    raise CgroupError(f"cgroup {key}: {path} stayed FREEZING: unable to freeze the container")


def _wait_frozen_v2(key: str, path: str, fs: CgroupFS) -> None:
    deadline = time.monotonic() + _TIMEOUT
    delay = 0.0005
    while True:
        for line in fs.read(key, path, "cgroup.events").splitlines():
            name, _, value = line.partition(" ")
            if name == "frozen" and value.strip() == "1":
                return
        if time.monotonic() >= deadline:
            raise CgroupError(
                f"cgroup {key}: {path} did not report frozen within {_TIMEOUT:g} s"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.01)

