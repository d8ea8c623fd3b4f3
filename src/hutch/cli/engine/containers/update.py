"""`hutch update` (`container update`): change containers' resources and restart policy, as
docker's update.

The resources go to the running container's cgroup through its runtime and are kept for its
next start (hutch.engine.update); ``--restart`` is the policy the supervisor applies at the
container's next exit (hutch.engine.restartpolicy). Each container given is printed once it is
updated; an error for one is one line and exit status 1 at the end. The resource flags are a
table (``RESOURCE_FLAGS``) that hutch.engine.update.parse takes by keyword.
"""

from __future__ import annotations

from hutch.cli.engine.containers._each import each
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine
    from hutch.engine.records import Record

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
    p.add_argument("--restart", default=None, help="no, always, unless-stopped or on-failure[:N]")
    p.add_argument("containers", nargs="+", metavar="CONTAINER")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import restartpolicy, update

    given = {flag[2:].replace("-", "_"): getattr(a, flag[2:].replace("-", "_")) for flag in RESOURCE_FLAGS}
    change = update.parse(**given)
    policy = restartpolicy.parse(a.restart) if a.restart is not None else None
    if not change and policy is None:
        raise HutchError("you must provide one or more flags when using this command")

    def act(record: Record) -> None:
        if change:
            update.apply(eng, record, change)
        if policy is not None:
            eng.update_restart(record, policy)

    return each(eng, a.containers, act)
