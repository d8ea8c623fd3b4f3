"""AppArmor and SELinux for the process about to exec: the profile or label it execs into.

Both LSMs take the next exec's context from a per-thread procfs file, written by the
process itself right before it execs (the kernel applies it at execve):

- AppArmor: ``exec <profile>`` to /proc/thread-self/attr/apparmor/exec (Linux 5.8's
  per-LSM directory), or /proc/thread-self/attr/exec on older kernels; as runc does;
- SELinux: the label to /proc/thread-self/attr/exec (libselinux's setexeccon).

The init writes it once the container's /proc is mounted and before seccomp and the
capability drop (runc's order). Whether the host has the LSM is checked by the runtime
before anything is created (:func:`host_has`): asking for one the host lacks is an error,
never silently ignored.
"""

from __future__ import annotations

import os

APPARMOR_ENABLED = "/sys/module/apparmor/parameters/enabled"
SELINUX_FS = "/sys/fs/selinux"


def host_has(lsm: str, root: str = "/") -> bool:
    """Whether the host enforces ``lsm`` ("apparmor" or "selinux")."""
    if lsm == "apparmor":
        try:
            with open(os.path.join(root, APPARMOR_ENABLED.lstrip("/"))) as f:
                return f.read().strip().startswith("Y")
        except OSError:
            return False
    return os.path.exists(os.path.join(root, SELINUX_FS.lstrip("/"), "enforce"))


def _write(paths: tuple[str, ...], data: str) -> None:
    last: OSError | None = None
    for path in paths:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        except FileNotFoundError as err:
            last = err
            continue
        try:
            os.write(fd, data.encode())
        finally:
            os.close(fd)
        return
    assert last is not None
    raise last


def exec_attrs(apparmor: str, selinux: str, proc: str = "/proc") -> list[tuple[tuple[str, ...], str]]:
    """What to write where, for an AppArmor profile and an SELinux label ("" for none)."""
    out: list[tuple[tuple[str, ...], str]] = []
    if apparmor:
        out.append(((f"{proc}/thread-self/attr/apparmor/exec", f"{proc}/thread-self/attr/exec"),
                    f"exec {apparmor}"))
    if selinux:
        out.append(((f"{proc}/thread-self/attr/exec",), selinux))
    return out


def prepare_exec(apparmor: str, selinux: str, proc: str = "/proc") -> None:
    """Make the next execve enter ``apparmor`` and/or ``selinux`` (nothing when both are "")."""
    for paths, data in exec_attrs(apparmor, selinux, proc):
        _write(paths, data)
