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

from hutch._version import OCI_VERSION
from hutch.errors import InvalidArgument
from hutch.spec.defaults import MASKED_PATHS, READONLY_PATHS, _mounts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.volumes import VolumeStore

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
                 volumes: list[str] | None = None, tmpfs: list[str] | None = None,
                 mounts: list[str] | None = None, ulimits: list[str] | None = None,
                 cap_add: list[str] | None = None, cap_drop: list[str] | None = None,
                 privileged: bool = False, security_opt: list[str] | None = None,
                 init: bool = False, labels: dict[str, str] | None = None) -> None:
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
        self.mounts = mounts or []
        self.ulimits = ulimits or []
        self.cap_add, self.cap_drop = cap_add or [], cap_drop or []
        self.privileged = privileged
        self.security_opt = security_opt or []
        self.init = init
        self.labels = labels or {}


def resources(opts: RunOptions) -> dict[str, Any]:
    """docker's resource flags as linux.resources: -m/--memory-swap (sizes; swap -1 is
    unlimited), --cpus (a CFS quota per 100 ms period), --cpu-shares, --cpuset-cpus,
    --pids-limit (-1 or 0: unlimited)."""
    from hutch.util.units import parse_ram

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


#: docker's --ulimit names (go-units ulimit.go) → the runtime-spec's RLIMIT_* types
ULIMITS = {"core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA", "fsize": "RLIMIT_FSIZE",
           "locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK", "msgqueue": "RLIMIT_MSGQUEUE",
           "nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE", "nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS",
           "rtprio": "RLIMIT_RTPRIO", "rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING",
           "stack": "RLIMIT_STACK", "as": "RLIMIT_AS"}
RLIM_INFINITY = (1 << 64) - 1


def rlimits(specs: list[str], nofile: int) -> list[dict[str, Any]]:
    """docker's RLIMIT_NOFILE default, then each --ulimit TYPE=SOFT[:HARD] (-1: unlimited;
    HARD defaults to SOFT); a later one of a type replaces an earlier one."""
    out = {"RLIMIT_NOFILE": {"type": "RLIMIT_NOFILE", "hard": nofile, "soft": nofile}}
    for spec in specs:
        name, sep, value = spec.partition("=")
        kind = ULIMITS.get(name.strip().lower())
        if kind is None or not sep:
            raise InvalidArgument(f"invalid --ulimit {spec!r}: use TYPE=SOFT[:HARD] with TYPE one of "
                                  f"{', '.join(sorted(ULIMITS))}")
        soft_s, _, hard_s = value.partition(":")
        try:
            soft, hard = int(soft_s), int(hard_s or soft_s)
        except ValueError:
            raise InvalidArgument(f"invalid --ulimit {spec!r}: the limits must be integers (-1: unlimited)") \
                from None
        if soft < -1 or hard < -1:
            raise InvalidArgument(f"invalid --ulimit {spec!r}: a limit is a number >= 0, or -1 for unlimited")
        soft_v, hard_v = (RLIM_INFINITY if v == -1 else v for v in (soft, hard))
        if soft_v > hard_v:
            raise InvalidArgument(f"invalid --ulimit {spec!r}: the soft limit must be at most the hard limit")
        out[kind] = {"type": kind, "hard": hard_v, "soft": soft_v}
    return list(out.values())


def env_file(path: str) -> list[str]:
    """docker's --env-file (and --label-file) format: KEY=VAL lines taken as they are,
    ``#`` comment lines and blank lines skipped, a bare KEY left bare (the caller gives it
    the host's value)."""
    try:
        with open(path, "rb") as f:
            data = f.read(16 << 20)
    except OSError as err:
        raise InvalidArgument(f"open {path}: {err.strerror}") from None
    out = []
    for n, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").splitlines(), 1):
        try:
            line = raw.decode("utf-8").lstrip()
        except UnicodeDecodeError:
            raise InvalidArgument(f"{path}: line {n} is not UTF-8") from None
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.lstrip()
        if not key:
            raise InvalidArgument(f"{path}: no variable name on line {n}")
        if any(c.isspace() for c in key):
            raise InvalidArgument(f"{path}: line {n}: variable {key!r} contains whitespace")
        out.append(f"{key}={value}" if sep else key)
    return out


def labels(image_config: dict[str, Any], opts: RunOptions) -> dict[str, str]:
    """The image's Labels with --label/--label-file's over them."""
    base = (image_config.get("config") or {}).get("Labels") or {}
    return {**{str(k): str(v) for k, v in base.items()}, **opts.labels}


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


def default_seccomp(caps: list[str] | None = None) -> dict[str, Any] | None:
    from hutch.engine.seccomp_profile import CONTAINERS_COMMON, from_template

    try:
        with open(CONTAINERS_COMMON) as f:
            template = json.load(f)
    except OSError:
        return None
    return from_template(template, DOCKER_CAPS if caps is None else caps)


INIT_PATH = "/sbin/docker-init"
INIT_BINARIES = ("/usr/bin/docker-init", "/usr/bin/catatonit")  # tini-static, podman's fallback
VOLUMES_ANNOTATION = "io.github.hutch.volumes"


