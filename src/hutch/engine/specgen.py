"""The spec generator (podman's specgen): a container's OCI config.json from its
`CreateRequest` (hutch.engine.request, every value already parsed and checked) and its
image's config.

What docker gives a container by default, as the runtime-spec spells it: docker's 14
default capabilities, no_new_privs off (docker's default), runc's masked and read-only
paths and mounts, new pid/ipc/uts/mount namespaces (unless --pid/--ipc/--uts say host), a
cgroup namespace as --cgroupns says (docker's default: private on cgroup v2, host on v1), a
network namespace of its own unless ``--network host``, a user namespace with --uidmap,
and the seccomp profile podman would use (Debian's containers-common template) when the
host has it.

What only the image settles is settled here: the command (docker's ENTRYPOINT + CMD rule),
the environment over the image's, the working directory, the user (looked up in the
image's /etc/passwd and /etc/group), and an anonymous volume for each of the image's
``Volumes``.
"""

from __future__ import annotations

import os

from hutch._version import OCI_VERSION
from hutch.engine.hostflags import cgroup_v1
from hutch.engine.request import INIT_PATH
from hutch.errors import InvalidArgument
from hutch.fastjson import dumps, loads
from hutch.spec.defaults import MASKED_PATHS, READONLY_PATHS, _mounts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hutch.engine.limits import Resources
    from hutch.engine.mounts import Mount
    from hutch.engine.request import CreateRequest, Ulimit
    from hutch.engine.volumes import VolumeStore

DOCKER_NOFILE = 1048576
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
VOLUMES_ANNOTATION = "io.github.hutch.volumes"
IDMAPPED_ANNOTATION = "io.github.hutch.idmapped"
CPU_PERIOD = 100000  # µs: --cpus is a CFS quota per 100 ms period, as docker's


