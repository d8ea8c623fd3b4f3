"""`hutch system prune`: remove stopped containers and dangling (with -a: unused) images; the
prompt, flags and report that `container prune` and `image prune` share."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def prune_flags(p: Parser, all_flag: bool = False) -> None:
    p.add_argument("-f", "--force", action="store_true", help="do not prompt for confirmation")
    if all_flag:
        p.add_argument("-a", "--all", action="store_true",
                       help="all images no container uses, not just dangling ones")


def flags(p: Parser) -> None:
    prune_flags(p, all_flag=True)


def confirm(a: Namespace, what: str) -> bool:
    if a.force:
        return True
    sys.stderr.write(f"WARNING! This will remove {what}.\nAre you sure you want to continue? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def print_prune(containers: list[str], images: list[str], reclaimed: int) -> None:
    from hutch.cli.fmt import size as _size

    if containers:
        print("Deleted Containers:")
        print("\n".join(containers) + "\n")
    if images:
        print("Deleted Images:")
        print("\n".join(images) + "\n")
    print(f"Total reclaimed space: {_size(reclaimed)}")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import prune

    what = ("all stopped containers\n  - all images without at least one container associated to them"
            if a.all else "all stopped containers\n  - all dangling images")
    if not confirm(a, what):
        return 0
    containers, freed = prune.containers(eng)
    images, freed_images = prune.images(eng, everything=a.all)
    print_prune(containers, images, freed + freed_images)
    return 0