def find_init() -> str:
    for path in INIT_BINARIES:
        real = os.path.realpath(path)
        if os.path.isfile(real) and os.access(real, os.X_OK):
            return real
    raise InvalidArgument(f"--init: none of {', '.join(INIT_BINARIES)} is on this host "
                          f"(apt-get install tini or catatonit)")


def build(image_config: dict[str, Any], rootfs: str, cid: str, opts: RunOptions,
          layers: list[str] | None = None, volumes: VolumeStore | None = None) -> dict[str, Any]:
    """config.json for container ``cid`` on ``rootfs``. ``layers`` (bottom first) are the
    image's, for user names and the content of new volumes; ``volumes`` the engine's volume
    store. Everything is checked before the one side effect, making the volumes it needs
    (listed, as JSON, in the annotation ``io.github.hutch.volumes``)."""
    from hutch.engine import mounts as mountreq
    from hutch.engine import security, users

    cfg = image_config.get("config") or {}
    env = _merge_env([DEFAULT_PATH] if not any(e.startswith("PATH=") for e in cfg.get("Env") or [])
                     else [], [*(cfg.get("Env") or []), *opts.env])
    user = users.resolve(opts.user or str(cfg.get("User") or ""), layers or [])
    cwd = opts.workdir or cfg.get("WorkingDir") or "/"
    if not cwd.startswith("/"):
        raise InvalidArgument(f"the working directory {cwd!r} is not an absolute path")
    if opts.network not in ("none", "host"):
        raise InvalidArgument(f"--network {opts.network!r}: only none and host are supported yet")
    namespaces = [{"type": t} for t in ("pid", "ipc", "uts", "mount", "cgroup")]
    if opts.network == "none":
        namespaces.append({"type": "network"})
    caps = security.capabilities(DOCKER_CAPS, opts.cap_add, opts.cap_drop, opts.privileged)
    sec = security.parse_security_opts(opts.security_opt)
    seccomp: dict[str, Any] | None = None
    if opts.privileged or sec.seccomp == "unconfined" or not opts.seccomp:
        seccomp = None
    elif sec.seccomp:
        seccomp = security.seccomp_profile(sec.seccomp, caps)
    else:
        seccomp = default_seccomp(caps)
    mounts = copy.deepcopy(_mounts())
    if opts.network == "host":  # sysfs of the host's network namespace cannot be mounted anew
        for m in mounts:
            if m["destination"] == "/sys":
                m.update(type="bind", source="/sys", options=["rbind", "nosuid", "noexec", "nodev", "ro"])
    if opts.privileged:  # /sys and the cgroups writable
        for m in mounts:
            if m["destination"] in ("/sys", "/sys/fs/cgroup"):
                m["options"] = [o for o in m.get("options", []) or [] if o != "ro"]  # type: ignore[attr-defined]
    args = process_args(cfg, opts)
    if opts.init:
        mounts.append({"destination": INIT_PATH, "type": "bind", "source": find_init(),
                       "options": ["rbind", "ro", "nosuid", "nodev", "rprivate"]})
        args = [INIT_PATH, "--", *args]
    requests = mountreq.requests(opts.volumes, opts.mounts, opts.tmpfs)
    if opts.init and any(r.target == INIT_PATH for r in requests):
        raise InvalidArgument(f"duplicate mount point: {INIT_PATH} (--init uses it)")
    res = resources(opts)
    process: dict[str, Any] = {
        "terminal": opts.tty,
        "user": user,
        "args": args,
        "env": env,
        "cwd": cwd,
        "capabilities": {k: list(caps) for k in ("bounding", "effective", "permitted")},
        "rlimits": rlimits(opts.ulimits, nofile_limit()),
        "noNewPrivileges": sec.no_new_privileges,
        "oomScoreAdj": 0,
    }
    if sec.apparmor and sec.apparmor != "unconfined":
        process["apparmorProfile"] = sec.apparmor
    confined = not (opts.privileged or sec.systempaths_unconfined)
    linux: dict[str, Any] = {
        "resources": res,
        "namespaces": namespaces,
        "maskedPaths": list(MASKED_PATHS) if confined else [],
        "readonlyPaths": list(READONLY_PATHS) if confined else [],
    }
    if opts.privileged:
        res["devices"] = [{"allow": True, "access": "rwm"}]
        linux["devices"] = security.host_devices()
    if seccomp is not None:
        linux["seccomp"] = seccomp
    image_volumes = sorted((cfg.get("Volumes") or {}).keys())
    needs_store = image_volumes or any(r.kind == "volume" for r in requests)
    if needs_store and volumes is None:
        raise InvalidArgument("volumes need the engine's volume store")
    user_mounts, used = (volumes.attach(requests, image_volumes, layers or []) if volumes is not None
                         else ([r.oci(r.source) for r in requests], []))
    return {
        "ociVersion": OCI_VERSION,
        "process": process,
        "root": {"path": rootfs, "readonly": opts.read_only},
        "hostname": opts.hostname or cid[:12],
        "mounts": mounts + user_mounts,
        "linux": linux,
        "annotations": {"io.github.hutch.container": cid, VOLUMES_ANNOTATION: json.dumps(used)},
    }


def volumes_of(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The volumes ``build`` made or reused for the container (for its record)."""
    used: list[dict[str, Any]] = json.loads(config.get("annotations", {}).get(VOLUMES_ANNOTATION, "[]"))
    return used


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
