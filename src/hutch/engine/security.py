"""`hutch run`'s security flags as docker reads them (pure, apart from reading the host's
bounding set and /dev): --cap-add/--cap-drop, --privileged, --security-opt.

- capabilities: moby's ``caps.TweakCapabilities``. Names with or without ``CAP_``, any
  case; ``ALL`` in --cap-add is every capability (minus the dropped ones), ``ALL`` in
  --cap-drop leaves only the added ones, otherwise the defaults minus drops plus adds.
  "Every capability" is the host's bounding set (this engine's): a container cannot have
  more, and asking for one the host lacks is an error here, not an EPERM from the runtime.
- --privileged, as docker and podman: all those capabilities, no seccomp, no masked or
  read-only paths, /sys and the cgroup mount writable, the host's /dev devices, and
  every device allowed in the device cgroup.
- --security-opt: ``seccomp=unconfined|PROFILE.json`` (docker's profile format, or OCI's),
  ``no-new-privileges[=true|false]``, ``apparmor=unconfined|PROFILE``, ``label=disable``,
  ``systempaths=unconfined``.
"""

from __future__ import annotations

import os
import stat

from hutch.errors import InvalidArgument
from hutch.specconv import caps as capnames
from hutch.util.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

#: docker's default capability set (moby oci/caps/defaults.go)
DOCKER_CAPS = ("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
               "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
               "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE")
#: /dev entries the host's device list leaves out (moby's and runc's HostDevices)
_SKIP_DIRS = frozenset({"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"})
_MAX_DEVICES = 4096  # a bound on the walk of /dev, far above what any host has


def host_caps() -> list[str]:
    """The capabilities in this process's bounding set, by name (the host's, for the engine)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapBnd:"):
                    mask = int(line.split()[1], 16)
                    return [n for i, n in enumerate(capnames.NAMES) if mask >> i & 1]
    except OSError:
        pass
    return list(capnames.NAMES[: capnames.last_cap() + 1])


def normalize_cap(name: str, flag: str) -> str:
    """``net_admin``, ``CAP_NET_ADMIN``, ``Net_Admin`` → ``CAP_NET_ADMIN``; ``all`` → ``ALL``."""
    up = name.strip().upper()
    if up == "ALL":
        return "ALL"
    full = up if up.startswith("CAP_") else "CAP_" + up
    if full not in capnames.NUMBERS:
        raise InvalidArgument(f"{flag} {name!r}: unknown capability")
    return full


def capabilities(defaults: Sequence[str], add: Iterable[str], drop: Iterable[str],
                 privileged: bool) -> list[str]:
    """The container's capability set (bounding = effective = permitted)."""
    host = host_caps()
    if privileged:
        return host
    adds = [normalize_cap(c, "--cap-add") for c in add]
    drops = [normalize_cap(c, "--cap-drop") for c in drop]
    if not adds and not drops:
        return list(defaults)
    if "ALL" in adds:
        out = [c for c in host if c not in drops]
    elif "ALL" in drops:
        out = [c for c in adds if c != "ALL"]
    else:
        out = [c for c in defaults if c not in drops] + adds
    missing = [c for c in out if c not in host]
    if missing:
        raise InvalidArgument(f"--cap-add {missing[0]}: this host's capability bounding set lacks it")
    return list(dict.fromkeys(out))


class SecurityOpts(Value):
    """--security-opt values, parsed."""

    __slots__ = ("apparmor", "label_disable", "no_new_privileges", "seccomp", "systempaths_unconfined")

    def __init__(self) -> None:
        self.seccomp: str = ""  # "" default profile, "unconfined", or a profile's path
        self.no_new_privileges = False
        self.apparmor = ""  # "" or "unconfined": none
        self.label_disable = False
        self.systempaths_unconfined = False


def parse_security_opts(values: Iterable[str]) -> SecurityOpts:
    out = SecurityOpts()
    for raw in values:
        key, sep, value = raw.partition("=")
        if not sep and ":" in raw:  # docker's legacy "key:value" spelling
            key, sep, value = raw.partition(":")
        if key == "no-new-privileges":
            if not sep:
                value = "true"
            if value.lower() not in ("true", "false", "1", "0"):
                raise InvalidArgument(f"invalid --security-opt {raw!r}: no-new-privileges takes "
                                      f"true or false")
            out.no_new_privileges = value.lower() in ("true", "1")
        elif key == "seccomp" and value:
            out.seccomp = value
        elif key == "apparmor" and value:
            out.apparmor = value
        elif key == "label" and value == "disable":
            out.label_disable = True
        elif key == "label" and value:
            raise InvalidArgument(f"--security-opt {raw!r}: SELinux labels are not supported "
                                  f"(only label=disable)")
        elif key == "systempaths" and value == "unconfined":
            out.systempaths_unconfined = True
        else:
            raise InvalidArgument(f"invalid --security-opt {raw!r}: use seccomp=, no-new-privileges, "
                                  f"apparmor=, label=disable or systempaths=unconfined")
    return out


def seccomp_profile(path: str, caps: list[str]) -> dict[str, Any]:
    """The OCI linux.seccomp of a --security-opt seccomp=PATH profile (docker's format, as
    containers-common's, or OCI's own)."""
    import json

    from hutch.engine.seccomp_profile import from_template

    try:
        with open(path) as f:
            profile = json.load(f)
    except OSError as err:
        raise InvalidArgument(f"--security-opt seccomp={path}: {err.strerror}") from None
    except ValueError as err:
        raise InvalidArgument(f"--security-opt seccomp={path}: not JSON ({err})") from None
    if not isinstance(profile, dict) or not isinstance(profile.get("defaultAction"), str):
        raise InvalidArgument(f"--security-opt seccomp={path}: not a seccomp profile (no defaultAction)")
    if "archMap" in profile or any(isinstance(s, dict) and ("includes" in s or "excludes" in s)
                                   for s in profile.get("syscalls") or []):
        try:
            return from_template(profile, caps)
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            raise InvalidArgument(f"--security-opt seccomp={path}: bad profile ({err!r})") from None
    return profile


def host_devices(root: str = "/dev") -> list[dict[str, Any]]:
    """The host's device nodes as linux.devices (--privileged), without following symlinks,
    and not below pts/, shm/, mqueue/... nor /dev/console (the runtime makes its own)."""
    out: list[dict[str, Any]] = []
    stack = [root]
    while stack and len(out) < _MAX_DEVICES:
        d = stack.pop()
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                if e.name not in _SKIP_DIRS:
                    stack.append(e.path)
                continue
            if e.path == os.path.join(root, "console"):
                continue
            kind = "c" if stat.S_ISCHR(st.st_mode) else "b" if stat.S_ISBLK(st.st_mode) else ""
            if not kind:
                continue
            out.append({"path": e.path, "type": kind, "major": os.major(st.st_rdev),
                        "minor": os.minor(st.st_rdev), "fileMode": stat.S_IMODE(st.st_mode),
                        "uid": st.st_uid, "gid": st.st_gid})
            if len(out) >= _MAX_DEVICES:
                break
    return out
