"""`hutch run`: docker's run flags, the container request they make (hutch.engine.request),
and pulling the image as ``--pull`` says; `create` (cli/engine/containers/create.py) shares
all but the running.

Errors are one line on stderr and exit status 125 for `run`'s own failures, as docker's;
`run` exits with the container's status."""

from __future__ import annotations

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
    p.add_argument("--name")
    p.add_argument("-e", "--env", action="append", default=[])
    p.add_argument("-w", "--workdir", default="")
    p.add_argument("-u", "--user", default="")
    p.add_argument("-h", "--hostname", default="")
    p.add_argument("--entrypoint", default=None)
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
    p.add_argument("--read-only", action="store_true")
    p.add_argument("-v", "--volume", action="append", default=[], help="SRC:DST[:ro]")
    p.add_argument("--tmpfs", action="append", default=[], help="DST[:OPTIONS]")
    p.add_argument("-m", "--memory", default="")
    p.add_argument("--memory-swap", default="")
    p.add_argument("--cpus", default="")
    p.add_argument("--cpu-shares", type=int, default=0)
    p.add_argument("--cpuset-cpus", default="")
    p.add_argument("--pids-limit", type=int, default=0)
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
    p.add_argument("--stop-signal", default="")
    p.add_argument("--stop-timeout", type=int, default=None)
    p.add_argument("--log-opt", action="append", default=[], help="json-file: max-size=SIZE, max-file=N")
    p.add_argument("--log-driver", default="json-file", choices=["json-file"])
    p.add_argument("-p", "--publish", action="append", default=[], help="[IP:][HOSTPORT:]PORT[/PROTO]")
    p.add_argument("-P", "--publish-all", action="store_true",
                   help="publish every exposed port (the image's and --expose's) on a free host port")
    p.add_argument("--expose", action="append", default=[], help="PORT[-PORT][/PROTO] to expose")
    p.add_argument("--runtime", dest="run_runtime", default=None,
                   help="the OCI runtime for this container (as the global --runtime)")
    p.add_argument("--env-file", action="append", default=[], help="KEY=VAL lines")
    p.add_argument("--ulimit", action="append", default=[], help="TYPE=SOFT[:HARD]")
    p.add_argument("--cap-add", action="append", default=[])
    p.add_argument("--cap-drop", action="append", default=[])
    p.add_argument("--privileged", action="store_true")
    p.add_argument("--security-opt", action="append", default=[])
    p.add_argument("--init", action="store_true", help="run an init (docker-init) as pid 1")
    p.add_argument("-l", "--label", action="append", default=[], help="KEY=VAL")
    p.add_argument("--label-file", action="append", default=[])
    p.add_argument("--mount", action="append", default=[], help="type=bind|volume|tmpfs,src=,dst=,...")
    p.add_argument("--pull", default="missing", choices=["missing", "always", "never"],
                   help="pull the image: when it is missing (default), always, or never")
    p.add_argument("--platform", default=None, help="the platform to pull (OS/ARCH[/VARIANT])")
    p.add_argument("-q", "--quiet", action="store_true", help="no pull progress")
    registry_flags(p)
    p.add_argument("image")
    p.add_argument("args", nargs=REMAINDER)


def run_request(a: Namespace) -> CreateRequest:
    """`run`'s (and `create`'s) flags as the container's request, parsed and checked; its
    warnings on stderr."""
    import os

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
        publish_all=a.publish_all, restart=a.restart, health_cmd=a.health_cmd,
        health_interval=a.health_interval, health_timeout=a.health_timeout,
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
        a.image = images_pull.resolve_local(eng, a.image)
    except ImageNotFound:
        if a.pull == "never":
            raise
        from hutch.image import reference

        if not a.quiet:
            sys.stderr.write(f"Unable to find image '{reference.parse(a.image).familiar()}' locally\n")
        a.image = str(images_pull.pull_image(eng, a, a.image, sys.stderr, a.quiet).ref)


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.containers import StartFailed

    try:
        image_for(eng, a)
        if a.tty and a.interactive and not a.detach and not sys.stdin.isatty():
            raise HutchError("the input device is not a TTY (use -i without -t)")
        if a.detach:
            record = eng.create(run_request(a))
            try:
                eng.start(record)
            except StartFailed:
                if a.rm:
                    with ignoring(HutchError):  # the monitor may have removed it
                        eng.remove(record["id"], force=True)
                raise
            print(record["id"])
            return 0
        return eng.run(run_request(a), sig_proxy=a.sig_proxy == "true")
    except StartFailed as err:
        sys.stderr.write(f"Error: {err}\n")
        return err.code
    except HutchError as err:
        sys.stderr.write(f"Error: {err}\n")
        return 125
