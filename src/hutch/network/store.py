"""Networks as docker keeps them, one JSON file each:

    ROOT/networks/<id>.json     docker's network object (Name, Id, Driver, IPAM, Options...)
    ROOT/networks/leases/       hutch.network.ipam's leases, a file per network
    ROOT/networks/lock          flock for creating and removing

``bridge`` (docker's default network: bridge device ``hutch0``), ``host`` and ``none`` are
docker's predefined networks: the last two are no objects of their own, and ``bridge`` is made
on first use. A new network gets the first free /24 of 10.89.0.0/16 (podman's pool), else of
the private ranges after it, that overlaps no other network and no route of the host, and the
first unused bridge name ``hutch1``, ``hutch2``...; ``--subnet``, ``--gateway``,
``--ip-range`` and ``-o com.docker.network.bridge.name=`` say otherwise. With ``--ipv6`` it
has an IPv6 subnet too (``EnableIPv6``, a second IPAM config): a unique-local /64 made from its
id, as docker 27 and podman make one, unless an IPv6 ``--subnet`` says which. ``bridge`` is
IPv4 only, as docker's is by default.

A network's bridge and firewall elements are made when its first container starts
(hutch.network.bridge, hutch.network.firewall) and removed with the network.
"""

from __future__ import annotations

import os

from hutch import filelock
from hutch.errors import Conflict, HutchError, NotFound
from hutch.fastjson import dumps_pretty, loads
from hutch.network.ipam import Leases, Subnet, canonical, ula_subnet
from hutch.util import atomic, timefmt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

DEFAULT = "bridge"
DEFAULT_BRIDGE = "hutch0"
DEFAULT_SUBNET = "10.88.0.0/16"
PREDEFINED = ("bridge", "host", "none")
BRIDGE_NAME_OPTION = "com.docker.network.bridge.name"
MTU_OPTION = "com.docker.network.driver.mtu"
_AF_INET6 = 10  # (socket.AF_INET6, without importing socket for it)
_NAME_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_NAME_REST = _NAME_FIRST | frozenset("_.-")


def predefined(name: str) -> dict[str, Any]:
    """docker's ``host`` and ``none``: no object on disk, a fixed one to show (driver host, null)."""
    from hutch.image.content import sha256_of

    return {"Name": name, "Id": sha256_of(f"hutch-network-{name}".encode())[7:],
            "Created": "0001-01-01T00:00:00Z", "Scope": "local", "Driver": "null" if name == "none" else name,
            "EnableIPv6": False, "IPAM": {"Driver": "default", "Options": {}, "Config": []},
            "Internal": False, "Attachable": False, "Ingress": False, "Options": {}, "Labels": {}}


class NetworkNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"network {name} not found")


def check_name(name: str) -> str:
    """docker's rule for a network's name: ``[a-zA-Z0-9][a-zA-Z0-9_.-]*``."""
    if not name or name[0] not in _NAME_FIRST or not all(c in _NAME_REST for c in name[1:]):
        raise HutchError(f"invalid network name {name!r}: use letters, digits, and _ . - after the first")
    return name


def host_routes() -> list[Subnet]:
    """The IPv4 and IPv6 routes of this network namespace (/proc/net/route, /proc/net/ipv6_route),
    as subnets."""
    import _socket
    import struct

    out: list[Subnet] = []
    try:
        with open("/proc/net/route") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return out
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        dest = _socket.inet_ntoa(struct.pack("<I", int(fields[1], 16)))
        prefix = bin(int(fields[7], 16)).count("1")
        if prefix:  # (the default route overlaps everything)
            out.append(Subnet(f"{dest}/{prefix}"))
    try:
        with open("/proc/net/ipv6_route") as f:
            lines = f.read().splitlines()
    except OSError:
        return out  # (no IPv6 in this kernel)
    for line in lines:  # destination (32 hex digits), its prefix length (hex), ...
        fields = line.split()
        if len(fields) < 2 or len(fields[0]) != 32 or not int(fields[1], 16):
            continue
        prefix = int(fields[1], 16)
        dest = _socket.inet_ntop(_socket.AF_INET6, bytes.fromhex(fields[0]))
        if not dest.startswith(("fe80:", "ff")):  # (link-local and multicast: every link has them)
            net = int(fields[0], 16) & ~((1 << (128 - prefix)) - 1)
            out.append(Subnet(f"{_socket.inet_ntop(_socket.AF_INET6, net.to_bytes(16, 'big'))}/{prefix}"))
    return out