def generate(req: CreateRequest, image_config: dict[str, Any], rootfs: str, cid: str,
             layers: list[str] | None = None,
             volumes: Callable[[], VolumeStore] | None = None, idmapped: str = "") -> dict[str, Any]:
    """config.json for container ``cid`` on ``rootfs``. ``layers`` (bottom first) are the
    image's, for user names and the content of new volumes; ``volumes`` gives the engine's
    volume store, asked for only when the container has volumes (named, anonymous, or the
    image's ``Volumes``: the volume store is not small to import). Everything is checked
    before the one side effect, making the volumes it needs (listed, as JSON, in the
    annotation ``io.github.hutch.volumes``). With --uidmap, volumes and ``idmap`` binds are
    bound from ``idmapped``/v0, v1...: their directories idmapped there at each start
    (`idmapped_sources`)."""
    from hutch.engine import security, users

    cfg = image_config.get("config") or {}
    host = req.host
    user = users.resolve(req.user or str(cfg.get("User") or ""), layers or [])
    for group in host.group_add:
        gid = users.group_id(group, layers or [])
        if gid not in user["additionalGids"]:
            user["additionalGids"].append(gid)
    hostname = container_hostname(req, cid)
    env = environment(cfg.get("Env") or [], req.env, hostname=hostname, tty=req.tty,
                      home=users.home(user["uid"], req.user or str(cfg.get("User") or ""), layers or []))
    cwd = req.workdir or cfg.get("WorkingDir") or "/"
    if not cwd.startswith("/"):
        raise InvalidArgument(f"the working directory {cwd!r} is not an absolute path")
    namespaces = []  # (container:X's paths are the start's, hutch.engine.lifecycle)
    if host.pid != "host":
        namespaces.append({"type": "pid"})
    if host.ipc != "host":
        namespaces.append({"type": "ipc"})
    if host.uts != "host":
        namespaces.append({"type": "uts"})
    namespaces.append({"type": "mount"})
    if host.cgroupns != "host":
        namespaces.append({"type": "cgroup"})
    if req.network.mode != "host":  # (a bridge network's path is the engine's, at create; another
        #                              container's, at start)
        namespaces.append({"type": "network"})
    if host.uidmap:
        namespaces.append({"type": "user"})
    caps = req.capabilities
    seccomp = req.seccomp_profile if req.seccomp == "profile" else \
        default_seccomp(caps) if req.seccomp == "default" else None
    mounts = _mounts()  # a new list of new dicts at each call
    if req.network.mode == "host":  # sysfs of the host's network namespace cannot be mounted anew
        for m in mounts:
            if m["destination"] == "/sys":
                m.update(type="bind", source="/sys", options=["rbind", "nosuid", "noexec", "nodev", "ro"])
    shm(mounts, host.ipc, host.shm_size)
    if req.privileged:  # /sys and the cgroups writable
        for m in mounts:
            if m["destination"] in ("/sys", "/sys/fs/cgroup"):
                m["options"] = [o for o in m.get("options", []) or [] if o != "ro"]  # type: ignore[attr-defined]
    args = process_args(cfg, req)
    if req.init_binary:
        mounts.append({"destination": INIT_PATH, "type": "bind", "source": req.init_binary,
                       "options": ["rbind", "ro", "nosuid", "nodev", "rprivate"]})
        args = [INIT_PATH, "--", *args]
    res = resources(req.resources)
    if host.oom_kill_disable:
        res.setdefault("memory", {})["disableOOMKiller"] = True
    sec = req.security
    process: dict[str, Any] = {
        "terminal": req.tty,
        "user": user,
        "args": args,
        "env": env,
        "cwd": cwd,
        "capabilities": {k: list(caps) for k in ("bounding", "effective", "permitted")},
        "rlimits": rlimits(req.ulimits, nofile_limit()),
        "noNewPrivileges": sec.no_new_privileges,
        "oomScoreAdj": host.oom_score_adj or 0,
    }
    if sec.apparmor and sec.apparmor != "unconfined":
        process["apparmorProfile"] = sec.apparmor
    confined = not (req.privileged or sec.systempaths_unconfined)
    linux: dict[str, Any] = {
        "resources": res,
        "namespaces": namespaces,
        "maskedPaths": list(MASKED_PATHS) if confined else [],
        "readonlyPaths": list(READONLY_PATHS) if confined else [],
    }
    if req.privileged:
        res["devices"] = [{"allow": True, "access": "rwm"}]
        linux["devices"] = security.host_devices()
    for dev in host.devices:
        linux.setdefault("devices", [])
        linux["devices"] = [d for d in linux["devices"] if d["path"] != dev.path]
        linux["devices"].append({"path": dev.path, "type": dev.kind, "major": dev.major, "minor": dev.minor,
                                 "fileMode": dev.mode, "uid": dev.uid, "gid": dev.gid})
        res["devices"].append({"allow": True, "type": dev.kind, "major": dev.major, "minor": dev.minor,
                               "access": dev.perms})
    if host.sysctls:
        linux["sysctl"] = dict(host.sysctls)
    if host.uidmap:
        linux["uidMappings"] = [{"containerID": m.container, "hostID": m.host, "size": m.size}
                                for m in host.uidmap]
        linux["gidMappings"] = [{"containerID": m.container, "hostID": m.host, "size": m.size}
                                for m in host.gidmap]
    if seccomp is not None:
        linux["seccomp"] = seccomp
    image_volumes = sorted((cfg.get("Volumes") or {}).keys())
    if image_volumes or any(m.kind == "volume" for m in req.mounts):
        if volumes is None:
            raise InvalidArgument("volumes need the engine's volume store")
        placed, used = volumes().attach(req.mounts, image_volumes, layers or [])
    else:
        placed, used = [(m, m.source) for m in req.mounts], []
    mapped: list[list[str]] = []
    if host.uidmap:  # seen through the mappings, as the image's layers (hutch.engine.sharing)
        for i, (asked, host_path) in enumerate(placed):
            if asked.kind == "volume" or asked.idmap:
                mapped.append([host_path, os.path.join(idmapped, f"v{i}")])
                placed[i] = (asked, mapped[-1][1])
    user_mounts = [oci_mount(m, host_path) for m, host_path in placed]
    config: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "process": process,
        "root": {"path": rootfs, "readonly": req.read_only},
        "hostname": hostname,
        "mounts": mounts + user_mounts,
        "linux": linux,
        "annotations": {"io.github.hutch.container": cid, VOLUMES_ANNOTATION: dumps(used),
                        **({IDMAPPED_ANNOTATION: dumps(mapped)} if mapped else {})},
    }
    if host.uts == "host":  # the host's own name (no UTS namespace: nothing to set)
        del config["hostname"]
    elif host.domainname:
        config["domainname"] = host.domainname
    return config


