"""`hutch exec`: run a command in a running container."""

from __future__ import annotations

import sys

from hutch.cli.pflag import REMAINDER, Namespace, Parser
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-i", "--interactive", action="store_true")
    p.add_argument("-t", "--tty", action="store_true")
    p.add_argument("-d", "--detach", action="store_true")
    p.add_argument("-e", "--env", action="append", default=[])
    p.add_argument("-u", "--user", default="")
    p.add_argument("-w", "--workdir", default="")
    p.add_argument("container")
    p.add_argument("args", nargs=REMAINDER)


def handle(eng: Engine, a: Namespace) -> int:
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    try:
        record = eng.find(a.container)
        if a.tty and not a.detach and not sys.stdin.isatty():
            raise HutchError("the input device is not a TTY (use -i without -t)")
        return eng.exec(record, args, tty=a.tty, stdin=a.interactive, detach=a.detach, env=a.env,
                        user=a.user, workdir=a.workdir)[0]
    except HutchError as err:
        sys.stderr.write(f"Error: {err}\n")
        return 126 if "not running" in str(err) else 125
