"""A container's OCI config.json, from its image's config and `hutch run`'s options (pure).

What docker gives a container by default, as the runtime-spec spells it: docker's 14
default capabilities, no_new_privs off (docker's default), runc's masked and read-only
paths and mounts, new pid/ipc/uts/mount/cgroup namespaces, a network namespace of its
own unless ``--network host``, and the seccomp profile podman would use (Debian's
containers-common template) when the host has it.
"""

from __future__ import annotations

import copy
import json
import os

from hutch import OCI_VERSION
from hutch.errors import InvalidArgument
from hutch.spec.defaults import MASKED_PATHS, READONLY_PATHS, _mounts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: docker's default capability set (moby oci/caps/defaults.go)
DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
               "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
               "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
DOCKER_NOFILE = 1048576
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class RunOptions:
    """The `hutch run` options that shape the config."""

    def __init__(self, *, args: list[str] | None = None, entrypoint: str | None = None,
                 env: list[str] | None = None, workdir: str = "", user: str = "",
                 hostname: str = "", network: str = "none", read_only: bool = False,
                 tty: bool = False, seccomp: bool = True, memory: str = "", memory_swap: str = "",
                 cpus: str = "", cpu_shares: int = 0, cpuset_cpus: str = "", pids_limit: int = 0,
                 volumes: list[str] | None = None, tmpfs: list[str] | None = None) -> None:
        self.args = args or []
        self.entrypoint = entrypoint
        self.env = env or []
        self.workdir = workdir
        self.user = user
        self.hostname = hostname
        self.network = network
        self.read_only = read_only
        self.tty = tty
        self.seccomp = seccomp
        self.memory, self.memory_swap = memory, memory_swap
        self.cpus, self.cpu_shares, self.cpuset_cpus = cpus, cpu_shares, cpuset_cpus
        self.pids_limit = pids_limit
        self.volumes = volumes or []
        self.tmpfs = tmpfs or []


def resources(opts: RunOptions) -> dict[str, Any]:
    """docker's resource flags as linux.resources: -m/--memory-swap (sizes; swap -1 is
    unlimited), --cpus (a CFS quota per 100 ms period), --cpu-shares, --cpuset-cpus,
    --pids-limit (-1 or 0: unlimited)."""
    from hutch.cli.units import parse_ram

    res: dict[str, Any] = {"devices": [{"allow": False, "access": "rwm"}]}
    if opts.memory:
        limit = parse_ram(opts.memory, "memory")
        if limit < 6 << 20:
            raise InvalidArgument("--memory: the minimum allowed is 6MB")
        res["memory"] = {"limit": limit}
        if opts.memory_swap:
            swap = -1 if opts.memory_swap == "-1" else parse_ram(opts.memory_swap, "memory-swap")
            if swap != -1 and swap < limit:
                raise InvalidArgument("--memory-swap must be at least --memory (it is memory plus swap)")
            res["memory"]["swap"] = swap
    elif opts.memory_swap:
        raise InvalidArgument("--memory-swap needs --memory")
    cpu: dict[str, Any] = {}
    if opts.cpus:
        try:
            cpus = float(opts.cpus)
        except ValueError:
            raise InvalidArgument(f"invalid value {opts.cpus!r} for --cpus: not a number") from None
        if not 0 < cpus <= (os.cpu_count() or 1):
            raise InvalidArgument(f"--cpus {opts.cpus}: must be above 0 and at most {os.cpu_count()} here")
        cpu.update(quota=round(cpus * 100000), period=100000)
    if opts.cpu_shares:
        cpu["shares"] = opts.cpu_shares
    if opts.cpuset_cpus:
        cpu["cpus"] = opts.cpuset_cpus
    if cpu:
        res["cpu"] = cpu
    if opts.pids_limit:
        res["pids"] = {"limit": -1 if opts.pids_limit < 0 else opts.pids_limit}
    return res


