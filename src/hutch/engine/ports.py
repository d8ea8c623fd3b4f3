"""`-p/--publish` values, parsed as docker parses them: [IP:][HOSTPORT:]CONTAINERPORT[/PROTO],
where either port may be a range (A-B) of the same length as the other."""

from __future__ import annotations

from hutch.errors import InvalidArgument
from hutch.util.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PROTOCOLS = ("tcp", "udp", "sctp")


class PortBinding(Value):
    """One published port: the container's port and protocol, and the host's address
    ("": every one) and port (0: one the engine picks)."""

    __slots__ = ("container_port", "host_ip", "host_port", "protocol")

    def __init__(self, container_port: int, protocol: str = "tcp", host_ip: str = "",
                 host_port: int = 0) -> None:
        self.container_port, self.protocol = container_port, protocol
        self.host_ip, self.host_port = host_ip, host_port

    def docker(self) -> dict[str, Any]:
        """As docker's PortBindings entry: {"ContainerPort": "80/tcp", "HostIp", "HostPort"}."""
        return {"ContainerPort": f"{self.container_port}/{self.protocol}", "HostIp": self.host_ip,
                "HostPort": str(self.host_port) if self.host_port else ""}


def _ports(text: str, what: str, spec: str) -> tuple[int, int]:
    lo, sep, hi = text.partition("-")
    try:
        a, b = int(lo), int(hi) if sep else int(lo)
    except ValueError:
        raise InvalidArgument(f"invalid -p {spec!r}: {what} {text!r} is not a port or a range") from None
    if not (1 <= a <= b <= 65535) and not (what == "host port" and a == 0 == b):
        raise InvalidArgument(f"invalid -p {spec!r}: {what} {text!r} is not in 1-65535")
    return a, b


def parse(spec: str) -> list[PortBinding]:
    """One -p value as bindings, one per port of a range; raises InvalidArgument naming what
    is wrong."""
    rest, _, proto = spec.partition("/")
    proto = proto or "tcp"
    if proto not in _PROTOCOLS:
        raise InvalidArgument(f"invalid -p {spec!r}: protocol {proto!r} is not tcp, udp or sctp")
    ip = ""
    if rest.startswith("["):  # [IPv6]:host:container
        end = rest.find("]")
        if end < 0:
            raise InvalidArgument(f"invalid -p {spec!r}: unclosed [")
        ip, rest = rest[1:end], rest[end + 2:]
    parts = rest.split(":")
    if len(parts) > 3 or not parts[-1]:
        raise InvalidArgument(f"invalid -p {spec!r}: use [IP:][HOSTPORT:]CONTAINERPORT[/PROTO]")
    if len(parts) == 3:
        ip, parts = ip or parts[0], parts[1:]
    if ip:
        import ipaddress

        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise InvalidArgument(f"invalid -p {spec!r}: {ip!r} is not an IP address") from None
    c_lo, c_hi = _ports(parts[-1], "container port", spec)
    if len(parts) == 2 and parts[0]:
        h_lo, h_hi = _ports(parts[0], "host port", spec)
        if h_hi - h_lo not in (0, c_hi - c_lo):
            raise InvalidArgument(f"invalid -p {spec!r}: the host and container ranges differ in length")
    else:
        h_lo = h_hi = 0
    return [PortBinding(port, proto, ip, 0 if not h_lo else h_lo + i if h_hi > h_lo else h_lo)
            for i, port in enumerate(range(c_lo, c_hi + 1))]


def parse_expose(spec: str) -> list[str]:
    """One --expose value (PORT[-PORT][/PROTO]) as docker's ExposedPorts keys: ["80/tcp"]."""
    text, _, proto = spec.partition("/")
    proto = proto or "tcp"
    if proto not in _PROTOCOLS:
        raise InvalidArgument(f"invalid --expose {spec!r}: protocol {proto!r} is not tcp, udp or sctp")
    lo, hi = _ports(text, "port", spec)
    return [f"{p}/{proto}" for p in range(lo, hi + 1)]
