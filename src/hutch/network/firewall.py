"""The firewall of hutch's networks: one nftables table of its own, ``inet hutch``.

Its rules never change once made; what changes are the elements of its sets and maps, each
change one transaction (libnftables, in this process):

- ``nat4`` holds the subnets of networks whose containers reach the outside: their packets
  to anywhere else leave with the host's address (masquerade);
- ``internal4`` holds the subnets of ``--internal`` networks: nothing is forwarded in or out;
- ``subnets4`` holds every network's subnet;
- ``tcp4``/``udp4`` map a published host port to a container's address and port, and
  ``tcp4ip``/``udp4ip`` do the same for a port published on one host address only
  (``-p 127.0.0.1:8080:80``). A packet to one of the host's own addresses (``fib daddr type
  local``: the host's addresses, 127.0.0.1, and those of the bridges) is DNAT'ed by them, from
  outside (prerouting) and from the host itself (output);
- localhost and hairpin traffic (a container reaching a published port, its own included,
  through the host) is masqueraded on its way to the container, so its answers come back
  the same way; 127.0.0.1 needs ``route_localnet`` on the bridge, which `enable_forwarding`
  sets with ``ip_forward`` (the host's sysctls, as docker sets them);
- IPv6 (networks of ``--ipv6``) has the same in ``nat6``, ``internal6``, ``subnets6`` and
  ``tcp6``/``udp6``: a port published on all the host's addresses (no host address given) is
  DNAT'ed from the host's IPv6 addresses too, to the container's IPv6 address, but not from
  ::1: IPv6 has no ``route_localnet``, a packet from ::1 never leaves ``lo``, so ::1 is left to
  answer "refused" rather than DNAT'ed into a black hole. ``enable_forwarding`` sets
  ``net.ipv6.conf.all.forwarding`` for them.

Nothing outside the table is touched; `remove_table` removes it whole.
"""

from __future__ import annotations

from hutch._sys import libnftables
from hutch.errors import HutchError

TABLE = "hutch"

BASE = """\
add table inet hutch
add set inet hutch nat4 { type ipv4_addr; flags interval; }
add set inet hutch internal4 { type ipv4_addr; flags interval; }
add set inet hutch subnets4 { type ipv4_addr; flags interval; }
add map inet hutch tcp4 { type inet_service : ipv4_addr . inet_service; }
add map inet hutch udp4 { type inet_service : ipv4_addr . inet_service; }
add map inet hutch tcp4ip { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
add map inet hutch udp4ip { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
add set inet hutch nat6 { type ipv6_addr; flags interval; }
add set inet hutch internal6 { type ipv6_addr; flags interval; }
add set inet hutch subnets6 { type ipv6_addr; flags interval; }
add map inet hutch tcp6 { type inet_service : ipv6_addr . inet_service; }
add map inet hutch udp6 { type inet_service : ipv6_addr . inet_service; }
add chain inet hutch publish
add chain inet hutch prerouting { type nat hook prerouting priority dstnat; policy accept; }
add chain inet hutch output { type nat hook output priority -100; policy accept; }
add chain inet hutch postrouting { type nat hook postrouting priority srcnat; policy accept; }
add chain inet hutch forward { type filter hook forward priority filter; policy accept; }
flush chain inet hutch publish
flush chain inet hutch prerouting
flush chain inet hutch output
flush chain inet hutch postrouting
flush chain inet hutch forward
add rule inet hutch publish meta nfproto ipv4 dnat ip to ip daddr . tcp dport map @tcp4ip
add rule inet hutch publish meta nfproto ipv4 dnat ip to ip daddr . udp dport map @udp4ip
add rule inet hutch publish meta nfproto ipv4 dnat ip to tcp dport map @tcp4
add rule inet hutch publish meta nfproto ipv4 dnat ip to udp dport map @udp4
add rule inet hutch publish meta nfproto ipv6 ip6 daddr != ::1 dnat ip6 to tcp dport map @tcp6
add rule inet hutch publish meta nfproto ipv6 ip6 daddr != ::1 dnat ip6 to udp dport map @udp6
add rule inet hutch prerouting fib daddr type local jump publish
add rule inet hutch output fib daddr type local jump publish
add rule inet hutch postrouting ip saddr @nat4 ip daddr != @subnets4 masquerade
add rule inet hutch postrouting ip saddr 127.0.0.0/8 ip daddr @subnets4 masquerade
add rule inet hutch postrouting ct status dnat ip saddr @subnets4 ip daddr @subnets4 masquerade
add rule inet hutch postrouting ip6 saddr @nat6 ip6 daddr != @subnets6 masquerade
add rule inet hutch postrouting ct status dnat ip6 saddr @subnets6 ip6 daddr @subnets6 masquerade
add rule inet hutch forward ip saddr @internal4 ip daddr != @internal4 drop
add rule inet hutch forward ip daddr @internal4 ip saddr != @internal4 drop
add rule inet hutch forward ip6 saddr @internal6 ip6 daddr != @internal6 drop
add rule inet hutch forward ip6 daddr @internal6 ip6 saddr != @internal6 drop
"""


class PortTaken(HutchError):
    """A host port that another container publishes already."""


def _run(commands: str) -> str:
    rc, out, err = libnftables.run(commands)
    if rc != 0:
        raise HutchError(f"nftables: {err.strip().splitlines()[0] if err.strip() else 'failed'}")
    return out