def volume_mounts(opts: RunOptions) -> list[dict[str, Any]]:
    """-v SRC:DST[:ro|rw] (an absolute host path; named volumes come later) and
    --tmpfs DST[:OPTIONS] as OCI mounts."""
    out: list[dict[str, Any]] = []
    for spec in opts.volumes:
        parts = spec.split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise InvalidArgument(f"invalid volume specification {spec!r}: use SRC:DST[:ro]")
        src, dst = parts[0], parts[1]
        mode = parts[2] if len(parts) == 3 else "rw"
        if not src.startswith("/"):
            raise InvalidArgument(f"invalid volume {spec!r}: named volumes are not supported yet, "
                                  f"give an absolute host path")
        if not dst.startswith("/") or dst == "/":
            raise InvalidArgument(f"invalid volume {spec!r}: the destination must be an absolute path, not /")
        if mode not in ("ro", "rw"):
            raise InvalidArgument(f"invalid volume {spec!r}: mode {mode!r} is not ro or rw")
        if not os.path.exists(src):
            raise InvalidArgument(f"invalid volume {spec!r}: {src} does not exist")
        out.append({"destination": dst, "type": "bind", "source": src,
                    "options": ["rbind", mode, "rprivate"]})
    for spec in opts.tmpfs:
        dst, _, options = spec.partition(":")
        if not dst.startswith("/") or dst == "/":
            raise InvalidArgument(f"invalid --tmpfs {spec!r}: the destination must be an absolute path, "
                                  f"not /")
        out.append({"destination": dst, "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "noexec", *(o for o in options.split(",") if o)]})
    return out


def _merge_env(base: list[str], extra: list[str]) -> list[str]:
    out: dict[str, str] = {}
    for item in [*base, *extra]:
        key, sep, _ = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid environment variable {item!r}")
        out[key] = item if sep else f"{key}="
    return list(out.values())


def process_args(image_config: dict[str, Any], opts: RunOptions) -> list[str]:
    """docker's rule: ENTRYPOINT + CMD, where --entrypoint replaces the first and
    arguments after the image replace the second (and --entrypoint drops the image's CMD)."""
    entry = list(image_config.get("Entrypoint") or [])
    cmd = list(image_config.get("Cmd") or [])
    if opts.entrypoint is not None:
        entry = [opts.entrypoint] if opts.entrypoint else []
        cmd = []
    if opts.args:
        cmd = list(opts.args)
    args = entry + cmd
    if not args:
        raise InvalidArgument("no command specified: the image has no Cmd or Entrypoint; "
                              "give one after the image")
    return args


def _user(spec: str) -> dict[str, int]:
    uid, _, gid = spec.partition(":")
    try:
        return {"uid": int(uid), "gid": int(gid) if gid else 0}
    except ValueError:
        raise InvalidArgument(f"invalid user {spec!r}: use UID[:GID] numbers (names come later)") from None


def default_seccomp() -> dict[str, Any] | None:
    from hutch.seccomp.profile import CONTAINERS_COMMON, from_template

    try:
        with open(CONTAINERS_COMMON) as f:
            template = json.load(f)
    except OSError:
        return None
    return from_template(template, DOCKER_CAPS)


def build(image_config: dict[str, Any], rootfs: str, cid: str, opts: RunOptions) -> dict[str, Any]:
    """config.json for container ``cid`` on ``rootfs``."""
    cfg = image_config.get("config") or {}
    env = _merge_env([DEFAULT_PATH] if not any(e.startswith("PATH=") for e in cfg.get("Env") or [])
                     else [], [*(cfg.get("Env") or []), *opts.env])
    user = _user(opts.user or str(cfg.get("User") or "0"))
    cwd = opts.workdir or cfg.get("WorkingDir") or "/"
    if not cwd.startswith("/"):
        raise InvalidArgument(f"the working directory {cwd!r} is not an absolute path")
    if opts.network not in ("none", "host"):
        raise InvalidArgument(f"--network {opts.network!r}: only none and host are supported yet")
    namespaces = [{"type": t} for t in ("pid", "ipc", "uts", "mount", "cgroup")]
    if opts.network == "none":
        namespaces.append({"type": "network"})
    nofile = nofile_limit()
    mounts = copy.deepcopy(_mounts())
    if opts.network == "host":  # sysfs of the host's network namespace cannot be mounted anew
        for m in mounts:
            if m["destination"] == "/sys":
                m.update(type="bind", source="/sys", options=["rbind", "nosuid", "noexec", "nodev", "ro"])
    config: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "process": {
            "terminal": opts.tty,
            "user": user,
            "args": process_args(cfg, opts),
            "env": env,
            "cwd": cwd,
            "capabilities": {k: list(DOCKER_CAPS) for k in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": nofile, "soft": nofile}],
            "noNewPrivileges": False,
            "oomScoreAdj": 0,
        },
        "root": {"path": rootfs, "readonly": opts.read_only},
        "hostname": opts.hostname or cid[:12],
        "mounts": mounts + volume_mounts(opts),
        "linux": {
            "resources": resources(opts),
            "namespaces": namespaces,
            "maskedPaths": list(MASKED_PATHS),
            "readonlyPaths": list(READONLY_PATHS),
        },
        "annotations": {"io.github.hutch.container": cid},
    }
    if opts.seccomp:
        sec = default_seccomp()
        if sec is not None:
            config["linux"]["seccomp"] = sec
    return config


def nofile_limit() -> int:
    """docker's RLIMIT_NOFILE, 1048576, where it can be had: a host whose bounding set lacks
    CAP_SYS_RESOURCE (as these VMs) cannot raise the hard limit, so it gets the current one."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard >= DOCKER_NOFILE or _has_sys_resource():
        return DOCKER_NOFILE
    return int(hard)


def _has_sys_resource() -> bool:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapBnd:"):
                    return bool(int(line.split()[1], 16) & (1 << 24))
    except OSError:
        pass
    return False
