"""`CreateRequest`: what `hutch run`/`create` and the Python API ask a container to be, parsed
and validated once (podman's ``specgen.SpecGenerator``, filled from flags or code alike).

`CreateRequest.parse` takes the raw values (flag strings, docker-py's arguments) and gives
typed ones: sizes in bytes, cpus as a number, `Mount`s, `Ulimit`s, the capability set, the
log and stop settings. It raises `HutchError` with one line naming the flag and what is
wrong, before anything is made. What only the image can settle is left for the spec
generator (``hutch.engine.specgen``): the command when none is given, the user's name (looked
up in the image's /etc/passwd), the image's environment, working directory and volumes.

The classes are plain ``__slots__`` classes (`hutch.util.value.Value`), not dataclasses:
``dataclasses`` costs ~21 ms to import and `hutch run`'s path loads neither it nor ``typing``.
"""

from __future__ import annotations

import os

from hutch.engine import hostflags, security
from hutch.engine import mounts as mountflags
from hutch.engine.limits import Resources, parse_resources
from hutch.errors import HutchError, InvalidArgument
from hutch.util.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

    from hutch.engine.mounts import Mount
    from hutch.engine.ports import PortBinding

#: docker's --ulimit names (go-units ulimit.go) → the runtime-spec's RLIMIT_* types
ULIMITS = {"core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA", "fsize": "RLIMIT_FSIZE",
           "locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK", "msgqueue": "RLIMIT_MSGQUEUE",
           "nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE", "nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS",
           "rtprio": "RLIMIT_RTPRIO", "rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING",
           "stack": "RLIMIT_STACK", "as": "RLIMIT_AS"}
RLIM_INFINITY = (1 << 64) - 1
#: where --init's binary is mounted in the container, and the host's binaries it may be
INIT_PATH = "/sbin/docker-init"
INIT_BINARIES = ("/usr/bin/docker-init", "/usr/bin/catatonit")  # tini-static, podman's fallback
#: the network modes that are no network of hutch's (any other --network is a bridge network's name)
NETWORK_MODES = ("none", "host")


class Network(Value):
    """The container's network: ``none`` (a namespace of its own with only lo), ``host``
    (the host's), ``bridge`` (a bridge network: ``name``, docker's default ``bridge`` or a
    user's), or ``container`` (another container's, named by ``container``); on a bridge
    network its ``aliases`` (more names the others find it by), ``ip``, ``ip6`` (on a network
    with IPv6) and ``mac`` ("": chosen);
    ``add_hosts`` ("NAME:IP" lines for /etc/hosts; IP may be ``host-gateway``) and the
    resolver's ``dns`` servers, ``dns_search`` domains and ``dns_options``."""

    __slots__ = ("add_hosts", "aliases", "container", "dns", "dns_options", "dns_search", "ip", "ip6", "mac",
                 "mode", "name")

    def __init__(self, mode: str = "none", container: str = "", name: str = "", *,
                 aliases: Sequence[str] = (), ip: str = "", mac: str = "", add_hosts: Sequence[str] = (),
                 dns: Sequence[str] = (), dns_search: Sequence[str] = (),
                 dns_options: Sequence[str] = (), ip6: str = "") -> None:
        self.mode, self.container, self.name = mode, container, name
        self.aliases, self.ip, self.ip6, self.mac = list(aliases), ip, ip6, mac
        self.add_hosts, self.dns = list(add_hosts), list(dns)
        self.dns_search, self.dns_options = list(dns_search), list(dns_options)

    def settings(self) -> dict[str, Any]:
        """What the record keeps of it (hutch.engine.netattach and nethosts read it at start)."""
        return {"aliases": self.aliases, "ip": self.ip, "ip6": self.ip6, "mac": self.mac,
                "add_hosts": self.add_hosts, "dns": self.dns, "dns_search": self.dns_search,
                "dns_options": self.dns_options}


class Ulimit(Value):
    """One --ulimit: an RLIMIT_* type and its limits (RLIM_INFINITY for unlimited)."""

    __slots__ = ("hard", "kind", "soft")

    def __init__(self, kind: str, soft: int, hard: int) -> None:
        self.kind, self.soft, self.hard = kind, soft, hard


class LogConfig(Value):
    """The log driver (json-file, the only one) and its rotation: ``max_size`` bytes per file
    (0: no rotation), ``max_file`` files kept."""

    __slots__ = ("driver", "max_file", "max_size")

    def __init__(self, driver: str = "json-file", max_size: int = 0, max_file: int = 1) -> None:
        self.driver, self.max_size, self.max_file = driver, max_size, max_file


