"""`HostOptions`: docker's run flags that shape the container's host side, parsed and checked
once (hutch.engine.request holds one in each `CreateRequest`): --device, --shm-size, --sysctl,
--group-add, --domainname, the namespace modes (--ipc, --pid, --uts, --cgroupns, --userns and
podman's --uidmap/--gidmap), --cgroup-parent, --oom-score-adj, --oom-kill-disable, and
--volumes-from. The spec generator (hutch.engine.specgen) turns them into config.json; what
names another container (``container:X``, --volumes-from) is settled by the engine at create
(the container exists) and at start (it runs).

Errors are docker's words: ``invalid argument "V" for "--flag" flag: why`` for a value
docker's CLI refuses, the daemon's sentence for what it refuses.
"""

from __future__ import annotations

import os
import stat

from hutch.errors import InvalidArgument
from hutch.util.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

SHM_SIZE = 64 << 20  # docker's default /dev/shm
#: docker's namespaced sysctls (docker/cli opts.ValidateSysctl): these names, and these prefixes
IPC_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
               "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")
SYSCTL_PREFIXES = ("net.", "fs.mqueue.")
IPC_MODES = ("private", "shareable", "host", "none")
CGROUPNS_MODES = ("private", "host")
OOM_SCORE_RANGE = (-1000, 1000)


def _flag_error(value: str, flag: str, why: str) -> InvalidArgument:
    return InvalidArgument(f'invalid argument "{value}" for "{flag}" flag: {why}')


class Device(Value):
    """One --device: the host's node (``host``, its ``kind`` "c" or "b", ``major``, ``minor``,
    ``mode``, ``uid``, ``gid``), where it goes (``path``) and the cgroup access (``perms``)."""

    __slots__ = ("gid", "host", "kind", "major", "minor", "mode", "path", "perms", "uid")

    def __init__(self, host: str, path: str, perms: str, kind: str, major: int, minor: int, mode: int,
                 uid: int = 0, gid: int = 0) -> None:
        self.host, self.path, self.perms = host, path, perms
        self.kind, self.major, self.minor, self.mode, self.uid, self.gid = kind, major, minor, mode, uid, gid


class IDMap(Value):
    """One --uidmap/--gidmap: ``container`` ids from ``host`` on, ``size`` of them."""

    __slots__ = ("container", "host", "size")

    def __init__(self, container: int, host: int, size: int) -> None:
        self.container, self.host, self.size = container, host, size


class HostOptions(Value):
    """The host-side flags, typed. Namespace modes as docker spells them: ``ipc`` private
    (docker's daemon default), shareable, host, none or container:X; ``pid`` and ``uts`` ""
    (own) or host (pid: or container:X); ``cgroupns`` private or host (`parse`'s default is
    docker's: private on cgroup v2, host on v1); ``userns`` "" or host,
    with ``uidmap``/``gidmap`` a user namespace of its own. ``volumes_from`` are
    (container, "rw" | "ro" | "") pairs."""

    __slots__ = ("cgroup_parent", "cgroupns", "devices", "domainname", "gidmap", "group_add", "ipc",
                 "oom_kill_disable", "oom_score_adj", "pid", "shm_size", "sysctls", "uidmap", "userns",
                 "uts", "volumes_from")

    def __init__(self, *, devices: Iterable[Device] = (), shm_size: int = SHM_SIZE,
                 sysctls: Mapping[str, str] | None = None, group_add: Iterable[str] = (),
                 domainname: str = "", ipc: str = "private", pid: str = "", uts: str = "",
                 cgroupns: str = "private", userns: str = "", uidmap: Iterable[IDMap] = (),
                 gidmap: Iterable[IDMap] = (), cgroup_parent: str = "", oom_score_adj: int | None = None,
                 oom_kill_disable: bool = False, volumes_from: Iterable[tuple[str, str]] = ()) -> None:
        self.devices, self.shm_size = list(devices), shm_size
        self.sysctls: dict[str, str] = dict(sysctls or {})
        self.group_add, self.domainname = list(group_add), domainname
        self.ipc, self.pid, self.uts, self.cgroupns, self.userns = ipc, pid, uts, cgroupns, userns
        self.uidmap, self.gidmap = list(uidmap), list(gidmap)
        self.cgroup_parent, self.oom_score_adj, self.oom_kill_disable = cgroup_parent, oom_score_adj, \
            oom_kill_disable
        self.volumes_from = list(volumes_from)

    def settings(self) -> dict[str, object]:
        """What the record keeps for inspect and for the start (the modes that name others)."""
        return {"ipc": self.ipc, "pid": self.pid, "uts": self.uts, "cgroupns": self.cgroupns,
                "userns": self.userns, "shm_size": self.shm_size, "cgroup_parent": self.cgroup_parent,
                "group_add": self.group_add,
                "uidmap": [[m.container, m.host, m.size] for m in self.uidmap],
                "gidmap": [[m.container, m.host, m.size] for m in self.gidmap],
                "devices": [{"PathOnHost": d.host, "PathInContainer": d.path, "CgroupPermissions": d.perms}
                            for d in self.devices]}


