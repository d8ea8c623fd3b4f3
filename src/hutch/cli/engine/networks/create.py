"""`hutch network create`: a bridge network (its bridge is made when a container joins it)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-d", "--driver", default="bridge", help="the network's driver (bridge)")
    p.add_argument("--subnet", default="", help="CIDR, as 10.90.0.0/24 (default: a free /24)")
    p.add_argument("--gateway", default="", help="the subnet's gateway (default: its first address)")
    p.add_argument("--ip-range", default="", help="containers' addresses from this CIDR of the subnet")
    p.add_argument("--internal", action="store_true", help="no way in or out of the network")
    p.add_argument("--ipv6", action="store_true", help="an IPv6 subnet too (not supported yet)")
    p.add_argument("-o", "--opt", action="append", default=[],
                   help="com.docker.network.bridge.name=NAME, com.docker.network.driver.mtu=N (or mtu=N)")
    p.add_argument("--label", action="append", default=[], help="KEY=VAL")
    p.add_argument("name")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.errors import HutchError
    from hutch.network.store import Networks

    options: dict[str, str] = {}
    for item in a.opt:
        key, eq, value = item.partition("=")
        if not eq:
            raise HutchError(f"invalid option {item!r}: use KEY=VALUE")
        options[key] = value
    labels = dict(item.partition("=")[::2] for item in a.label)
    net = Networks(eng.root).create(a.name, subnet=a.subnet, gateway=a.gateway, ip_range=a.ip_range,
                                    internal=a.internal, options=options, labels=labels, driver=a.driver,
                                    ipv6=a.ipv6)
    print(net["Id"])
    return 0