class CreateRequest(Value):
    """One container to create, every value checked (build it with `parse`).

    ``command`` replaces the image's Cmd; ``entrypoint`` (None: the image's) its
    Entrypoint; ``env`` is added over the image's; ``user`` is resolved against the image;
    ``capabilities`` is the container's whole set; ``seccomp`` is "default", "unconfined" or
    "profile" (then ``seccomp_profile`` is its linux.seccomp); ``init_binary`` is the host's
    init to run as pid 1 ("" for none); ``warnings`` are for the user (the CLI prints them);
    ``host`` the host-side flags (hutch.engine.hostflags: devices, namespaces...);
    ``restart`` is docker's RestartPolicy {Name, MaximumRetryCount} (hutch.engine.restartpolicy),
    ``healthcheck`` the flags' Healthcheck (None: the image's; hutch.engine.healthcheck).
    """

    __slots__ = ("capabilities", "command", "entrypoint", "env", "expose", "healthcheck", "host", "hostname",
                 "image", "init_binary", "labels", "log", "mounts", "name", "network", "ports", "privileged",
                 "publish_all", "read_only", "remove", "resources", "restart", "seccomp", "seccomp_profile",
                 "security", "stdin", "stop_signal", "stop_timeout", "tty", "ulimits", "user", "warnings",
                 "workdir")

    def __init__(self, image: str, *, command: Sequence[str] = (), entrypoint: Sequence[str] | None = None,
                 env: Mapping[str, str] | None = None, workdir: str = "", user: str = "",
                 hostname: str = "", name: str | None = None, tty: bool = False, stdin: bool = False,
                 remove: bool = False, network: Network | None = None,
                 ports: Sequence[PortBinding] = (), resources: Resources | None = None,
                 mounts: Sequence[Mount] = (), ulimits: Sequence[Ulimit] = (),
                 capabilities: Sequence[str] = security.DOCKER_CAPS, privileged: bool = False,
                 security_opts: security.SecurityOpts | None = None, seccomp: str = "default",
                 seccomp_profile: dict[str, Any] | None = None, init_binary: str = "",
                 labels: Mapping[str, str] | None = None, log: LogConfig | None = None,
                 stop_signal: str = "", stop_timeout: int | None = None, read_only: bool = False,
                 warnings: Sequence[str] = (), expose: Sequence[str] = (), publish_all: bool = False,
                 host: hostflags.HostOptions | None = None, restart: dict[str, Any] | None = None,
                 healthcheck: dict[str, Any] | None = None) -> None:
        self.image = image
        self.host = host or hostflags.HostOptions()
        self.command: list[str] = list(command)
        self.entrypoint: list[str] | None = None if entrypoint is None else list(entrypoint)
        self.env: dict[str, str] = dict(env or {})
        self.workdir, self.user, self.hostname, self.name = workdir, user, hostname, name
        self.tty, self.stdin, self.remove = tty, stdin, remove
        self.network = network or Network()
        self.ports: list[PortBinding] = list(ports)
        self.expose: list[str] = list(expose)  # docker's ExposedPorts keys ("80/tcp"), not the image's
        self.publish_all = publish_all  # -P: every exposed port (the image's too) on a free host port
        self.resources = resources or Resources()
        self.mounts: list[Mount] = list(mounts)
        self.ulimits: list[Ulimit] = list(ulimits)
        self.capabilities: list[str] = list(capabilities)
        self.privileged = privileged
        self.security = security_opts or security.SecurityOpts()
        self.seccomp, self.seccomp_profile = seccomp, seccomp_profile
        self.init_binary = init_binary
        self.labels: dict[str, str] = dict(labels or {})
        self.log = log or LogConfig()
        self.stop_signal, self.stop_timeout = stop_signal, stop_timeout
        self.read_only = read_only
        self.warnings: list[str] = list(warnings)
        self.restart: dict[str, Any] = dict(restart or {"Name": "no", "MaximumRetryCount": 0})
        self.healthcheck = healthcheck

    @classmethod
    def parse(cls, image: str, *, command: Iterable[str] = (),
              entrypoint: str | Iterable[str] | None = None, env: Iterable[str] = (),
              env_files: Iterable[str] = (), host_env: Mapping[str, str] | None = None,
              workdir: str = "", user: str = "", hostname: str = "", name: str | None = None,
              tty: bool = False, stdin: bool = False, remove: bool = False, network: str = "bridge",
              publish: Iterable[str] = (), memory: str | int = "", memory_swap: str | int = "",
              cpus: str | float = "", cpu_shares: int = 0, cpuset_cpus: str = "", pids_limit: int = 0,
              volumes: Iterable[str] = (), mounts: Iterable[str] = (), tmpfs: Iterable[str] = (),
              ulimits: Iterable[str] = (), cap_add: Iterable[str] = (), cap_drop: Iterable[str] = (),
              privileged: bool = False, security_opt: Iterable[str] = (), init: bool = False,
              labels: Mapping[str, str] | Iterable[str] = (), label_files: Iterable[str] = (),
              log_driver: str = "json-file", log_opts: Iterable[str] = (), stop_signal: str = "",
              stop_timeout: int | None = None, read_only: bool = False,
              network_aliases: Iterable[str] = (), ip: str = "", ip6: str = "", mac_address: str = "",
              add_hosts: Iterable[str] = (), dns: Iterable[str] = (), dns_search: Iterable[str] = (),
              dns_options: Iterable[str] = (), expose: Iterable[str] = (),
              publish_all: bool = False, devices: Iterable[str] = (), shm_size: str | int = "",
              sysctls: Iterable[str] | Mapping[str, str] = (), group_add: Iterable[str] = (),
              domainname: str = "", ipc: str = "", pid: str = "", uts: str = "", cgroupns: str = "",
              userns: str = "", uidmap: Iterable[str] = (), gidmap: Iterable[str] = (),
              cgroup_parent: str = "", oom_score_adj: int | None = None, oom_kill_disable: bool = False,
              memory_reservation: str | int = "", cpu_period: int = 0, cpu_quota: int = 0,
              blkio_weight: int = 0, volumes_from: Iterable[str] = (), restart: str = "no",
              health_cmd: str = "", health_interval: str = "", health_timeout: str = "",
              health_start_period: str = "", health_retries: int = 0, no_healthcheck: bool = False,
              healthcheck: Mapping[str, Any] | None = None) -> CreateRequest:
        """The request from raw values, as `hutch run`'s flags spell them (docker-py's
        arguments are the same values). ``env`` and ``env_files`` entries are KEY=VALUE or
        a bare KEY: with ``host_env`` (the CLI's environment) a bare KEY takes its value
        there or is left out, as docker's CLI does; without, it is set empty."""
        from hutch.engine import ports as portflags

        environment = parse_env([*(e for f in env_files for e in env_file(f)), *env], host_env)
        label_map = parse_labels(labels, label_files)
        warnings = []
        bindings = [b for spec in publish for b in portflags.parse(spec)]
        exposed = [key for spec in expose for key in portflags.parse_expose(spec)]
        if (bindings or publish_all) and network == "host":
            warnings.append("Published ports are discarded when using host network mode")
            bindings, publish_all = [], False
        elif (bindings or publish_all) and network == "none":
            raise HutchError("publishing ports (-p) needs a bridge network (--network bridge or a network's "
                             "name)")
        if oom_kill_disable:
            warnings.extend(_oom_kill_disable_warnings(memory))
            oom_kill_disable = hostflags.cgroup_v1()
        log = parse_log(log_driver, log_opts)
        from hutch.engine import healthcheck as health
        from hutch.engine import restartpolicy

        policy = restartpolicy.parse(restart)
        if remove and restartpolicy.is_set(policy):
            raise InvalidArgument("Conflicting options: --restart and --rm")
        check = health.from_flags(health_cmd, health_interval, health_timeout, health_start_period,
                                  health_retries, no_healthcheck) if healthcheck is None \
            else health.checked(healthcheck)
        if stop_signal:
            from hutch.engine.operations import signal_number

            signal_number(stop_signal)
        if name is not None:
            from hutch.engine.registry import check_name

            check_name(name)
        if workdir and not workdir.startswith("/"):
            raise InvalidArgument(f"the working directory {workdir!r} is not an absolute path")
        net = parse_network(network, aliases=network_aliases, ip=ip, mac=mac_address, add_hosts=add_hosts,
                            dns=dns, dns_search=dns_search, dns_options=dns_options, ip6=ip6)
        if net.mode == "container" and hostname:
            raise InvalidArgument("conflicting options: hostname and the network mode (container)")
        if net.mode == "container" and (bindings or publish_all):
            raise InvalidArgument("conflicting options: port publishing and the container network mode")
        caps = security.capabilities(security.DOCKER_CAPS, cap_add, cap_drop, privileged)
        sec = security.parse_security_opts(security_opt)
        seccomp, profile = "default", None
        if privileged or sec.seccomp == "unconfined":
            seccomp = "unconfined"
        elif sec.seccomp:
            seccomp, profile = "profile", security.seccomp_profile(sec.seccomp, caps)
        entry = None if entrypoint is None else \
            ([entrypoint] if entrypoint else []) if isinstance(entrypoint, str) else list(entrypoint)
        init_binary = find_init() if init else ""
        requested = mountflags.requests(list(volumes), list(mounts), list(tmpfs))
        if init and any(m.target == INIT_PATH for m in requested):
            raise InvalidArgument(f"duplicate mount point: {INIT_PATH} (--init uses it)")
        host = hostflags.parse(devices=devices, shm_size=shm_size, sysctls=sysctls, group_add=group_add,
                               domainname=domainname, ipc=ipc, pid=pid, uts=uts, cgroupns=cgroupns,
                               userns=userns, uidmap=uidmap, gidmap=gidmap, cgroup_parent=cgroup_parent,
                               oom_score_adj=oom_score_adj, oom_kill_disable=oom_kill_disable,
                               volumes_from=volumes_from, network=network, hostname=hostname)
        if not host.uidmap and any(m.idmap for m in requested):
            raise InvalidArgument("the idmap volume option needs --uidmap (a user namespace's mappings)")
        res = parse_resources(memory, memory_swap, cpus, cpu_shares, cpuset_cpus, pids_limit,
                              memory_reservation=memory_reservation, cpu_period=cpu_period,
                              cpu_quota=cpu_quota, blkio_weight=blkio_weight)
        return cls(image, command=list(command), entrypoint=entry, env=environment, workdir=workdir,
                   user=user, hostname=hostname, name=name, tty=tty, stdin=stdin, remove=remove, network=net,
                   ports=bindings, mounts=requested, resources=res,
                   ulimits=parse_ulimits(ulimits), capabilities=caps, privileged=privileged,
                   security_opts=sec, seccomp=seccomp, seccomp_profile=profile, init_binary=init_binary,
                   labels=label_map, log=log, stop_signal=stop_signal, stop_timeout=stop_timeout,
                   read_only=read_only, warnings=warnings, expose=exposed, publish_all=publish_all,
                   host=host, restart=policy, healthcheck=check)


