"""`hutch`: the daemonless engine's command line, with docker's verbs and flags.

This module has the parser and the dispatch, and ``import``, ``run``, ``create``, ``save``,
``load``, ``tag`` and ``history``; the other verbs live by noun in ``cli/engine_*.py``
(which never import this module). Errors are one line on stderr and exit status 1 (125
for `run`'s own failures, as docker); `run` exits with the container's status.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from hutch.cli import engine_commit, engine_containers, engine_images, engine_volumes
from hutch.cli.fmt import ago as _ago
from hutch.cli.fmt import size as _size
from hutch.cli.fmt import table as _table
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hutch.engine.containers import Engine
    from hutch.engine.ocispec import RunOptions


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise HutchError(message)


class _Skip:
    """Stands in for the parsers of verbs not asked for: accepts every call, builds nothing."""

    def __getattr__(self, _name: str) -> Any:
        return lambda *_a, **_k: self


class _OnlyVerb:
    """The subparsers action, adding only the verb on the command line: argparse spends
    ~1 ms per parser (gettext lookups, formatters), ~40 ms for all of docker's verbs."""

    def __init__(self, sub: Any, verb: str) -> None:
        self._sub, self._verb = sub, verb

    def add_parser(self, name: str, **kw: Any) -> Any:
        if name == self._verb or self._verb in kw.get("aliases", ()):
            return self._sub.add_parser(name, **kw)
        return _Skip()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sub, name)


_GLOBAL_WITH_VALUE = ("--root", "--runroot", "--runtime")


def _verb_of(argv: list[str]) -> str | None:
    """The verb in ``argv`` (after the global options), if one can be told without parsing."""
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
            return arg
    return None


def parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line parser; given ``argv``, with only the subparser of its verb."""
    p = _Parser(prog="hutch", description="A daemonless container engine with docker's verbs.")
    p.add_argument("--root", default=None, help="the image and container store (default /var/lib/hutch)")
    p.add_argument("--runroot", default=None, help="runtime state (default /run/hutch-engine)")
    p.add_argument("--runtime", default=None, help="OCI runtime: hutch-runtime (default), runc, or a path")
    sub: Any = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    verb = _verb_of(argv) if argv is not None else None
    if verb is not None and verb in COMMANDS:
        sub = _OnlyVerb(sub, verb)

    imp = sub.add_parser("import", help="import a root filesystem tarball as an image")
    imp.add_argument("file", help="the tarball, or - for standard input")
    imp.add_argument("ref", nargs="?", help="NAME[:TAG]")
    imp.add_argument("-c", "--change", action="append", default=[],
                     help="a Dockerfile instruction for the image's config: CMD, ENTRYPOINT, ENV, "
                          "EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR")
    imp.add_argument("-m", "--message", default="", help="the history entry's comment")

    engine_images.images_flags(sub.add_parser("images", help="list images"))
    rmi = sub.add_parser("rmi", help="remove images")
    rmi.add_argument("-f", "--force", action="store_true",
                     help="untag an image that containers use (it stays, untagged, while they exist)")
    rmi.add_argument("images", nargs="+")

    run = sub.add_parser("run", help="run a command in a new container", add_help=False)
    run_flags(run)
    create = sub.add_parser("create", help="create a container (start it with `hutch start`)", add_help=False)
    run_flags(create)
    engine_containers.add_parsers(sub)

    save = sub.add_parser("save", help="write images to a docker-archive or oci-archive tarball")
    save.add_argument("-o", "--output", default=None, help="the file (default: standard output)")
    save.add_argument("--format", default="docker-archive", choices=["docker-archive", "oci-archive"])
    save.add_argument("images", nargs="+")
    load = sub.add_parser("load", help="load images from a docker-archive or oci-archive tarball")
    load.add_argument("-i", "--input", default="-")
    load.add_argument("-q", "--quiet", action="store_true")

    tag = sub.add_parser("tag", help="give an image another name")
    tag.add_argument("source")
    tag.add_argument("target")
    hist = sub.add_parser("history", help="show an image's history")
    hist.add_argument("image")
    image = sub.add_parser("image", help="image commands: ls, rm, inspect, prune, pull, push")
    image_sub = image.add_subparsers(dest="image_command", metavar="COMMAND", parser_class=_Parser)
    image_sub.add_parser("inspect", help="an image as JSON").add_argument("images", nargs="+")
    insp = sub.add_parser("inspect", help="containers (or images) as JSON")
    insp.add_argument("objects", nargs="+")

    rm = sub.add_parser("rm", help="remove containers")
    rm.add_argument("-f", "--force", action="store_true")
    rm.add_argument("-v", "--volumes", action="store_true", help="remove its anonymous volumes too")
    rm.add_argument("containers", nargs="+")
    engine_commit.add_parsers(sub, _Parser)
    engine_volumes.add_parsers(sub)
    engine_images.add_parsers(sub, _Parser)
    return p


def run_flags(p: argparse.ArgumentParser) -> None:
    """The flags of `run` (and `create`): docker's names and meanings."""
    p.add_argument("--help", action="help", help="show this help")  # -h is --hostname, as docker
    p.add_argument("--rm", action="store_true", help="remove the container when it exits")
    p.add_argument("--name")
    p.add_argument("-e", "--env", action="append", default=[])
    p.add_argument("-w", "--workdir", default="")
    p.add_argument("-u", "--user", default="")
    p.add_argument("-h", "--hostname", default="")
    p.add_argument("--entrypoint", default=None)
    p.add_argument("--network", "--net", default="none")
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
    p.add_argument("--stop-signal", default="")
    p.add_argument("--stop-timeout", type=int, default=None)
    p.add_argument("--log-opt", action="append", default=[], help="json-file: max-size=SIZE, max-file=N")
    p.add_argument("--log-driver", default="json-file", choices=["json-file"])
    p.add_argument("-p", "--publish", action="append", default=[], help="[IP:][HOSTPORT:]PORT[/PROTO]")
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
    engine_images.registry_flags(p)
    p.add_argument("image")
    p.add_argument("args", nargs=argparse.REMAINDER)