def ensure_table() -> None:
    """The table with its sets, maps, chains and rules (made again if someone flushed a chain;
    the elements stay)."""
    _run(BASE)


def remove_table() -> None:
    """The whole table goes (gone already is no error)."""
    rc, _out, err = libnftables.run("delete table inet hutch")
    if rc != 0 and not _gone(err):
        raise HutchError(f"nftables: {err.strip()}")


def add_network(subnet: str, internal: bool) -> None:
    """A network's subnet in the sets (its containers reach out, or, internal, do not); the
    table is made first if it is not there (the common case, a table already made, costs one
    small transaction instead of the whole table's ~10 ms)."""
    v = _version(subnet)
    kind = f"internal{v}" if internal else f"nat{v}"
    batch = (f"add element inet hutch subnets{v} {{ {subnet} }}\n"
             f"add element inet hutch {kind} {{ {subnet} }}\n")
    rc, _out, err = libnftables.run(batch)
    if rc != 0 and _gone(err):
        ensure_table()
        rc, _out, err = libnftables.run(batch)
    if rc != 0:
        raise HutchError(f"nftables: {err.strip().splitlines()[0] if err.strip() else 'failed'}")


def remove_network(subnet: str) -> None:
    """The subnet out of every set it is in."""
    v = _version(subnet)
    for name in (f"subnets{v}", f"nat{v}", f"internal{v}"):
        rc, _out, err = libnftables.run(f"delete element inet hutch {name} {{ {subnet} }}")
        if rc != 0 and not _gone(err):
            raise HutchError(f"nftables: {err.strip()}")


def _version(subnet: str) -> str:
    """The IP version of an address or subnet, as the sets' names end: "4" or "6"."""
    return "6" if ":" in subnet else "4"


class Port:
    """One published port: host address ("" for all of them), host port, protocol, container
    address and port (an IPv6 container address: the port on the host's IPv6 addresses, which
    takes no host address)."""

    __slots__ = ("container_ip", "container_port", "host_ip", "host_port", "proto")

    def __init__(self, host_ip: str, host_port: int, proto: str, container_ip: str,
                 container_port: int) -> None:
        self.host_ip, self.host_port, self.proto = host_ip, host_port, proto
        self.container_ip, self.container_port = container_ip, container_port

    def _map(self) -> str:
        if ":" in self.container_ip:
            return f"{self.proto}6"
        return f"{self.proto}4ip" if self.host_ip else f"{self.proto}4"

    def _key(self) -> str:
        return f"{self.host_ip} . {self.host_port}" if self.host_ip else str(self.host_port)

    def element(self) -> str:
        return f"{self._key()} : {self.container_ip} . {self.container_port}"


def publish(ports: list[Port]) -> None:
    """Map every port, all or none (one transaction). A host port another container
    publishes already is PortTaken."""
    if not ports:
        return
    rc, _out, err = libnftables.run("".join(f"create element inet hutch {p._map()} {{ {p.element()} }}\n"
                                            for p in ports))
    if rc != 0:
        if "File exists" in err:
            raise PortTaken(f"a port is already allocated: {err.strip().splitlines()[0]}")
        raise HutchError(f"nftables: {err.strip().splitlines()[0] if err.strip() else 'failed'}")


def taken(port: Port) -> bool:
    """Whether a container publishes ``port``'s host port (and address) already."""
    rc, _out, err = libnftables.run(f"get element inet hutch {port._map()} {{ {port._key()} }}",
                                    json_output=False)
    if rc == 0:
        return True
    if _gone(err):
        return False
    raise HutchError(f"nftables: {err.strip()}")


def unpublish(ports: list[Port]) -> None:
    """Unmap the ports that still go to their container: nftables deletes a map's element by
    its key alone, so each is looked at first (another container may have the host port by
    now, and keeps it); what is gone is no error."""
    for p in ports:
        rc, out, err = libnftables.run(f"get element inet hutch {p._map()} {{ {p._key()} }}",
                                       json_output=False)
        if rc != 0:
            if _gone(err):
                continue
            raise HutchError(f"nftables: {err.strip()}")
        if f"{{ {p.element()} }}" not in out:
            continue  # someone else's now
        rc, _out, err = libnftables.run(f"delete element inet hutch {p._map()} {{ {p._key()} }}")
        if rc != 0 and not _gone(err):
            raise HutchError(f"nftables: {err.strip()}")


def _gone(err: str) -> bool:
    return "No such file or directory" in err or "element does not exist" in err


def enable_forwarding(bridge: str, ipv6: bool = False) -> None:
    """What the host must allow for a bridge network, as docker sets it: IPv4 forwarding,
    and 127.0.0.1 routed to the bridge (a published port on localhost); with ``ipv6``, IPv6
    forwarding too (for all links: IPv6 has no per-link switch that routes between them). These
    are the sysctls of the network namespace hutch runs in (the tests': one of their own)."""
    paths = ["/proc/sys/net/ipv4/ip_forward", f"/proc/sys/net/ipv4/conf/{bridge}/route_localnet"]
    if ipv6:
        paths.append("/proc/sys/net/ipv6/conf/all/forwarding")
    for path in paths:
        with open(path, "r+") as f:
            if f.read().strip() != "1":
                f.seek(0)
                f.write("1\n")
