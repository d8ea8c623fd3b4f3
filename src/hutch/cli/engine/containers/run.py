"""`hutch run`: docker's run flags, the container request they make (hutch.engine.request),
and pulling the image as ``--pull`` says; `create` (cli/engine/containers/create.py) shares
all but the running.

Errors are one line on stderr and exit status 125 for `run`'s own failures, as docker's;
`run` exits with the container's status."""

from __future__ import annotations

import os
import sys

from hutch.cli.engine.images import pull as images_pull
from hutch.cli.engine.images.registry import registry_flags
from hutch.cli.pflag import REMAINDER, Namespace, Parser
from hutch.errors import HutchError
from hutch.util.ignoring import ignoring

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.engine.containers import Engine
    from hutch.engine.request import CreateRequest


def flags(p: Parser) -> None:
    run_flags(p)


def run_flags(p: Parser) -> None:
    """The flags of `run` (and `create`): docker's names and meanings."""
    p.add_argument("--help", action="help", help="show this help")  # -h is --hostname, as docker
    p.add_argument("--rm", action="store_true", help="remove the container when it exits")
    p.add_argument("--name", help="Assign a name to the container")
    p.add_argument("-e", "--env", action="append", default=[], help="Set environment variables")
    p.add_argument("-w", "--workdir", default="", help="Working directory inside the container")
    p.add_argument("-u", "--user", default="", help="Username or UID (format: <name|uid>[:<group|gid>])")
    p.add_argument("-h", "--hostname", default="", help="Container host name")
    p.add_argument("--entrypoint", default=None, help="Overwrite the default ENTRYPOINT of the image")
    p.add_argument("--network", "--net", default="bridge",
                   help="bridge (the default), none, host, container:NAME, or a user network's name")
    p.add_argument("--network-alias", "--net-alias", action="append", default=[],
                   help="another name the containers of its user network find it by")
    p.add_argument("--ip", default="", help="its IPv4 address on its bridge network")
    p.add_argument("--ip6", default="", help="its IPv6 address on its bridge network (one of --ipv6)")
    p.add_argument("--mac-address", default="", help="its MAC address on its bridge network")
    p.add_argument("--add-host", action="append", default=[],
                   help="NAME:IP (or NAME:host-gateway) in /etc/hosts")
    p.add_argument("--dns", action="append", default=[], help="a nameserver (instead of the host's)")
    p.add_argument("--dns-search", action="append", default=[], help="a search domain")
    p.add_argument("--dns-option", "--dns-opt", action="append", default=[], help="a resolver option")
    p.add_argument("--read-only", action="store_true",
                   help="Mount the container's root filesystem as read only")
    p.add_argument("-v", "--volume", action="append", default=[], help="SRC:DST[:ro]")
    p.add_argument("--tmpfs", action="append", default=[], help="DST[:OPTIONS]")
    p.add_argument("-m", "--memory", default="", help="Memory limit")
    p.add_argument("--memory-swap", default="",
                   help="Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
    p.add_argument("--cpus", default="", help="Number of CPUs")
    p.add_argument("--cpu-shares", type=int, default=0, help="CPU shares (relative weight)")
    p.add_argument("--cpuset-cpus", default="", help="CPUs in which to allow execution (0-3, 0,1)")
    p.add_argument("--pids-limit", type=int, default=0,
                   help="Tune container pids limit (set -1 for unlimited)")
    p.add_argument("-d", "--detach", action="store_true", help="run in the background, print the id")
    p.add_argument("-i", "--interactive", action="store_true", help="keep stdin open")
    p.add_argument("-t", "--tty", action="store_true", help="allocate a pseudo-terminal")
    p.add_argument("--sig-proxy", default="true", choices=["true", "false"],
                   help="pass received signals to the container (without -t)")
    p.add_argument("--restart", default="no", help="no, always, unless-stopped or on-failure[:N]")
    p.add_argument("--health-cmd", default="", help="a command (run with /bin/sh -c) that checks its health")
    p.add_argument("--health-interval", default="", help="time between checks (default 30s)")
    p.add_argument("--health-timeout", default="", help="a check's longest run (default 30s)")
    p.add_argument("--health-start-period", default="",
                   help="time to start in, when failed checks do not count (default 0s)")
    p.add_argument("--health-retries", type=int, default=0,
                   help="failures in a row that make it unhealthy (default 3)")
    p.add_argument("--no-healthcheck", action="store_true", help="no health check (not the image's)")
    p.add_argument("--stop-signal", default="", help="Signal to stop the container")
    p.add_argument("--stop-timeout", type=int, default=None, help="Timeout (in seconds) to stop a container")
    p.add_argument("--log-opt", action="append", default=[], help="json-file: max-size=SIZE, max-file=N")
    p.add_argument("--log-driver", default="json-file", choices=["json-file"],
                   help="Logging driver for the container")
    p.add_argument("-p", "--publish", action="append", default=[], help="[IP:][HOSTPORT:]PORT[/PROTO]")
    p.add_argument("-P", "--publish-all", action="store_true",
                   help="publish every exposed port (the image's and --expose's) on a free host port")
    p.add_argument("--expose", action="append", default=[], help="PORT[-PORT][/PROTO] to expose")
    p.add_argument("--runtime", dest="run_runtime", default=None,
                   help="the OCI runtime for this container (as the global --runtime)")
    p.add_argument("--env-file", action="append", default=[], help="KEY=VAL lines")
    p.add_argument("--ulimit", action="append", default=[], help="TYPE=SOFT[:HARD]")
    p.add_argument("--cap-add", action="append", default=[], help="Add Linux capabilities")
    p.add_argument("--cap-drop", action="append", default=[], help="Drop Linux capabilities")
    p.add_argument("--privileged", action="store_true", help="Give extended privileges to this container")
    p.add_argument("--security-opt", action="append", default=[], help="Security Options")
    p.add_argument("--init", action="store_true", help="run an init (docker-init) as pid 1")
    p.add_argument("-l", "--label", action="append", default=[], help="KEY=VAL")
    p.add_argument("--label-file", action="append", default=[],
                   help="Read in a line delimited file of labels")
    p.add_argument("--mount", action="append", default=[], help="type=bind|volume|tmpfs,src=,dst=,...")
    p.add_argument("--device", action="append", default=[], help="Add a host device to the container")
    p.add_argument("--shm-size", default="", help="Size of /dev/shm (default 64m)")
    p.add_argument("--sysctl", action="append", default=[], help="Sysctl options")
    p.add_argument("--group-add", action="append", default=[], help="Add additional groups to join")
    p.add_argument("--domainname", default="", help="Container NIS domain name")
    p.add_argument("--ipc", default="", help="IPC mode to use")
    p.add_argument("--pid", default="", help="PID namespace to use")
    p.add_argument("--uts", default="", help="UTS namespace to use")
    p.add_argument("--cgroupns", default="", help="Cgroup namespace to use (host|private)")
    p.add_argument("--userns", default="", help="User namespace to use")
    p.add_argument("--uidmap", action="append", default=[],
                   help="UID map for the user namespace (CONTAINER:HOST:SIZE)")
    p.add_argument("--gidmap", action="append", default=[],
                   help="GID map for the user namespace (CONTAINER:HOST:SIZE)")
    p.add_argument("--cgroup-parent", default="", help="Optional parent cgroup for the container")
    p.add_argument("--oom-score-adj", type=int, default=None,
                   help="Tune host's OOM preferences (-1000 to 1000)")
    p.add_argument("--oom-kill-disable", action="store_true", help="Disable OOM Killer")
    p.add_argument("--memory-reservation", default="", help="Memory soft limit")
    p.add_argument("--cpu-period", type=int, default=0,
                   help="Limit CPU CFS (Completely Fair Scheduler) period")
    p.add_argument("--cpu-quota", type=int, default=0, help="Limit CPU CFS (Completely Fair Scheduler) quota")
    p.add_argument("--blkio-weight", type=int, default=0,
                   help="Block IO (relative weight), between 10 and 1000, or 0 to disable")
    p.add_argument("--cidfile", default="", help="Write the container ID to the file")
    p.add_argument("--volumes-from", action="append", default=[],
                   help="Mount volumes from the specified container(s)")
    p.add_argument("-a", "--attach", action="append", default=[], type=_stream,
                   help="Attach to STDIN, STDOUT or STDERR")
    p.add_argument("--detach-keys", default=None, help="Override the key sequence for detaching a container")
    p.add_argument("--pull", default="missing", choices=["missing", "always", "never"],
                   help="pull the image: when it is missing (default), always, or never")
    p.add_argument("--platform", default=None, help="Set platform if server is multi-platform capable")
    p.add_argument("-q", "--quiet", action="store_true", help="no pull progress")
    registry_flags(p)
    p.add_argument("image")
    p.add_argument("args", nargs=REMAINDER)


def _stream(value: str) -> str:
    if value.lower() not in ("stdin", "stdout", "stderr"):
        raise ValueError("valid streams are STDIN, STDOUT and STDERR")
    return value.lower()


def run_request(a: Namespace) -> CreateRequest:
    """`run`'s (and `create`'s) flags as the container's request, parsed and checked; its
    warnings on stderr."""
    from hutch.engine.request import CreateRequest

    req = CreateRequest.parse(
        a.image, command=a.args[1:] if a.args[:1] == ["--"] else a.args, entrypoint=a.entrypoint,
        env=a.env, env_files=a.env_file, host_env=os.environ, workdir=a.workdir, user=a.user,
        hostname=a.hostname, name=a.name, tty=a.tty, stdin=a.interactive, remove=a.rm, network=a.network,
        publish=a.publish, memory=a.memory, memory_swap=a.memory_swap, cpus=a.cpus, cpu_shares=a.cpu_shares,
        cpuset_cpus=a.cpuset_cpus, pids_limit=a.pids_limit, volumes=a.volume, mounts=a.mount, tmpfs=a.tmpfs,
        ulimits=a.ulimit, cap_add=a.cap_add, cap_drop=a.cap_drop, privileged=a.privileged,
        security_opt=a.security_opt, init=a.init, labels=a.label, label_files=a.label_file,
        log_driver=a.log_driver, log_opts=a.log_opt, stop_signal=a.stop_signal, stop_timeout=a.stop_timeout,
        read_only=a.read_only, network_aliases=a.network_alias, ip=a.ip, ip6=a.ip6, mac_address=a.mac_address,
        add_hosts=a.add_host, dns=a.dns, dns_search=a.dns_search, dns_options=a.dns_option, expose=a.expose,
        publish_all=a.publish_all, devices=a.device, shm_size=a.shm_size, sysctls=a.sysctl,
        group_add=a.group_add, domainname=a.domainname, ipc=a.ipc, pid=a.pid, uts=a.uts, cgroupns=a.cgroupns,
        userns=a.userns, uidmap=a.uidmap, gidmap=a.gidmap, cgroup_parent=a.cgroup_parent,
        oom_score_adj=a.oom_score_adj, oom_kill_disable=a.oom_kill_disable,
        memory_reservation=a.memory_reservation, cpu_period=a.cpu_period, cpu_quota=a.cpu_quota,
        blkio_weight=a.blkio_weight, volumes_from=a.volumes_from, restart=a.restart,
        health_cmd=a.health_cmd, health_interval=a.health_interval, health_timeout=a.health_timeout,
        health_start_period=a.health_start_period, health_retries=a.health_retries,
        no_healthcheck=a.no_healthcheck)
    for warning in req.warnings:
        sys.stderr.write(f"WARNING: {warning}\n")
    return req


def image_for(eng: Engine, a: Namespace) -> None:
    """Pull `run`'s or `create`'s image as ``--pull`` says (docker's output on stderr); then
    ``a.image`` is the name the store has it under (a short name may have been found at, or
    pulled from, one of registries.conf's unqualified-search-registries, as podman does)."""
    from hutch.image.store import ImageNotFound

    if a.pull == "always":
        a.image = str(images_pull.pull_image(eng, a, a.image, sys.stderr, a.quiet).ref)
        return
    try:
        asked = a.image
        a.image = images_pull.resolve_local(eng, a.image)
        if a.platform:
            check_platform(eng, asked, a.image, a.platform)
    except ImageNotFound:
        if a.pull == "never":
            raise
        from hutch.image import reference

        if not a.quiet:
            sys.stderr.write(f"Unable to find image '{reference.parse(a.image).familiar()}' locally\n")
        a.image = str(images_pull.pull_image(eng, a, a.image, sys.stderr, a.quiet).ref)


def check_platform(eng: Engine, asked: str, ref: str, wanted: str) -> None:
    """--platform with an image the store has: its config's os/architecture(/variant) must be
    the platform asked for (docker's error otherwise; a pull does not replace it)."""
    config = eng.images.get(ref).config
    os_, arch = str(config.get("os") or "linux"), str(config.get("architecture") or "")
    variant = str(config.get("variant") or "")
    w_os, _, rest = wanted.lower().partition("/")
    w_arch, _, w_variant = rest.partition("/")
    aliases = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64"}
    w_arch = aliases.get(w_arch, w_arch)
    if not w_os or (w_os, w_arch or arch) != (os_, aliases.get(arch, arch)) or \
            (w_variant and variant and w_variant != variant):
        actual = "/".join(p for p in (os_, arch, variant) if p)
        raise HutchError(f"image with reference {asked} was found but does not match the specified "
                         f"platform: wanted {wanted}, actual: {actual}")


def write_cidfile(path: str, cid: str) -> None:
    """--cidfile: the id in a new file (docker refuses one that exists)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    except FileExistsError:
        raise HutchError(f"container ID file found, make sure the other container isn't running or delete "
                         f"{path}") from None
    except OSError as err:
        raise HutchError(f"failed to create the container ID file: {err.strerror or err}") from None
    with os.fdopen(fd, "w") as f:
        f.write(cid)


def check_cidfile(path: str) -> None:
    if path and os.path.exists(path):
        raise HutchError(f"container ID file found, make sure the other container isn't running or delete "
                         f"{path}")


def detach_keys(spec: str | None) -> bytes:
    """--detach-keys (docker's format: comma-separated a-z, ctrl-a..ctrl-z, ctrl-@, ctrl-[,
    ctrl-\\, ctrl-], ctrl-^, ctrl-_) as the bytes the terminal sends; Ctrl-P Ctrl-Q when not given."""
    if spec is None:
        return b"\x10\x11"
    out = bytearray()
    for key in spec.split(","):
        k = key.strip().lower()
        if len(k) == 1 and k.isascii() and k.isprintable():
            out.append(ord(k))
        elif k.startswith("ctrl-") and len(k) == 6 and (k[5].isalpha() or k[5] in "@[\\]^_"):
            out.append(ord(k[5].upper()) & 0x1F)
        else:
            raise HutchError(f"Invalid detach keys ({spec}) provided")
    if not out:
        raise HutchError(f"Invalid detach keys ({spec}) provided")
    return bytes(out)


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.containers import StartFailed

    try:
        if a.detach and a.attach:
            raise HutchError("conflicting options: cannot specify both --attach and --detach")
        streams = frozenset(a.attach) if a.attach else None
        keys = detach_keys(a.detach_keys)
        if streams is not None and "stdin" in streams:
            a.interactive = True  # (as podman: -a stdin keeps stdin open)
        check_cidfile(a.cidfile)
        req = run_request(a)  # (every flag checked before any pull)
        image_for(eng, a)
        req.image = a.image
        if a.tty and a.interactive and not a.detach and not sys.stdin.isatty():
            raise HutchError("the input device is not a TTY (use -i without -t)")
        if a.detach:
            record = eng.create(req)
            try:
                if a.cidfile:
                    write_cidfile(a.cidfile, record["id"])
                eng.start(record)
            except (StartFailed, HutchError):
                if a.rm or a.cidfile:
                    with ignoring(HutchError):  # the monitor may have removed it
                        eng.remove(record["id"], force=True)
                raise
            print(record["id"])
            return 0
        return eng.run(req, sig_proxy=a.sig_proxy == "true", streams=streams, detach_keys=keys,
                       created=(lambda cid: write_cidfile(a.cidfile, cid)) if a.cidfile else None)
    except StartFailed as err:
        sys.stderr.write(f"Error: {err}\n")
        return err.code
    except HutchError as err:
        sys.stderr.write(f"Error: {err}\n")
        return 125