# ---- the parts of `parse`, each for one flag or group --------------------------------------


def _oom_kill_disable_warnings(memory: str | int) -> list[str]:
    """docker's words for --oom-kill-disable: its CLI's when there is no memory limit, its
    daemon's on cgroup v2, which has no such switch (the flag is then dropped)."""
    out = []
    if not memory:
        out.append("Disabling the OOM killer on containers without setting a '-m/--memory' limit may be "
                   "dangerous.")
    if not hostflags.cgroup_v1():
        out.append("Your kernel does not support OomKillDisable. OomKillDisable discarded.")
    return out


def parse_env(items: Iterable[str], host_env: Mapping[str, str] | None) -> dict[str, str]:
    """KEY=VALUE entries (a later KEY replaces an earlier one); a bare KEY as `parse` says."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep and host_env is not None:
            if item and item in host_env:
                out[item] = host_env[item]
            continue
        if not key:
            raise InvalidArgument(f"invalid environment variable {item!r}")
        out[key] = value
    return out


def parse_labels(labels: Mapping[str, str] | Iterable[str], files: Iterable[str]) -> dict[str, str]:
    """--label-file's lines, then --label KEY=VALUE (or a mapping, from the API)."""
    from _collections_abc import Mapping  # (what collections.abc re-exports, loaded with os;
    #                                        collections.abc would load collections: ~3 ms)
    if isinstance(labels, Mapping):
        items = [*(e for f in files for e in env_file(f)), *(f"{k}={v}" for k, v in labels.items())]
    else:
        items = [*(e for f in files for e in env_file(f)), *labels]
    out: dict[str, str] = {}
    for item in items:
        key, _, value = item.partition("=")
        if not key:
            raise HutchError(f"invalid label {item!r}: use KEY=VALUE")
        out[key] = value
    return out


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