def container_hostname(req: CreateRequest, cid: str) -> str:
    """-h's name; else with --network host or --uts host the host's (as docker), else the id's
    first 12 digits."""
    if req.hostname:
        return req.hostname
    if req.network.mode == "host" or req.host.uts == "host":
        import _socket

        return _socket.gethostname()
    return cid[:12]


def shm(mounts: list[dict[str, Any]], ipc: str, size: int) -> None:
    """/dev/shm as --ipc and --shm-size say: a tmpfs of ``size`` bytes (private, shareable;
    container:X binds X's at start), the host's (host), none (none)."""
    for i, m in enumerate(mounts):
        if m["destination"] != "/dev/shm":
            continue
        if ipc == "none":
            del mounts[i]
        elif ipc == "host":
            mounts[i] = {"destination": "/dev/shm", "type": "bind", "source": "/dev/shm",
                         "options": ["rbind", "nosuid", "noexec", "nodev"]}
        else:
            m["options"] = [o for o in m["options"] if not o.startswith("size=")] + [f"size={size}"]
        return


def oci_mount(m: Mount, host_path: str = "") -> dict[str, Any]:
    """The OCI mount of ``m`` (``host_path``: the bind's source or the volume's _data directory)."""
    if m.kind == "tmpfs":
        return {"destination": m.target, "type": "tmpfs", "source": "tmpfs",
                "options": ["nosuid", "nodev", "noexec", *m.tmpfs_options]}
    return {"destination": m.target, "type": "bind", "source": host_path,
            "options": ["rbind" if m.recursive else "bind", "ro" if m.readonly else "rw", m.propagation]}


def resources(r: Resources) -> dict[str, Any]:
    """linux.resources: the device cgroup's deny-all (the runtime adds its defaults), memory,
    swap and reservation, a CFS quota for ``cpus`` (or the period and quota given), shares,
    cpuset, pids, the block I/O weight."""
    res: dict[str, Any] = {"devices": [{"allow": False, "access": "rwm"}]}
    memory: dict[str, Any] = {}
    if r.memory is not None:
        memory["limit"] = r.memory
        if r.memory_swap is not None:
            memory["swap"] = r.memory_swap
        elif swap_limit_supported():  # docker's daemon: -m alone, twice as much memory+swap
            memory["swap"] = 2 * r.memory
    if r.memory_reservation is not None:
        memory["reservation"] = r.memory_reservation
    if memory:
        res["memory"] = memory
    cpu: dict[str, Any] = {}
    if r.cpus is not None:
        cpu.update(quota=round(r.cpus * CPU_PERIOD), period=CPU_PERIOD)
    if r.cpu_period:
        cpu["period"] = r.cpu_period
    if r.cpu_quota:
        cpu["quota"] = r.cpu_quota
    if r.cpu_shares:
        cpu["shares"] = r.cpu_shares
    if r.cpuset_cpus:
        cpu["cpus"] = r.cpuset_cpus
    if cpu:
        res["cpu"] = cpu
    if r.pids_limit is not None:
        res["pids"] = {"limit": r.pids_limit}
    if r.blkio_weight:
        res["blockIO"] = {"weight": r.blkio_weight}
    return res


