"""`hutch`: the daemonless engine's command line, with docker's verbs and flags.

This package has the global flags, the lazy verb table and the dispatch; each verb lives in a
module by noun (``containers/``, ``images/``, ``volumes/``, ``system/``) that declares its flags
next to its handler: ``flags(parser)`` and ``handle(engine, args)``, as hutch-runtime's verbs
do in ``cli/runtime/``. Flags are parsed as docker's are (`hutch.cli.pflag`). Only the module of
the verb on the command line is imported; ``--help`` lists the verbs from the table alone.
Errors are one line on stderr and exit status 1 (125 for `run`, `create` and `exec`'s own
failures and usage errors, as docker); `run` exits with the container's status.
"""

from __future__ import annotations

import sys

from hutch.cli.pflag import REMAINDER, Help, Namespace, Parser, UsageError
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    from hutch.engine.containers import Engine
else:
    Protocol = object

#: The lazy verb table: verb (``noun verb`` for docker's management commands) -> (its module
#: under hutch.cli.engine, its line in --help). In --help's order.
VERBS: dict[str, tuple[str, str]] = {
    "build": ("images.build", "build an image from a Dockerfile"),
    "import": ("images.import_", "import a root filesystem tarball as an image"),
    "images": ("images.ls", "list images"),
    "rmi": ("images.rm", "remove images"),
    "run": ("containers.run", "run a command in a new container"),
    "create": ("containers.create", "create a container (start it with `hutch start`)"),
    "ps": ("containers.ps", "list containers"),
    "start": ("containers.start", "start stopped containers"),
    "stop": ("containers.stop", "stop running containers"),
    "restart": ("containers.restart", "restart containers"),
    "kill": ("containers.kill", "send a signal to running containers"),
    "wait": ("containers.wait", "wait for containers to stop; print their exit codes"),
    "pause": ("containers.pause", "freeze a container's processes"),
    "unpause": ("containers.pause", "thaw them"),
    "rename": ("containers.rename", "rename a container"),
    "logs": ("containers.logs", "a container's output"),
    "exec": ("containers.exec", "run a command in a running container"),
    "attach": ("containers.attach", "attach to a running container's output (and input)"),
    "top": ("containers.top", "a container's processes"),
    "stats": ("containers.stats", "CPU, memory, network and block I/O of containers"),
    "port": ("containers.port", "a container's published ports"),
    "save": ("images.save", "write images to a docker-archive or oci-archive tarball"),
    "load": ("images.load", "load images from a docker-archive or oci-archive tarball"),
    "tag": ("images.tag", "give an image another name"),
    "history": ("images.history", "show an image's history"),
    "image build": ("images.build", "build an image from a Dockerfile"),
    "builder prune": ("builder.prune", "remove the build cache"),
    "image inspect": ("images.inspect", "an image as JSON"),
    "image ls": ("images.ls", "list images"),
    "image pull": ("images.pull", "download an image from a registry"),
    "image push": ("images.push", "upload an image to a registry"),
    "image rm": ("images.rm", "remove images"),
    "image prune": ("images.prune", "remove dangling images"),
    "inspect": ("system.inspect", "containers (or images) as JSON"),
    "rm": ("containers.rm", "remove containers"),
    "commit": ("images.commit", "create a new image from a container's changes"),
    "cp": ("containers.cp", "copy files between a container and the host (- is a tar stream)"),
    "system prune": ("system.prune", "remove stopped containers and dangling images"),
    "container ls": ("containers.ps", "list containers"),
    "container rm": ("containers.rm", "remove containers"),
    "container inspect": ("containers.inspect", "containers as JSON"),
    "container prune": ("containers.prune", "remove all stopped containers"),
    "volume create": ("volumes.create", "make a volume"),
    "volume ls": ("volumes.ls", "list volumes"),
    "volume rm": ("volumes.rm", "remove volumes"),
    "volume inspect": ("volumes.inspect", "volumes as JSON"),
    "volume prune": ("volumes.prune", "remove unused anonymous volumes (all unused with -a)"),
    "network create": ("networks.create", "make a bridge network"),
    "network ls": ("networks.ls", "list networks"),
    "network inspect": ("networks.inspect", "networks as JSON"),
    "network rm": ("networks.rm", "remove networks"),
    "network prune": ("networks.prune", "remove the networks no container is on"),
    "network connect": ("networks.connect", "connect a container to a network"),
    "network disconnect": ("networks.disconnect", "disconnect a container from a network"),
    "pull": ("images.pull", "download an image from a registry"),
    "push": ("images.push", "upload an image to a registry"),
    "login": ("images.login", "log in to a registry"),
    "logout": ("images.logout", "log out from a registry"),
    "version": ("system.version", "hutch's and its runtime's versions"),
    "info": ("system.info", "system-wide information"),
    "events": ("system.events", "the store's events, as they happen"),
    "diff": ("containers.diff", "a container's changed files (A, C, D)"),
    "update": ("containers.update", "change containers' resources and restart policy"),
    "completion": ("system.completion", "a shell completion script (bash, zsh, fish)"),
    "export": ("containers.export", "a container's filesystem as a tar archive"),
    "system info": ("system.info", "system-wide information"),
    "system events": ("system.events", "the store's events, as they happen"),
    "system df": ("system.df", "disk usage of images, containers, volumes"),
    "container diff": ("containers.diff", "a container's changed files (A, C, D)"),
    "container export": ("containers.export", "a container's filesystem as a tar archive"),
    "container update": ("containers.update", "change containers' resources and restart policy"),
}

