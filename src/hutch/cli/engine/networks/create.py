"""`hutch network create`: a bridge network (its bridge is made when a container joins it)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-d", "--driver", default="bridge", help="the network's driver (bridge)")
    p.add_argument("--subnet", action="append", default=[],
                   help="CIDR, as 10.90.0.0/24 (default: a free /24); once more for IPv6, as fd00:90::/64")
    p.add_argument("--gateway", action="append", default=[],
                   help="the subnet's gateway (default: its first address); one per family")
    p.add_argument("--ip-range", action="append", default=[],
                   help="containers' addresses from this CIDR of the subnet; one per family")
    p.add_argument("--internal", action="store_true", help="no way in or out of the network")
    p.add_argument("--ipv6", action="store_true",
                   help="an IPv6 subnet too (default: a unique-local /64, fdXX:XXXX:XXXX:XXXX::/64)")
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
    subnet, subnet6 = _per_family("--subnet", a.subnet)
    gateway, gateway6 = _per_family("--gateway", a.gateway)
    ip_range, ip_range6 = _per_family("--ip-range", a.ip_range)
    net = Networks(eng.root).create(a.name, subnet=subnet, gateway=gateway, ip_range=ip_range,
                                    internal=a.internal, options=options, labels=labels, driver=a.driver,
                                    ipv6=a.ipv6, subnet6=subnet6, gateway6=gateway6, ip_range6=ip_range6)
    from hutch.engine import events

    events.network(eng.root, "create", net)
    print(net["Id"])
    return 0


def _per_family(flag: str, values: list[str]) -> tuple[str, str]:
    """A flag given once per family, as docker takes --subnet: (its IPv4 value, its IPv6 one)."""
    from hutch.errors import HutchError

    v4 = [v for v in values if ":" not in v]
    v6 = [v for v in values if ":" in v]
    if len(v4) > 1 or len(v6) > 1:
        raise HutchError(f"network create: {flag} at most once per family (IPv4, IPv6)")
    return (v4[0] if v4 else ""), (v6[0] if v6 else "")