def swap_limit_supported() -> bool:
    """Whether this host's memory cgroup can limit swap (docker's SwapLimit): cgroup v1's
    memory.memsw files, or v2's memory.swap.max (in our own cgroup; the root has none)."""
    if os.path.exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"):
        return True
    try:
        with open("/proc/self/cgroup") as f:
            path = next((line.split(":", 2)[2].strip() for line in f if line.startswith("0::")), None)
    except OSError:
        return False
    if path is None or cgroup_v1():
        return False
    return path == "/" or os.path.exists(f"/sys/fs/cgroup{path.rstrip('/')}/memory.swap.max")


def rlimits(ulimits: list[Ulimit], nofile: int) -> list[dict[str, Any]]:
    """docker's RLIMIT_NOFILE default (``nofile``), then each --ulimit over it."""
    out = {"RLIMIT_NOFILE": {"type": "RLIMIT_NOFILE", "hard": nofile, "soft": nofile}}
    for u in ulimits:
        out[u.kind] = {"type": u.kind, "hard": u.hard, "soft": u.soft}
    return list(out.values())


def labels(image_config: dict[str, Any], req: CreateRequest) -> dict[str, str]:
    """The image's Labels with the request's over them."""
    base = (image_config.get("config") or {}).get("Labels") or {}
    return {**{str(k): str(v) for k, v in base.items()}, **req.labels}


def environment(image_env: list[str], env: dict[str, str], *, hostname: str = "", tty: bool = False,
                home: str = "") -> list[str]:
    """docker's: PATH (the image's, else the default), HOSTNAME, TERM=xterm with a terminal,
    the image's Env with the request's over it, in first-seen order; then HOME (``home``: the
    user's passwd entry's, else /) unless set, as runc adds it."""
    out: dict[str, str] = {"PATH": DEFAULT_PATH[5:]}
    if hostname:
        out["HOSTNAME"] = hostname
    if tty:
        out["TERM"] = "xterm"
    for item in image_env:
        key, _, value = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid environment variable {item!r}")
        out[key] = value
    out.update(env)
    if home and "HOME" not in out:
        out["HOME"] = home
    return [f"{k}={v}" for k, v in out.items()]


def entrypoint_and_cmd(image_config: dict[str, Any], req: CreateRequest) -> tuple[list[str], list[str]]:
    """docker's rule: ENTRYPOINT + CMD, where an entrypoint given replaces the first and
    a command given replaces the second (and an entrypoint given drops the image's CMD)."""
    entry = list(image_config.get("Entrypoint") or [])
    cmd = list(image_config.get("Cmd") or [])
    if req.entrypoint is not None:
        entry, cmd = list(req.entrypoint), []
    if req.command:
        cmd = list(req.command)
    return entry, cmd


def process_args(image_config: dict[str, Any], req: CreateRequest) -> list[str]:
    """The process's argv: `entrypoint_and_cmd` joined, which must not be empty."""
    entry, cmd = entrypoint_and_cmd(image_config, req)
    args = entry + cmd
    if not args:
        raise InvalidArgument("no command specified: the image has no Cmd or Entrypoint; "
                              "give one after the image")
    return args


def default_seccomp(caps: list[str]) -> dict[str, Any] | None:
    """containers-common's profile for ``caps``, if the host has it (else no seccomp)."""
    from hutch.engine.seccomp_profile import CONTAINERS_COMMON, from_template

    try:
        with open(CONTAINERS_COMMON) as f:
            template: Any = loads(f.read())
    except OSError:
        return None
    return from_template(template, caps)


def idmapped_sources(config: dict[str, Any]) -> list[tuple[str, str]]:
    """--uidmap's volumes and idmap binds: (the host directory, where its idmapped mount goes)."""
    pairs: Any = loads(config.get("annotations", {}).get(IDMAPPED_ANNOTATION, "[]"))
    return [(str(a), str(b)) for a, b in pairs]


def volumes_of(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The volumes ``generate`` made or reused for the container (for its record)."""
    used: Any = loads(config.get("annotations", {}).get(VOLUMES_ANNOTATION, "[]"))
    return list(used)


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