class Networks:
    """The networks under ``root``/networks."""

    def __init__(self, root: str) -> None:
        self.dir = os.path.join(root, "networks")
        self.leases = Leases(os.path.join(self.dir, "leases"))

    # ---- reading ------------------------------------------------------------------------

    def all(self) -> list[dict[str, Any]]:
        """Every network object, oldest first."""
        try:
            names = sorted(n for n in os.listdir(self.dir) if n.endswith(".json") and not n.startswith("."))
        except FileNotFoundError:
            return []
        out = []
        for name in names:
            try:
                with open(os.path.join(self.dir, name), "rb") as f:
                    doc = loads(f.read())
            except (OSError, ValueError):
                continue  # (a file being replaced, or debris)
            if isinstance(doc, dict):
                out.append(doc)
        out.sort(key=lambda d: (str(d.get("Created", "")), str(d.get("Name", ""))))
        return out

    def listed(self) -> list[dict[str, Any]]:
        """What `network ls` shows: ``bridge`` (made now if need be), ``host``, ``none``, then
        the others, oldest first."""
        bridge = self.default()
        return [bridge, predefined("host"), predefined("none"),
                *(n for n in self.all() if n["Id"] != bridge["Id"])]

    def get(self, ref: str) -> dict[str, Any]:
        """By name, id, or unique id prefix; ``bridge`` is made if it is not there yet;
        ``host`` and ``none`` are docker's predefined ones."""
        if ref in ("host", "none"):
            return predefined(ref)
        nets = self.all()
        for n in nets:
            if n["Name"] == ref or n["Id"] == ref:
                return n
        hits = [n for n in nets if len(ref) >= 1 and n["Id"].startswith(ref)]
        if len(hits) == 1:
            return hits[0]
        if ref == DEFAULT:
            return self.default()
        raise NetworkNotFound(ref)

    def default(self) -> dict[str, Any]:
        """docker's ``bridge`` network (made now if it was not)."""
        with filelock.locked(self.dir):
            for n in self.all():
                if n["Name"] == DEFAULT:
                    return n
            subnet = Subnet(DEFAULT_SUBNET)
            if self._taken(subnet, self.all()):
                subnet = self._free_subnet(self.all())
            return self._write(DEFAULT, subnet, subnet.nth(1), None, False, DEFAULT_BRIDGE, 0, {})

    # ---- changing -----------------------------------------------------------------------

    def create(self, name: str, *, subnet: str = "", gateway: str = "", ip_range: str = "",
               internal: bool = False, bridge: str = "", mtu: int = 0,
               labels: Mapping[str, str] | None = None, options: Mapping[str, str] | None = None,
               driver: str = "bridge", ipv6: bool = False, subnet6: str = "", gateway6: str = "",
               ip_range6: str = "") -> dict[str, Any]:
        """A bridge network: IPv4 (``subnet``, ``gateway``, ``ip_range``; a free /24 if no subnet
        is given) and, with ``ipv6``, IPv6 too (``subnet6``... : a unique-local /64 from the
        network's id if none is given). An IPv6 ``subnet`` (``gateway``, ``ip_range``) counts as
        ``subnet6`` (...), as docker takes ``--subnet`` of either family."""
        check_name(name)
        if name in PREDEFINED:
            raise HutchError(f"{name} is a pre-defined network and cannot be created")
        if driver != "bridge":
            raise HutchError(f"network create: driver {driver!r} is not supported (only bridge)")
        if ":" in subnet:
            if subnet6:
                raise HutchError("network create: two IPv6 subnets (one per family)")
            subnet, subnet6 = "", subnet
        if ":" in gateway:
            gateway, gateway6 = "", gateway6 or gateway
        if ":" in ip_range:
            ip_range, ip_range6 = "", ip_range6 or ip_range
        if (subnet6 or gateway6 or ip_range6) and not ipv6:
            raise HutchError(f"network create: an IPv6 --subnet, --gateway or --ip-range "
                             f"({subnet6 or gateway6 or ip_range6}) needs --ipv6 (IPv6 is not enabled)")
        opts = dict(options or {})
        bridge = bridge or opts.pop(BRIDGE_NAME_OPTION, "")
        if MTU_OPTION in opts or "mtu" in opts:
            raw = opts.pop(MTU_OPTION, "") or opts.pop("mtu", "")
            if not raw.isdigit() or not 68 <= int(raw) <= 65535:
                raise HutchError(f"invalid MTU {raw!r}: a number from 68 to 65535")
            mtu = int(raw)
        if opts:
            raise HutchError(f"network create: unknown option {sorted(opts)[0]!r}")
        with filelock.locked(self.dir):
            nets = self.all()
            if any(n["Name"] == name for n in nets):
                raise HutchError(f"network with name {name} already exists")
            if subnet:
                net = self._given(subnet, nets)
            elif gateway or ip_range:
                raise HutchError("network create: --gateway and --ip-range need --subnet")
            else:
                net = self._free_subnet(nets)
            gateway, rng = _gateway_and_range(net, gateway, ip_range)
            v6: tuple[Subnet, str, Subnet | None] | None = None
            nid = os.urandom(32).hex()
            if ipv6:
                if subnet6:
                    net6 = self._given(subnet6, nets)
                    if net6.family != _AF_INET6:
                        raise HutchError(f"invalid IPv6 subnet {subnet6!r}")
                elif gateway6 or ip_range6:
                    raise HutchError("network create: an IPv6 --gateway or --ip-range needs an IPv6 --subnet")
                else:
                    while self._taken(ula_subnet(nid), nets):  # (a clash of 56 random bits: another id)
                        nid = os.urandom(32).hex()
                    net6 = ula_subnet(nid)
                if net6.prefix > 126:
                    raise HutchError(f"invalid IPv6 subnet {net6}: a /126 at most (room for a gateway and "
                                     "a container)")
                v6 = (net6, *_gateway_and_range(net6, gateway6, ip_range6))
            used = {n["Options"].get(BRIDGE_NAME_OPTION, "") for n in nets}
            if bridge:
                from hutch.network.bridge import IFNAMSIZ

                if bridge in used:
                    raise HutchError(f"the bridge name {bridge} is used by another network")
                if not 0 < len(bridge) <= IFNAMSIZ or "/" in bridge or " " in bridge:
                    raise HutchError(f"invalid bridge name {bridge!r}: at most {IFNAMSIZ} characters")
            else:
                bridge = next(f"hutch{i}" for i in range(1, 10000) if f"hutch{i}" not in used)
            return self._write(name, net, gateway, rng, internal, bridge, mtu, dict(labels or {}),
                               v6=v6, nid=nid)

    def _given(self, cidr: str, nets: list[dict[str, Any]]) -> Subnet:
        """A subnet of --subnet, if no other network (or route of the host) has it."""
        net = Subnet(cidr)
        clash = self._taken(net, nets)
        if clash:
            raise HutchError(f"invalid pool request: Pool overlaps with other one on this address "
                             f"space ({clash})")
        return net

    def _write(self, name: str, subnet: Subnet, gateway: str, ip_range: Subnet | None, internal: bool,
               bridge: str, mtu: int, labels: dict[str, str], *,
               v6: tuple[Subnet, str, Subnet | None] | None = None, nid: str = "") -> dict[str, Any]:
        nid = nid or os.urandom(32).hex()
        configs = []
        for net, gw, rng in ((subnet, gateway, ip_range), *((v6,) if v6 else ())):
            ipam: dict[str, str] = {"Subnet": str(net), "Gateway": gw}
            if rng is not None:
                ipam["IPRange"] = str(rng)
            configs.append(ipam)
        options = {BRIDGE_NAME_OPTION: bridge}
        if mtu:
            options[MTU_OPTION] = str(mtu)
        doc: dict[str, Any] = {
            "Name": name, "Id": nid, "Created": timefmt.now(), "Scope": "local", "Driver": "bridge",
            "EnableIPv6": v6 is not None, "IPAM": {"Driver": "default", "Options": {}, "Config": configs},
            "Internal": internal, "Attachable": False, "Ingress": False, "Options": options,
            "Labels": labels,
        }
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        atomic.write(os.path.join(self.dir, f"{nid}.json"), dumps_pretty(doc).encode(), durable=True)
        return doc

    def remove(self, ref: str, in_use: Callable[[str], list[str]]) -> dict[str, Any]:
        """Remove a network no container is on (``in_use`` names those that are): its bridge,
        its firewall elements, its leases, its file."""
        if ref in ("host", "none"):
            raise HutchError(f"{ref} is a pre-defined network and cannot be removed")
        with filelock.locked(self.dir):
            net = self.get(ref) if ref != DEFAULT else next(
                (n for n in self.all() if n["Name"] == DEFAULT), None)
            if net is None:
                raise NetworkNotFound(ref)
            users = in_use(net["Id"])
            if users:
                raise Conflict(f"error while removing network: network {net['Name']} id {net['Id']} has "
                                 f"active endpoints ({', '.join(users)})")
            release_kernel(net)
            self.leases.forget(net["Id"])
            try:
                os.unlink(os.path.join(self.dir, f"{net['Id']}.json"))
            except FileNotFoundError:
                pass
            if not self.all():
                from hutch.network import firewall

                firewall.remove_table()  # the last network: the host's ruleset as it was
            return net

    # ---- choosing -----------------------------------------------------------------------

    @staticmethod
    def _taken(net: Subnet, nets: Iterable[dict[str, Any]]) -> str:
        """What ``net`` overlaps among the networks and the host's routes ("" if nothing)."""
        for n in nets:
            for cfg in n.get("IPAM", {}).get("Config", []):
                if net.overlaps(Subnet(cfg["Subnet"])):
                    return f"network {n['Name']}, {cfg['Subnet']}"
        for route in host_routes():
            if net.overlaps(route):
                return f"a route of the host, {route}"
        return ""

    def _free_subnet(self, nets: list[dict[str, Any]]) -> Subnet:
        for first, second_range in ((89, range(256)), (90, range(256))):
            for third in second_range:
                net = Subnet(f"10.{first}.{third}.0/24")
                if not self._taken(net, nets):
                    return net
        for second in range(16, 32):
            net = Subnet(f"172.{second}.0.0/16")
            if not self._taken(net, nets):
                return net
        raise HutchError("no free subnet left for a new network: give one with --subnet")


