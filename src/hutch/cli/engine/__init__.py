"""`hutch`: the daemonless engine's command line, with docker's verbs and flags.

This package has the global flags, the lazy verb table and the dispatch; each verb lives in a
module by noun (``containers/``, ``images/``, ``volumes/``, ``system/``) that declares its flags
next to its handler: ``flags(parser)`` and ``handle(engine, args)``, as hutch-runtime's verbs
do in ``cli/runtime/``. Only the module of the verb on the command line is imported and only
its parser is built (argparse spends ~1 ms per parser, ~40 ms for all of docker's verbs); help,
no verb or an unknown one build them all. Errors are one line on stderr and exit status 1 (125
for `run`'s own failures, as docker); `run` exits with the container's status.
"""

from __future__ import annotations

import argparse
import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    from hutch.engine.containers import Engine
else:
    Protocol = object

#: The lazy verb table: verb (``noun verb`` for docker's management commands) -> (its module
#: under hutch.cli.engine, its line in --help). In --help's order.
VERBS: dict[str, tuple[str, str]] = {
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
    "stats": ("containers.stats", "CPU, memory and pids of containers"),
    "port": ("containers.port", "a container's published ports"),
    "save": ("images.save", "write images to a docker-archive or oci-archive tarball"),
    "load": ("images.load", "load images from a docker-archive or oci-archive tarball"),
    "tag": ("images.tag", "give an image another name"),
    "history": ("images.history", "show an image's history"),
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
    "pull": ("images.pull", "download an image from a registry"),
    "push": ("images.push", "upload an image to a registry"),
    "login": ("images.login", "log in to a registry"),
    "logout": ("images.logout", "log out from a registry"),
}

#: docker's management commands: noun -> (its line in --help, the error without a verb).
NOUNS: dict[str, tuple[str, str]] = {
    "image": ("image commands: ls, rm, inspect, prune, pull, push",
              "image: use `hutch image ls|rm|inspect|prune|pull|push`"),
    "system": ("system commands: prune", "system: use `hutch system prune`"),
    "container": ("container commands: ls, rm, inspect, prune",
                  "container: use `hutch container ls|rm|inspect|prune`"),
    "volume": ("volume commands: create, ls, rm, inspect, prune",
               "volume: use `hutch volume create|ls|rm|inspect|prune`"),
}

#: Other names of a verb.
ALIASES: dict[str, tuple[str, ...]] = {
    "container ls": ("ps", "list"),
    "image ls": ("list",),
    "volume ls": ("list",),
    "volume rm": ("remove",),
}
_ALIAS_OF = {f"{key.partition(' ')[0]} {alias}": key for key, names in ALIASES.items() for alias in names}

#: Verbs whose -h is a flag of their own (`run -h NAME` is --hostname, as docker's): they add --help.
NO_HELP_FLAG = frozenset({"run", "create"})

#: Verbs whose unexpected OSError is one line naming the verb and the file.
ONE_LINE = frozenset({"commit", "cp", "system", "container", "image"})


class Verb(Protocol):
    """What every verb's module has."""

    def flags(self, p: argparse.ArgumentParser) -> None: ...

    def handle(self, eng: Engine, a: argparse.Namespace) -> int: ...


def verb_module(key: str) -> Verb:
    """The module of ``key`` (a key of VERBS), imported now."""
    import importlib

    mod: Verb = importlib.import_module(f"hutch.cli.engine.{VERBS[key][0]}")
    return mod


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise HutchError(message)

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse makes a formatter for every add_argument (to check the metavar), and
        # each one imports shutil (with bz2 and lzma: ~2 ms) to ask for the terminal's width
        make: Any = self.formatter_class  # (typeshed's protocol knows only prog)
        return make(prog=self.prog, width=_help_width())  # type: ignore[no-any-return]


_width: list[int] = []


def _help_width() -> int:
    """What argparse's HelpFormatter takes by default (shutil.get_terminal_size() - 2),
    without shutil, asked once."""
    if not _width:
        import os

        try:
            columns = int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            columns = 0
        if columns <= 0:
            try:
                columns = os.get_terminal_size(sys.__stdout__.fileno() if sys.__stdout__ else 1).columns
            except (AttributeError, ValueError, OSError):
                columns = 0
        _width.append((columns or 80) - 2)
    return _width[0]


