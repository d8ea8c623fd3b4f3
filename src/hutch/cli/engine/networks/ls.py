"""`hutch network ls|list`: docker's network table."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="only the network ids")
    p.add_argument("--no-trunc", action="store_true", help="whole network ids")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.network.store import Networks

    nets = Networks(eng.root).listed()
    ids = [n["Id"] if a.no_trunc else n["Id"][:12] for n in nets]
    if a.quiet:
        sys.stdout.write("".join(i + "\n" for i in ids))
        return 0
    rows = [("NETWORK ID", "NAME", "DRIVER", "SCOPE")]
    rows += [(i, n["Name"], n["Driver"], n["Scope"]) for i, n in zip(ids, nets, strict=True)]
    widths = [max(len(r[k]) for r in rows) for k in range(3)]
    sys.stdout.write("".join(f"{r[0]:<{widths[0]}}   {r[1]:<{widths[1]}}   {r[2]:<{widths[2]}}   {r[3]}\n"
                             for r in rows))
    return 0