def release_kernel(net: Mapping[str, Any]) -> None:
    """The network's bridge and firewall elements go (what is not there is no error)."""
    from hutch.network import bridge, firewall
    from hutch.network.netlink import Netlink

    with Netlink() as nl:
        bridge.remove_bridge(nl, str(net["Options"].get(BRIDGE_NAME_OPTION, "")))
    for cfg in net.get("IPAM", {}).get("Config", []):
        firewall.remove_network(cfg["Subnet"])


def subnet_of(net: Mapping[str, Any]) -> tuple[Subnet, str, Subnet | None]:
    """A network's (IPv4) subnet, gateway and IP range."""
    cfg = net["IPAM"]["Config"][0]
    return Subnet(cfg["Subnet"]), str(cfg["Gateway"]), Subnet(cfg["IPRange"]) if cfg.get("IPRange") else None


def subnet6_of(net: Mapping[str, Any]) -> tuple[Subnet, str, Subnet | None] | None:
    """A network's IPv6 subnet, gateway and IP range; None for a network without IPv6."""
    if not net.get("EnableIPv6"):
        return None
    for cfg in net["IPAM"]["Config"]:
        if ":" in cfg["Subnet"]:
            return (Subnet(cfg["Subnet"]), str(cfg["Gateway"]),
                    Subnet(cfg["IPRange"]) if cfg.get("IPRange") else None)
    return None


def check_addresses(net: Mapping[str, Any], ip: str = "", ip6: str = "") -> None:
    """--ip and --ip6 of a container on ``net``: each an address of the network's subnet of its
    family (checked at create, as docker does, so a wrong one leaves no container behind)."""
    for flag, want, got in (("--ip", ip, subnet_of(net)), ("--ip6", ip6, subnet6_of(net))):
        if not want:
            continue
        if got is None:
            raise HutchError(f"{flag} {want}: network {net['Name']} has no IPv6 (it was made without --ipv6)")
        if want not in got[0]:
            raise HutchError(f"{flag} {want}: the address is not in network {net['Name']}'s subnet {got[0]}")


def _gateway_and_range(net: Subnet, gateway: str, ip_range: str) -> tuple[str, Subnet | None]:
    """--gateway (default: the subnet's first address) and --ip-range, checked against ``net``."""
    if gateway and gateway not in net:
        raise HutchError(f"no matching subnet for gateway {gateway}")
    rng = Subnet(ip_range) if ip_range else None
    if rng is not None and not (rng.family == net.family and net.network <= rng.network
                                and rng.last <= net.last):
        raise HutchError(f"no matching subnet for range {ip_range}")
    return (canonical(gateway) if gateway else net.nth(1)), rng