_GLOBAL_WITH_VALUE = ("--root", "--runroot", "--runtime")


def _verb_at(argv: list[str]) -> int | None:
    """Where the verb is in ``argv`` (after the global options), if that can be told without parsing."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _GLOBAL_WITH_VALUE:
            i += 2
        elif arg.startswith("--") and arg.split("=")[0] in _GLOBAL_WITH_VALUE:
            i += 1
        elif arg.startswith("-"):
            return None  # -h, --help, or a mistake: the whole parser says what is wrong
        else:
            return i
    return None


def wanted(argv: list[str] | None) -> list[str]:
    """The keys of VERBS whose parsers ``argv`` needs: its verb's, else all of its noun's (none
    or an unknown one given: argparse lists them), else all."""
    at = None if argv is None else _verb_at(argv)
    if argv is None or at is None:
        return list(VERBS)
    verb = argv[at]
    if verb in NOUNS:
        sub = argv[at + 1] if at + 1 < len(argv) else "-"
        key = _ALIAS_OF.get(f"{verb} {sub}", f"{verb} {sub}")
        return [key] if key in VERBS else [k for k in VERBS if k.startswith(verb + " ")]
    return [verb] if verb in VERBS else list(VERBS)


def parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line parser; given ``argv``, with only the subparser of its verb."""
    p = _Parser(prog="hutch", description="A daemonless container engine with docker's verbs.")
    p.add_argument("--root", default=None, help="the image and container store (default /var/lib/hutch)")
    p.add_argument("--runroot", default=None, help="runtime state (default /run/hutch-engine)")
    p.add_argument("--runtime", default=None, help="OCI runtime: hutch-runtime (default), runc, or a path")
    sub: argparse._SubParsersAction[argparse.ArgumentParser]
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    nouns: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}
    for key in wanted(argv):
        noun, _, verb = key.rpartition(" ")
        target = sub
        if noun:
            if noun not in nouns:
                np = sub.add_parser(noun, help=NOUNS[noun][0])
                nouns[noun] = np.add_subparsers(dest=f"{noun}_command", metavar="COMMAND",
                                                parser_class=_Parser)
            target = nouns[noun]
        vp = target.add_parser(verb, help=VERBS[key][1], aliases=ALIASES.get(key, ()),
                               add_help=key not in NO_HELP_FLAG)
        verb_module(key).flags(vp)
    return p


def _engine(a: argparse.Namespace) -> Engine:
    from hutch.engine.containers import DEFAULT_ROOT, DEFAULT_RUNROOT, Engine

    runtime = getattr(a, "run_runtime", None) or a.runtime  # `run --runtime` wins over the global one
    return Engine(a.root or DEFAULT_ROOT, a.runroot or DEFAULT_RUNROOT, runtime)


def dispatch(a: argparse.Namespace) -> int:
    key = a.command
    if key is None:
        parser().print_help(sys.stderr)
        return 1
    eng = _engine(a)
    if key in NOUNS:
        verb = getattr(a, f"{key}_command", None)
        if verb is None:
            raise HutchError(NOUNS[key][1])
        key = _ALIAS_OF.get(f"{key} {verb}", f"{key} {verb}")
    handle = verb_module(key).handle
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
        a = parser(args).parse_args(args)
        if not a.command:
            parser().print_help(sys.stderr)
            return 1
        return dispatch(a)
    except HutchError as err:
        sys.stderr.write(f"hutch: {err}\n")
        return 1
    except OSError as err:  # what no verb turned into a message of its own: one line still
        where = f": {err.filename}" if err.filename else ""
        sys.stderr.write(f"hutch: {(err.strerror or str(err)).lower()}{where}\n")
        return 1
    except KeyboardInterrupt:
        return 130


def entry() -> None:
    """The console script: :func:`main`, then :func:`hutch.cli.leave`."""
    from hutch.cli import leave

    leave(main())