def parse_network(mode: str, *, aliases: Iterable[str] = (), ip: str = "", mac: str = "",
                  add_hosts: Iterable[str] = (), dns: Iterable[str] = (), dns_search: Iterable[str] = (),
                  dns_options: Iterable[str] = (), ip6: str = "") -> Network:
    """--network: none, host, or a bridge network's name (``bridge``, docker's default, or one
    of `hutch network create`'s: whether it exists is the create's to say), with the flags that
    go with it; container:NAME shares another container's (whether it runs is the start's to say)."""
    import _socket

    def address(flag: str, value: str, families: tuple[int, ...] = (_socket.AF_INET,)) -> str:
        for family in families:
            try:
                _socket.inet_pton(family, value)
                return value
            except OSError:
                continue
        raise InvalidArgument(f"{flag} {value!r}: not an IP address")

    aliases, add_hosts = list(aliases), list(add_hosts)
    dns, dns_search, dns_options = list(dns), list(dns_search), list(dns_options)
    for server in dns:
        address("--dns", server, (_socket.AF_INET, _socket.AF_INET6))
    for item in add_hosts:
        name, sep, where = item.partition(":")
        if not sep or not name or not where:
            raise InvalidArgument(f"--add-host {item!r}: use NAME:IP")
        if where != "host-gateway":
            address("--add-host", where, (_socket.AF_INET, _socket.AF_INET6))
    if mode == "host" and (dns or dns_search or dns_options):
        raise InvalidArgument("conflicting options: dns and the network mode (host)")
    if mode.startswith("container:"):
        other = mode.partition(":")[2]
        if not other:
            raise InvalidArgument(f"--network {mode!r}: name the container, as container:NAME")
        if aliases or ip or ip6 or mac or dns or dns_search or dns_options or add_hosts:
            raise InvalidArgument("conflicting options: --network-alias, --ip*, --mac-address, --dns* and "
                                  "--add-host go with the other container's network (container mode)")
        return Network("container", container=other)
    if mode in NETWORK_MODES:
        if aliases or ip or ip6 or mac:
            raise InvalidArgument(f"--network-alias, --ip, --ip6 and --mac-address need a bridge network, "
                                  f"not {mode}")
        return Network(mode, add_hosts=add_hosts, dns=dns, dns_search=dns_search, dns_options=dns_options)
    from hutch.network.store import check_name

    try:
        check_name(mode)
    except HutchError as err:
        raise InvalidArgument(f"--network {mode!r}: {err}") from None
    for alias in aliases:
        check_name(alias)
    if ip:
        address("--ip", ip)
    if ip6:
        address("--ip6", ip6, (_socket.AF_INET6,))
    if mac:
        from hutch.network.netlink import mac_bytes

        try:
            mac_bytes(mac)
        except ValueError:
            raise InvalidArgument(f"--mac-address {mac!r}: not a MAC address (as 02:42:ac:11:00:02)") \
                from None
    if aliases and mode == "bridge":
        raise InvalidArgument("network-scoped aliases are only supported for user-defined networks")
    if (ip or ip6) and mode == "bridge":
        raise InvalidArgument("user specified IP address is supported on user defined networks only")
    return Network("bridge", name=mode, aliases=aliases, ip=ip, mac=mac, add_hosts=add_hosts, dns=dns,
                   dns_search=dns_search, dns_options=dns_options, ip6=ip6)


