"""`hutch diff` (`container diff`): a container's changed files, docker's ``A|C|D PATH`` lines."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("container")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine.diff import of_container

    found = of_container(eng, eng.find(a.container))
    sys.stdout.write("".join(f"{kind} {path}\n" for kind, path in found))
    return 0