#: docker's management commands: noun -> (its line in --help, the error without a verb).
NOUNS: dict[str, tuple[str, str]] = {
    "image": ("image commands: build, ls, rm, inspect, prune, pull, push",
              "image: use `hutch image ls|rm|inspect|prune|pull|push`"),
    "system": ("system commands: prune, info, events, df", "system: use `hutch system prune|info|events|df`"),
    "builder": ("build cache commands: prune", "builder: use `hutch builder prune`"),
    "container": ("container commands: ls, rm, inspect, prune, diff, export, update",
                  "container: use `hutch container ls|rm|inspect|prune|diff|export|update`"),
    "volume": ("volume commands: create, ls, rm, inspect, prune",
               "volume: use `hutch volume create|ls|rm|inspect|prune`"),
    "network": ("network commands: create, ls, rm, inspect, prune, connect, disconnect",
                "network: use `hutch network create|ls|rm|inspect|prune|connect|disconnect`"),
}

#: Other names of a verb.
ALIASES: dict[str, tuple[str, ...]] = {
    "container ls": ("ps", "list"),
    "image ls": ("list",),
    "volume ls": ("list",),
    "volume rm": ("remove",),
    "network ls": ("list",),
    "network rm": ("remove",),
}
_ALIAS_OF = {f"{key.partition(' ')[0]} {alias}": key for key, names in ALIASES.items() for alias in names}

#: Verbs whose -h is a flag of their own (`run -h NAME` is --hostname, as docker's): they add --help.
NO_HELP_FLAG = frozenset({"run", "create"})

#: Verbs whose unexpected OSError is one line naming the verb and the file.
ONE_LINE = frozenset({"commit", "cp", "system", "container", "image"})


class Verb(Protocol):
    """What every verb's module has."""

    def flags(self, p: Parser) -> None: ...

    def handle(self, eng: Engine, a: Namespace) -> int: ...


def verb_module(key: str) -> Verb:
    """The module of ``key`` (a key of VERBS), imported now."""
    name = f"hutch.cli.engine.{VERBS[key][0]}"
    __import__(name)  # (importlib costs ~0.5 ms more)
    mod: Verb = sys.modules[name]
    return mod


#: Verbs whose usage errors exit 125, as docker's and podman's.
USAGE_125 = frozenset({"run", "create", "exec"})


def global_parser() -> Parser:
    """The flags before the verb."""
    p = Parser("hutch", "A daemonless container engine with docker's verbs.")
    p.add_argument("--root", default=None, help="the image and container store (default /var/lib/hutch)")
    p.add_argument("--runroot", default=None, help="runtime state (default /run/hutch-engine)")
    p.add_argument("--runtime", default=None, help="OCI runtime: hutch-runtime (default), runc, or a path")
    p.add_argument("command", nargs=REMAINDER, metavar="COMMAND")
    return p