def _engine(a: argparse.Namespace) -> Engine:
    from hutch.engine.containers import DEFAULT_ROOT, DEFAULT_RUNROOT, Engine

    runtime = getattr(a, "run_runtime", None) or a.runtime  # `run --runtime` wins over the global one
    return Engine(a.root or DEFAULT_ROOT, a.runroot or DEFAULT_RUNROOT, runtime)


def _import(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.image.commit import apply_change

    changes: dict[str, Any] = {}
    for change in a.change:  # all checked before the tarball is read
        apply_change(changes, change)
    from hutch.image.archive import os_reason

    try:
        src = sys.stdin.buffer if a.file == "-" else open(a.file, "rb")  # noqa: SIM115
    except OSError as err:  # docker's words: "open missing.tar: no such file or directory"
        raise HutchError(f"open {a.file}: {os_reason(err)}") from err
    try:
        image = eng.images.import_rootfs(src, a.ref, changes, comment=a.message)
    except OSError as err:
        raise HutchError(f"import {a.file}: {err.strerror or err}") from err
    finally:
        if src is not sys.stdin.buffer:
            src.close()
    print(image.id)
    return 0


def run_options(a: argparse.Namespace) -> RunOptions:
    """`run`'s (and `create`'s) flags as the options that shape the container's config."""
    import os

    from hutch.engine.ocispec import RunOptions, env_file

    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    env = []  # docker: the files first, then -e; a bare KEY takes the host's value, or is left out
    for item in [*(e for f in a.env_file for e in env_file(f)), *a.env]:
        if "=" in item:
            env.append(item)
        elif item and item in os.environ:
            env.append(f"{item}={os.environ[item]}")
    labels: dict[str, str] = {}
    for item in [*(e for f in a.label_file for e in env_file(f)), *a.label]:
        key, _, value = item.partition("=")
        if not key:
            raise HutchError(f"invalid label {item!r}: use KEY=VALUE")
        labels[key] = value
    return RunOptions(args=args, entrypoint=a.entrypoint, env=env, workdir=a.workdir, user=a.user,
                      hostname=a.hostname, network=a.network, read_only=a.read_only,
                      memory=a.memory, memory_swap=a.memory_swap, cpus=a.cpus, cpu_shares=a.cpu_shares,
                      cpuset_cpus=a.cpuset_cpus, pids_limit=a.pids_limit, volumes=a.volume, tmpfs=a.tmpfs,
                      mounts=a.mount, ulimits=a.ulimit, cap_add=a.cap_add, cap_drop=a.cap_drop,
                      privileged=a.privileged, security_opt=a.security_opt, init=a.init, labels=labels)


def run_settings(a: argparse.Namespace) -> dict[str, Any]:
    """`run`'s and `create`'s flags that are the engine's, not the config's."""
    from hutch.engine import ports

    bindings = [b for spec in a.publish for b in ports.parse(spec)]
    if bindings and a.network == "host":
        sys.stderr.write("WARNING: Published ports are discarded when using host network mode\n")
    elif bindings:
        raise HutchError("publishing ports (-p) needs a bridge network, which hutch does not have yet: "
                         "use --network host")
    log_opts = {}
    for item in a.log_opt:
        key, sep, value = item.partition("=")
        if not sep:
            raise HutchError(f"invalid --log-opt {item!r}: use KEY=VALUE")
        log_opts[key] = value
    return {"remove": a.rm, "tty": a.tty, "stdin": a.interactive, "log_opts": log_opts,
            "stop_signal": a.stop_signal, "stop_timeout": a.stop_timeout}


def _image_for(eng: Engine, a: argparse.Namespace) -> None:
    """Pull `run`'s or `create`'s image as ``--pull`` says (docker's output on stderr); then
    ``a.image`` is the name the store has it under (a short name may have been found at, or
    pulled from, one of registries.conf's unqualified-search-registries, as podman does)."""
    from hutch.image.store import ImageNotFound

    if a.pull == "always":
        a.image = str(engine_images.pull_image(eng, a, a.image, sys.stderr, a.quiet).ref)
        return
    try:
        a.image = engine_images.resolve_local(eng, a.image)
    except ImageNotFound:
        if a.pull == "never":
            raise
        from hutch.image import reference

        if not a.quiet:
            sys.stderr.write(f"Unable to find image '{reference.parse(a.image).familiar()}' locally\n")
        a.image = str(engine_images.pull_image(eng, a, a.image, sys.stderr, a.quiet).ref)


def _run(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.engine.containers import StartFailed

    try:
        _image_for(eng, a)
        if a.tty and a.interactive and not a.detach and not sys.stdin.isatty():
            raise HutchError("the input device is not a TTY (use -i without -t)")
        if a.detach:
            record = eng.create(a.image, run_options(a), a.name, **run_settings(a))
            try:
                eng.start(record)
            except StartFailed:
                if a.rm:
                    with contextlib.suppress(HutchError):  # the monitor may have removed it
                        eng.remove(record["id"], force=True)
                raise
            print(record["id"])
            return 0
        return eng.run(a.image, run_options(a), name=a.name, sig_proxy=a.sig_proxy == "true",
                       **run_settings(a))
    except StartFailed as err:
        sys.stderr.write(f"hutch: {err}\n")
        return err.code
    except HutchError as err:
        sys.stderr.write(f"hutch: {err}\n")
        return 125


def _create(eng: Engine, a: argparse.Namespace) -> int:
    try:
        _image_for(eng, a)
        print(eng.create(a.image, run_options(a), a.name, **run_settings(a))["id"])
    except HutchError as err:
        sys.stderr.write(f"hutch: {err}\n")
        return 125
    return 0


def _save(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.image import archive

    if a.output is not None:
        archive.save(eng.images, a.images, a.output, a.format)
    elif sys.stdout.isatty():
        raise HutchError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
    else:
        sys.stdout.flush()
        archive.save_to(eng.images, a.images, sys.stdout.buffer, a.format)
        sys.stdout.buffer.flush()
    return 0


def _load(eng: Engine, a: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from hutch.image import archive, reference

    if a.input != "-":
        names = archive.load(eng.images, a.input)
    else:
        if sys.stdin.isatty():
            raise HutchError("requested load from stdin, but stdin is empty")
        with tempfile.NamedTemporaryFile(prefix="hutch-load-") as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool)
            spool.flush()
            if not spool.tell():
                raise HutchError("requested load from stdin, but stdin is empty")  # docker's words
            names = archive.load(eng.images, spool.name, "standard input")
    for n in names:
        print(f"Loaded image ID: {n}" if n.startswith("sha256:") else
              f"Loaded image: {reference.familiar(n)}")
    return 0


def _tag(eng: Engine, a: argparse.Namespace) -> int:
    eng.images.tag(a.target, eng.images.get(a.source).manifest_digest)
    return 0


def _history(eng: Engine, a: argparse.Namespace) -> int:
    img = eng.images.get(a.image)
    rows = [["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]]
    sizes = [int(layer.get("size", 0)) for layer in reversed(img.manifest.get("layers", []))]
    for i, h in enumerate(reversed(img.config.get("history", []))):
        size = "0B" if h.get("empty_layer") or not sizes else _size(sizes.pop(0))
        rows.append([img.id[7:19] if i == 0 else "<missing>", _ago(str(h.get("created", ""))),
                     str(h.get("created_by", ""))[:45], size, str(h.get("comment", ""))])
    sys.stdout.write(_table(rows))
    return 0


COMMANDS: dict[str, Callable[[Engine, argparse.Namespace], int]] = {
    "import": _import,
    "run": _run,
    "create": _create,
    "save": _save,
    "load": _load,
    "tag": _tag,
    "history": _history,
    **engine_containers.COMMANDS,
    **engine_volumes.COMMANDS,
    **engine_images.COMMANDS,
}
COMMANDS.update(engine_commit.COMMANDS)


def dispatch(a: argparse.Namespace) -> int:
    verb = COMMANDS.get(a.command)
    if verb is None:
        parser().print_help(sys.stderr)
        return 1
    return verb(_engine(a), a)


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
    sys.exit(main())