def parse(*, devices: Iterable[str] = (), shm_size: str | int = "",
          sysctls: Iterable[str] | Mapping[str, str] = (), group_add: Iterable[str] = (),
          domainname: str = "", ipc: str = "", pid: str = "", uts: str = "",
          cgroupns: str = "", userns: str = "", uidmap: Iterable[str] = (), gidmap: Iterable[str] = (),
          cgroup_parent: str = "", oom_score_adj: int | None = None, oom_kill_disable: bool = False,
          volumes_from: Iterable[str] = (), network: str = "", hostname: str = "") -> HostOptions:
    """The options from the raw values (``network`` and ``hostname`` for the checks that
    involve them), each checked as docker checks it."""
    ipc = ipc or "private"
    if ipc not in IPC_MODES and not _container_mode(ipc):
        raise InvalidArgument("--ipc: invalid IPC mode")
    if pid not in ("", "host") and not _container_mode(pid):
        raise InvalidArgument("--pid: invalid PID mode")
    if uts not in ("", "host"):
        raise InvalidArgument("--uts: invalid UTS mode")
    if uts == "host" and hostname:
        raise InvalidArgument("conflicting options: hostname and the UTS mode")
    cgroupns = cgroupns or default_cgroupns()
    if cgroupns not in CGROUPNS_MODES:
        raise InvalidArgument("--cgroupns: invalid CGROUP mode")
    if userns not in ("", "host"):
        raise InvalidArgument("--userns: invalid USER mode")
    uids, gids = [parse_idmap(m, "--uidmap") for m in uidmap], [parse_idmap(m, "--gidmap") for m in gidmap]
    if (uids or gids) and userns == "host":
        raise InvalidArgument("--userns host and --uidmap/--gidmap: use one or the other")
    if uids and not gids:  # podman's: the uid mappings for the gids too
        gids = [IDMap(m.container, m.host, m.size) for m in uids]
    elif gids and not uids:
        uids = [IDMap(m.container, m.host, m.size) for m in gids]
    if oom_score_adj is not None and not OOM_SCORE_RANGE[0] <= oom_score_adj <= OOM_SCORE_RANGE[1]:
        raise InvalidArgument(f"Invalid value {oom_score_adj}, range for oom score adj is [-1000, 1000]")
    return HostOptions(
        devices=[dev for d in devices for dev in parse_devices(d)], shm_size=parse_shm_size(shm_size),
        sysctls=parse_sysctls(sysctls, network, ipc), group_add=[parse_group(g) for g in group_add],
        domainname=domainname, ipc=ipc, pid=pid, uts=uts, cgroupns=cgroupns, userns=userns, uidmap=uids,
        gidmap=gids, cgroup_parent=parse_cgroup_parent(cgroup_parent), oom_score_adj=oom_score_adj,
        oom_kill_disable=oom_kill_disable, volumes_from=[parse_volumes_from(v) for v in volumes_from])


def default_cgroupns() -> str:
    """docker's daemon default: a cgroup namespace of its own on a cgroup v2 host, the host's
    on a v1 (or hybrid) one (there the container's own cgroup dirs are bound in)."""
    return "host" if cgroup_v1() else "private"


def cgroup_v1() -> bool:
    """Whether this host's cgroups are v1 or hybrid (not v2 alone)."""
    return not os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def _container_mode(mode: str) -> bool:
    return mode.startswith("container:") and bool(mode.partition(":")[2])


def parse_devices(spec: str) -> list[Device]:
    """One --device HOST[:CONTAINER][:PERMS] (docker/cli parseDevice/validateDevice): PERMS a
    combination of r, w and m (default rwm), CONTAINER the host's path by default; HOST a
    node, or (as docker) a directory whose nodes go below CONTAINER. The host's nodes are
    looked at now."""
    host, path, perms = _split_device(spec)
    if not os.path.isdir(host):
        return [_device(host, path, perms)]
    out = []
    for top, dirs, files in os.walk(host):
        dirs.sort()
        for name in sorted(files):
            node = os.path.join(top, name)
            if stat.S_ISCHR(os.lstat(node).st_mode) or stat.S_ISBLK(os.lstat(node).st_mode):
                out.append(_device(node, os.path.join(path, os.path.relpath(node, host)), perms))
    return out


def parse_device(spec: str) -> Device:
    """One --device of a node."""
    return _device(*_split_device(spec))


