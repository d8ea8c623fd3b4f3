"""`hutch cp`: copy files between a container and the host (- is a tar stream)."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-a", "--archive", action="store_true", help="keep the source's uid/gid")
    p.add_argument("-L", "--follow-link", action="store_true", help="follow a symlink SRC")
    p.add_argument("src", help="CONTAINER:SRC_PATH, a host path, or -")
    p.add_argument("dest", help="CONTAINER:DEST_PATH, a host path, or -")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import copy

    copy.cp(eng, a.src, a.dest, archive=a.archive, follow=a.follow_link,
            stdin=sys.stdin.buffer, stdout=sys.stdout.buffer)
    return 0