def parse_log(driver: str, items: Iterable[str]) -> LogConfig:
    """--log-driver json-file and its --log-opt max-size (bytes, k/m/g; -1: none) and max-file."""
    from hutch.util.units import parse_ram

    if driver != "json-file":
        raise HutchError(f"--log-driver {driver!r}: only json-file is supported")
    opts = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise HutchError(f"invalid --log-opt {item!r}: use KEY=VALUE")
        opts[key] = value
    size, files = 0, 1
    for key, value in opts.items():
        if key == "max-size":
            size = -1 if value == "-1" else parse_ram(value, "log-opt max-size")
        elif key == "max-file":
            try:
                files = int(value)
            except ValueError:
                files = 0
            if files < 1:
                raise HutchError(f"invalid --log-opt max-file={value}: a number of at least 1")
        else:
            raise HutchError(f"unknown log option {key!r} for the json-file driver (max-size, max-file)")
    if files > 1 and size <= 0:
        raise HutchError("--log-opt max-file needs max-size")
    return LogConfig(driver, max(size, 0), files)


def parse_ulimits(specs: Iterable[str]) -> list[Ulimit]:
    """Each --ulimit TYPE=SOFT[:HARD] (-1: unlimited; HARD defaults to SOFT); a later one of
    a type replaces an earlier one, in the earlier one's place."""
    out: dict[str, Ulimit] = {}
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
        out[kind] = Ulimit(kind, soft_v, hard_v)
    return list(out.values())


def find_init() -> str:
    """--init's binary on this host (docker-init, else catatonit)."""
    for path in INIT_BINARIES:
        real = os.path.realpath(path)
        if os.path.isfile(real) and os.access(real, os.X_OK):
            return real
    raise InvalidArgument(f"--init: none of {', '.join(INIT_BINARIES)} is on this host "
                          f"(apt-get install tini or catatonit)")