def _split_device(spec: str) -> tuple[str, str, str]:
    parts = spec.split(":")
    if len(parts) > 3:
        raise _flag_error(spec, "--device", f"invalid device specification: {spec}")
    host, path, perms = parts[0], "", "rwm"
    if len(parts) == 3:
        path, perms = parts[1], parts[2]
    elif len(parts) == 2:
        if _valid_perms(parts[1]):
            perms = parts[1]
        else:
            path = parts[1]
    path = path or host
    if not path.startswith("/") or not host.startswith("/"):
        raise _flag_error(spec, "--device", f"bad format for path: {spec}")
    if not _valid_perms(perms):
        raise _flag_error(spec, "--device", f"bad mode specified: {perms}")
    return host, os.path.normpath(path), perms


def _device(host: str, path: str, perms: str) -> Device:
    try:
        st = os.stat(host)
    except OSError as err:
        raise InvalidArgument(f"error gathering device information while adding custom device \"{host}\": "
                              f"{(err.strerror or str(err)).lower()}") from None
    if stat.S_ISCHR(st.st_mode):
        kind = "c"
    elif stat.S_ISBLK(st.st_mode):
        kind = "b"
    else:
        raise InvalidArgument(f"error gathering device information while adding custom device \"{host}\": "
                              f"not a device node")
    return Device(host, path, perms, kind, os.major(st.st_rdev), os.minor(st.st_rdev),
                  stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)


def _valid_perms(perms: str) -> bool:
    return 0 < len(perms) <= 3 and all(c in "rwm" for c in perms) and len(set(perms)) == len(perms)


def parse_shm_size(value: str | int) -> int:
    """--shm-size: bytes (k, m, g...), docker's 64m when not given."""
    if isinstance(value, int):
        if value < 0:
            raise InvalidArgument("SHM size can not be less than 0")
        return value or SHM_SIZE
    if not value:
        return SHM_SIZE
    from hutch.util.units import parse_ram

    try:
        size = parse_ram(value, "shm-size")
    except InvalidArgument:
        raise _flag_error(value, "--shm-size", f"invalid size: '{value}'") from None
    if size < 0:
        raise InvalidArgument("SHM size can not be less than 0")
    return size or SHM_SIZE


def parse_sysctls(items: Iterable[str] | Mapping[str, str], network: str, ipc: str) -> dict[str, str]:
    """--sysctl KEY=VALUE: only the namespaced ones docker allows (the IPC namespace's kernel.*
    names and fs.mqueue.*, the network namespace's net.*), and only with a namespace of the
    container's own."""
    from _collections_abc import Mapping as MappingABC

    pairs = [f"{k}={v}" for k, v in items.items()] if isinstance(items, MappingABC) else list(items)
    out: dict[str, str] = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or not (key in IPC_SYSCTLS or key.startswith(SYSCTL_PREFIXES)):
            raise _flag_error(item, "--sysctl", f"sysctl '{item}' is not allowed")
        if key.startswith("net.") and network == "host":
            raise InvalidArgument(f"sysctl \"{key}\" not allowed in host network namespace")
        if not key.startswith("net.") and ipc == "host":
            raise InvalidArgument(f"sysctl \"{key}\" not allowed in host ipc namespace")
        out[key] = value
    return out


def parse_group(group: str) -> str:
    """--group-add GROUP|GID (a name is looked up in the image's /etc/group by the spec generator)."""
    if not group or ":" in group or any(c.isspace() for c in group):
        raise InvalidArgument(f"invalid --group-add {group!r}: a group name or number")
    return group


def parse_idmap(spec: str, flag: str) -> IDMap:
    """podman's --uidmap/--gidmap CONTAINER:HOST:SIZE."""
    parts = spec.split(":")
    try:
        container, host, size = (int(p) for p in parts)
    except ValueError:
        raise _flag_error(spec, flag, "use CONTAINER:HOST:SIZE (numbers)") from None
    if container < 0 or host < 0 or size < 1 or container + size > 1 << 32 or host + size > 1 << 32:
        raise _flag_error(spec, flag, "the ids must be at least 0 and the size at least 1, within 32 bits")
    return IDMap(container, host, size)


def parse_cgroup_parent(parent: str) -> str:
    """--cgroup-parent: a cgroup path (relative ones are under the root, as docker's cgroupfs driver)."""
    if not parent:
        return ""
    norm = os.path.normpath("/" + parent.strip())
    if ".." in parent.split("/") or norm == "/":
        raise InvalidArgument(f"invalid --cgroup-parent {parent!r}: a cgroup path")
    return norm


def parse_volumes_from(spec: str) -> tuple[str, str]:
    """--volumes-from CONTAINER[:ro|rw]."""
    name, sep, mode = spec.partition(":")
    if not name or (sep and mode not in ("ro", "rw")):
        raise InvalidArgument(f"invalid mode: {mode}" if name else f"invalid --volumes-from {spec!r}")
    return name, mode
