"""`hutch commit`, `hutch cp`, the prune verbs, and docker's `container ...`/`image ...`
management aliases (merged into hutch.cli.engine's parser and COMMANDS table)."""

from __future__ import annotations

import argparse
import sys

from hutch.cli import engine_containers, engine_images
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hutch.engine.containers import Engine

    Verb = Callable[[Engine, argparse.Namespace], int]


def _bool(value: str) -> bool:
    v = value.lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean {value!r}")


def _subparsers(p: argparse.ArgumentParser) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise AssertionError(f"{p.prog} has no subcommands")


def _prune_flags(p: argparse.ArgumentParser, all_flag: bool = False) -> None:
    p.add_argument("-f", "--force", action="store_true", help="do not prompt for confirmation")
    if all_flag:
        p.add_argument("-a", "--all", action="store_true",
                       help="all images no container uses, not just dangling ones")


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add this module's verbs to `hutch`'s subcommands (after `image` is there)."""
    c = sub.add_parser("commit", help="create a new image from a container's changes")
    c.add_argument("-m", "--message", default="")
    c.add_argument("-a", "--author", default="")
    c.add_argument("-c", "--change", action="append", default=[], help="a Dockerfile instruction")
    c.add_argument("-p", "--pause", type=_bool, nargs="?", const=True, default=True,
                   help="pause a running container during the commit (default true)")
    c.add_argument("container")
    c.add_argument("repo", nargs="?", help="REPOSITORY[:TAG]")

    cp = sub.add_parser("cp", help="copy files between a container and the host (- is a tar stream)")
    cp.add_argument("-a", "--archive", action="store_true", help="keep the source's uid/gid")
    cp.add_argument("-L", "--follow-link", action="store_true", help="follow a symlink SRC")
    cp.add_argument("src", help="CONTAINER:SRC_PATH, a host path, or -")
    cp.add_argument("dest", help="CONTAINER:DEST_PATH, a host path, or -")

    system = sub.add_parser("system", help="system commands: prune")
    system_sub = system.add_subparsers(dest="system_command", metavar="COMMAND", parser_class=parser_class)
    _prune_flags(system_sub.add_parser("prune", help="remove stopped containers and dangling images"),
                 all_flag=True)

    container = sub.add_parser("container", help="container commands: ls, rm, inspect, prune")
    csub = container.add_subparsers(dest="container_command", metavar="COMMAND", parser_class=parser_class)
    from hutch.cli.engine_containers import ps_flags

    ps_flags(csub.add_parser("ls", aliases=["ps", "list"], help="list containers"))
    rm = csub.add_parser("rm", help="remove containers")
    rm.add_argument("-f", "--force", action="store_true")
    rm.add_argument("-v", "--volumes", action="store_true", help="remove its anonymous volumes too")
    rm.add_argument("containers", nargs="+")
    csub.add_parser("inspect", help="containers as JSON").add_argument("objects", nargs="+")
    _prune_flags(csub.add_parser("prune", help="remove all stopped containers"))

    if "image" not in sub.choices:  # only another verb's parser is being built
        return
    isub = _subparsers(sub.choices["image"])
    from hutch.cli import engine_images

    engine_images.images_flags(isub.add_parser("ls", aliases=["list"], help="list images"))
    engine_images.pull_flags(isub.add_parser("pull", help="download an image from a registry"))
    engine_images.push_flags(isub.add_parser("push", help="upload an image to a registry"))
    irm = isub.add_parser("rm", help="remove images")
    irm.add_argument("-f", "--force", action="store_true")
    irm.add_argument("images", nargs="+")
    _prune_flags(isub.add_parser("prune", help="remove dangling images"), all_flag=True)


def _commit(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.engine import commit

    image = commit.commit(eng, a.container, a.repo, message=a.message, author=a.author, changes=a.change,
                          pause_it=a.pause)
    print(image.id)
    return 0


def _cp(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.engine import copy

    copy.cp(eng, a.src, a.dest, archive=a.archive, follow=a.follow_link,
            stdin=sys.stdin.buffer, stdout=sys.stdout.buffer)
    return 0


def _confirm(a: argparse.Namespace, what: str) -> bool:
    if a.force:
        return True
    sys.stderr.write(f"WARNING! This will remove {what}.\nAre you sure you want to continue? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _print_prune(containers: list[str], images: list[str], reclaimed: int) -> None:
    from hutch.cli.fmt import size as _size

    if containers:
        print("Deleted Containers:")
        print("\n".join(containers) + "\n")
    if images:
        print("Deleted Images:")
        print("\n".join(images) + "\n")
    print(f"Total reclaimed space: {_size(reclaimed)}")


def _system(eng: Engine, a: argparse.Namespace) -> int:
    from hutch.engine import prune

    if a.system_command != "prune":
        raise HutchError("system: use `hutch system prune`")
    what = ("all stopped containers\n  - all images without at least one container associated to them"
            if a.all else "all stopped containers\n  - all dangling images")
    if not _confirm(a, what):
        return 0
    containers, freed = prune.containers(eng)
    images, freed_images = prune.images(eng, everything=a.all)
    _print_prune(containers, images, freed + freed_images)
    return 0


def _container(eng: Engine, a: argparse.Namespace) -> int:
    verb = a.container_command
    if verb in ("ls", "ps", "list"):
        return engine_containers.COMMANDS["ps"](eng, a)
    if verb == "rm":
        return engine_containers.COMMANDS["rm"](eng, a)
    if verb == "inspect":
        return _container_inspect(eng, a)
    if verb == "prune":
        from hutch.engine import prune

        if not _confirm(a, "all stopped containers"):
            return 0
        ids, freed = prune.containers(eng)
        _print_prune(ids, [], freed)
        return 0
    raise HutchError("container: use `hutch container ls|rm|inspect|prune`")


def _container_inspect(eng: Engine, a: argparse.Namespace) -> int:
    import json

    from hutch.engine import inspect

    docs, code = [], 0
    for ref in a.objects:
        try:
            docs.append(inspect.container(eng, eng.find(ref)))
        except HutchError as err:
            sys.stderr.write(f"Error: {err}\n")
            code = 1
    sys.stdout.write(json.dumps(docs, indent=4) + "\n")
    return code


def _image(eng: Engine, a: argparse.Namespace) -> int:
    verb = a.image_command
    if verb in ("ls", "list"):
        return engine_images.COMMANDS["images"](eng, a)
    if verb == "rm":
        return engine_images.COMMANDS["rmi"](eng, a)
    if verb in ("pull", "push"):
        return engine_images.COMMANDS[verb](eng, a)
    if verb == "prune":
        from hutch.engine import prune

        what = "all images without at least one container associated to them" if a.all \
            else "all dangling images"
        if not _confirm(a, what):
            return 0
        images, freed = prune.images(eng, everything=a.all)
        _print_prune([], images, freed)
        return 0
    if verb != "inspect":
        raise HutchError("image: use `hutch image ls|rm|inspect|prune|pull|push`")
    return engine_images.COMMANDS["inspect"](eng, a)


def _one_line(verb: Verb) -> Verb:
    """The verb, with an OSError it did not expect as a one-line error (no traceback)."""
    def run(eng: Engine, a: argparse.Namespace) -> int:
        try:
            return verb(eng, a)
        except OSError as err:
            where = f" {err.filename}" if err.filename else ""
            raise HutchError(f"{a.command}{where}: {err.strerror or err}") from err

    return run


COMMANDS: dict[str, Verb] = {
    "commit": _one_line(_commit),
    "cp": _one_line(_cp),
    "system": _one_line(_system),
    "container": _one_line(_container),
    "image": _one_line(_image),  # extends cli.engine's `image` (inspect) with ls, rm, prune
}
