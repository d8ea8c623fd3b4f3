"""`hutch network connect`: a container joins one more network (now, if it runs)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("--alias", action="append", default=[], help="another name on this network")
    p.add_argument("--ip", default="", help="its IPv4 address on this network")
    p.add_argument("--ip6", default="", help="its IPv6 address on this network (one of --ipv6)")
    p.add_argument("network")
    p.add_argument("container")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.engine import netattach

    netattach.connect(eng.store, eng.find(a.container), eng.root, a.network, a.alias, a.ip, a.ip6)
    return 0
