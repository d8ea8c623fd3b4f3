"""`hutch update` (`container update`): change containers' resources, as docker's update.

Prints each container as given once it is updated; an error for one is docker's line and
exit status 1 at the end. The resource flags are a table (``RESOURCE_FLAGS``) that
hutch.engine.update.parse takes by keyword: a flag of another kind (--restart) is one more
add_argument here and one more step in `handle`.
"""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine

#: flag -> help; the parse keyword is the flag's name with "_" for "-".
RESOURCE_FLAGS = {
    "--memory": "memory limit (e.g. 512m, 1g)",
    "--memory-swap": "memory plus swap limit; -1 for unlimited swap",
    "--cpus": "number of CPUs (a CFS quota)",
    "--cpu-shares": "CPU shares (relative weight)",
    "--cpuset-cpus": "CPUs in which to allow execution (0-3, 0,1)",
    "--pids-limit": "tune the container's pids limit (-1 for unlimited)",
}


def flags(p: Parser) -> None:
    p.add_argument("-m", "--memory", default="", help=RESOURCE_FLAGS["--memory"])
    for flag, text in RESOURCE_FLAGS.items():
        if flag != "--memory":
            p.add_argument(flag, default="", help=text)
    p.add_argument("containers", nargs="+", metavar="CONTAINER")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import update

    given = {flag[2:].replace("-", "_"): getattr(a, flag[2:].replace("-", "_")) for flag in RESOURCE_FLAGS}
    change = update.parse(**given)
    if not change:
        raise HutchError("you must provide one or more flags when using this command")
    code = 0
    for ref in a.containers:
        try:
            update.apply(eng, eng.find(ref), change)
            print(ref)
        except HutchError as err:
            sys.stderr.write(f"Error response from daemon: {err}\n")
            code = 1
    return code
