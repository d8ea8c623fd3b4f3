"""docker's bridge driver, the links and addresses part: a network is a Linux bridge with the
gateway's address on it; a container joins it by a veth pair, the host's end a port of the
bridge (hairpin on, so a container reaches its own published ports through the host) and the
other end ``eth0`` in the container's namespace, with its address, a MAC address made from it
(docker's 02:42:...), and a default route through the gateway (none on an internal network).
A network with IPv6 has a second gateway address on the bridge and a second address and default
route in the container, added with IFA_F_NODAD: no duplicate address detection (the addresses
are leased, so unique), which would leave them unusable ("tentative") for a second or more.

What is the firewall's (NAT, published ports, isolation) is `hutch.network.firewall`'s; which
address a container gets is `hutch.network.ipam`'s. Everything here is undone by `detach` (the
veth pair) and `remove_bridge`; each takes what is already gone for done, so a teardown after a
kill -9 at any step finishes the job.
"""

from __future__ import annotations

import _socket
import errno
import os

from hutch.network.ipam import Subnet, to_int
from hutch.network.netlink import IFA_F_NODAD, Netlink, open_in

#: the longest name a link may have (IFNAMSIZ less its NUL)
IFNAMSIZ = 15


class Bridge:
    """One network's bridge: its link name, subnet, gateway and MTU; its IPv6 subnet and gateway
    (None and "": IPv4 only)."""

    __slots__ = ("gateway", "gateway6", "internal", "mtu", "name", "subnet", "subnet6")

    def __init__(self, name: str, subnet: Subnet, gateway: str, mtu: int = 0,
                 internal: bool = False, subnet6: Subnet | None = None, gateway6: str = "") -> None:
        if not 0 < len(name) <= IFNAMSIZ or "/" in name or name.strip() != name:
            raise ValueError(f"invalid bridge name {name!r}")
        self.name, self.subnet, self.gateway, self.mtu, self.internal = name, subnet, gateway, mtu, internal
        self.subnet6, self.gateway6 = subnet6, gateway6


def ensure_bridge(nl: Netlink, br: Bridge) -> int:
    """The bridge, made (with the gateway's address) and up if it was not; its index."""
    index = nl.index(br.name)
    if not index:
        try:
            index = nl.add_bridge(br.name, br.mtu)
        except FileExistsError:  # another `hutch run` made it meanwhile
            index = nl.index(br.name)
    try:
        nl.add_address(index, br.gateway, br.subnet.prefix)
    except FileExistsError:
        pass
    if br.subnet6 is not None:
        try:
            nl.add_address(index, br.gateway6, br.subnet6.prefix, IFA_F_NODAD)
        except FileExistsError:
            pass
    nl.set_up(index)
    return index


def remove_bridge(nl: Netlink, name: str) -> None:
    """Link ``name`` goes, if it is there: a bridge with its address (a container's end of each
    of its ports too), or a veth with its peer."""
    index = nl.index(name)
    if index:
        nl.delete(index)


def host_link_name(cid: str, network_id: str) -> str:
    """The host's end of a container's veth on a network: ``hutch`` and 10 hex digits (names
    are 15 characters at most), from both ids, so a container on two networks has two. The
    link's alias says whose it is (:func:`link_alias`): a name taken by another container's
    link is an error, never a link deleted."""
    from hutch.image.content import sha256_of

    return "hutch" + sha256_of(f"{cid}/{network_id}".encode())[7:17]


def link_alias(cid: str, network_id: str) -> str:
    return f"hutch {cid} {network_id}"


def mac_for(ip: str) -> str:
    """docker's MAC address for an IPv4 address: 02:42 and the address's four bytes."""
    n = to_int(ip)
    return "02:42:" + ":".join(f"{(n >> s) & 0xFF:02x}" for s in (24, 16, 8, 0))


def attach(br: Bridge, netns_path: str, host_name: str, alias: str, ip: str, *,
           ifname: str = "eth0", mac: str = "", default_route: bool = True, ip6: str = "") -> None:
    """Join the container's namespace at ``netns_path`` to the bridge as ``ifname`` with ``ip``
    (and ``ip6``, on a bridge with IPv6);
    the host's end is ``host_name``, its alias ``alias`` (:func:`link_alias`). A failure midway
    leaves what was made for `detach` (the host's end carries it all)."""
    with Netlink() as nl:
        bridge = ensure_bridge(nl, br)
        fd = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            try:
                host = nl.add_veth(host_name, ifname, fd, br.mtu, alias)
            except FileExistsError:
                if nl.alias(host_name) != alias:
                    raise FileExistsError(errno.EEXIST, f"the link name {host_name} is taken") from None
                nl.delete(nl.index(host_name))  # ours, left by a killed start: begin again
                host = nl.add_veth(host_name, ifname, fd, br.mtu, alias)
        finally:
            os.close(fd)
        nl.set_master(host, bridge)
        nl.set_hairpin(host)
        nl.set_up(host)
    with open_in(netns_path) as c:
        inner = c.index(ifname)
        if br.subnet.family == _socket.AF_INET:
            c.set_address(inner, mac or mac_for(ip))
        elif mac:
            c.set_address(inner, mac)
        c.add_address(inner, ip, br.subnet.prefix)
        if ip6 and br.subnet6 is not None:
            c.add_address(inner, ip6, br.subnet6.prefix, IFA_F_NODAD)
        c.set_up(inner)
        c.set_up(c.index("lo"))
        if default_route and not br.internal:
            for gateway in (br.gateway, *((br.gateway6,) if ip6 and br.subnet6 is not None else ())):
                try:
                    c.add_route(gateway)
                except FileExistsError:  # a second network: the first one's default route stays
                    pass


def detach(host_name: str) -> None:
    """Delete the container's veth pair by its host end (gone already is no error)."""
    with Netlink() as nl:
        remove_bridge(nl, host_name)