def top_help() -> str:
    """`hutch --help`: the global flags and every verb, from the table (no verb is imported)."""
    g = global_parser()
    lines = [g.usage(), "", g.description, "", "Commands:"]
    width = max(len(k) for k in VERBS)
    lines += [f"  {key:<{width}}   {text}" for key, (_, text) in VERBS.items() if " " not in key]
    lines += ["", "Management commands:"]
    lines += [f"  {noun:<{width}}   {text}" for noun, (text, _) in NOUNS.items()]
    options = g.format_help().split("Options:\n", 1)[1]
    lines += ["", "Options:", options.rstrip("\n"), "", "Run 'hutch COMMAND --help' for a command's flags."]
    return "\n".join(lines) + "\n"


def noun_help(noun: str) -> str:
    keys = [k for k in VERBS if k.startswith(noun + " ")]
    width = max(len(k) for k in keys)
    lines = [f"Usage:  hutch {noun} COMMAND", "", NOUNS[noun][0], "", "Commands:"]
    lines += [f"  {k.partition(' ')[2]:<{width}}   {VERBS[k][1]}" for k in keys]
    return "\n".join(lines) + "\n"


def resolve(words: list[str]) -> tuple[str, list[str]]:
    """The key of VERBS that ``words`` (from the verb on) names, and the words after it."""
    verb = words[0]
    if verb in NOUNS:
        sub = words[1] if len(words) > 1 else ""
        if sub in ("-h", "--help"):
            raise Help(noun_help(verb))
        key = _ALIAS_OF.get(f"{verb} {sub}", f"{verb} {sub}")
        if not sub or sub.startswith("-"):
            raise HutchError(NOUNS[verb][1])
        if key not in VERBS:
            raise UsageError(f"unknown command: hutch {verb} {sub} (see 'hutch {verb} --help')")
        return key, words[2:]
    if verb not in VERBS or " " in verb:
        raise UsageError(f"'{verb}' is not a hutch command (see 'hutch --help')")
    return verb, words[1:]


def parse(argv: list[str]) -> Namespace:
    """The whole command line: the global flags, the verb, its flags and arguments. The verb's
    key (``run``, ``image ls``...) is ``a.key``; ``a.command`` is its first word."""
    try:
        g = global_parser().parse_args(argv)
    except Help:
        raise Help(top_help()) from None
    if not g.command:
        raise Help("")
    key, rest = resolve(g.command)
    vp = Parser(f"hutch {key}", VERBS[key][1], add_help=key not in NO_HELP_FLAG)
    verb_module(key).flags(vp)
    try:
        a = vp.parse_args(rest)
    except UsageError as err:
        err.code = 125 if key in USAGE_125 else 1
        raise
    a.__dict__.update(root=g.root, runroot=g.runroot, runtime=g.runtime, key=key,
                      command=g.command[0])
    return a


def _engine(a: Namespace) -> Engine:
    from hutch.engine.containers import DEFAULT_ROOT, DEFAULT_RUNROOT, Engine

    runtime = getattr(a, "run_runtime", None) or a.runtime  # `run --runtime` wins over the global one
    return Engine(a.root or DEFAULT_ROOT, a.runroot or DEFAULT_RUNROOT, runtime)


def dispatch(a: Namespace) -> int:
    eng = _engine(a)
    handle = verb_module(a.key).handle
    if a.command not in ONE_LINE:
        return handle(eng, a)
    try:
        return handle(eng, a)
    except OSError as err:
        where = f" {err.filename}" if err.filename else ""
        raise HutchError(f"{a.command}{where}: {err.strerror or err}") from err


def main(argv: list[str] | None = None) -> int:
    try:
        args = sys.argv[1:] if argv is None else argv
        try:
            a = parse(args)
        except Help as h:
            if not h.text:  # no verb at all: the list, as an error
                sys.stderr.write(top_help())
                return 1
            sys.stdout.write(h.text)
            return 0
        return dispatch(a)
    except UsageError as err:
        sys.stderr.write(f"Error: {err}\n")
        return err.code
    except HutchError as err:
        sys.stderr.write(f"Error: {err}\n")
        return 1
    except OSError as err:  # what no verb turned into a message of its own: one line still
        where = f": {err.filename}" if err.filename else ""
        sys.stderr.write(f"Error: {(err.strerror or str(err)).lower()}{where}\n")
        return 1
    except KeyboardInterrupt:
        return 130


def entry() -> None:
    """The console script: :func:`main`, then :func:`hutch.cli.leave`."""
    from hutch.cli import leave

    leave(main())
