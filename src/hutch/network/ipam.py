"""Addresses for containers: subnets, and leases kept on disk under one lock.

A network's leases are one JSON file, ``<dir>/<network>.json``: ``{"ip": "container id"}``, its
IPv4 and IPv6 addresses alike (an IPv6 one as inet_ntop writes it).
Every change happens under the directory's flock and is written atomically (`util.atomic`),
so two `hutch run`s at once never get one address, and a killed `hutch` leaves the file as
it was before or after its change. Leases are released in the container's teardown; those of
containers that no longer exist (a crash between the lease and the record) are reclaimed when
a network runs out of addresses, so a crash never exhausts a subnet.

Addresses are integers here (``_socket.inet_pton``): the ``ipaddress`` module would bring
functools and collections to every `hutch run` (~5 ms).
"""

from __future__ import annotations

import _socket
import os

from hutch import filelock
from hutch.errors import HutchError
from hutch.fastjson import dumps_sorted, loads
from hutch.util import atomic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class Subnet:
    """An IPv4 or IPv6 network: ``10.88.0.0/16``, ``fd00:1::/64``."""

    __slots__ = ("bits", "family", "network", "prefix")

    def __init__(self, cidr: str) -> None:
        text, slash, length = cidr.partition("/")
        self.family = _socket.AF_INET6 if ":" in text else _socket.AF_INET
        self.bits = 128 if self.family == _socket.AF_INET6 else 32
        if not slash or not length.isdigit() or not 0 < int(length) <= self.bits:
            raise HutchError(f"invalid subnet {cidr!r}: use ADDRESS/PREFIX, as 10.88.0.0/16")
        self.prefix = int(length)
        addr = to_int(text)
        self.network = addr & ~((1 << (self.bits - self.prefix)) - 1)
        if addr != self.network:
            raise HutchError(f"invalid subnet {cidr!r}: host bits set (the network is {self})")

    def __str__(self) -> str:
        return f"{to_text(self.network, self.family)}/{self.prefix}"

    def __repr__(self) -> str:
        return f"Subnet({str(self)!r})"

    @property
    def size(self) -> int:
        return 1 << (self.bits - self.prefix)

    @property
    def last(self) -> int:
        return self.network + self.size - 1

    def __contains__(self, ip: str) -> bool:
        try:
            n = to_int(ip)
        except HutchError:
            return False
        return (":" in ip) == (self.family == _socket.AF_INET6) and self.network <= n <= self.last

    def overlaps(self, other: Subnet) -> bool:
        return self.family == other.family and self.network <= other.last and other.network <= self.last

    def hosts(self) -> tuple[int, int]:
        """The first and last address a host may have (IPv4 less the network and broadcast
        addresses, where the subnet has room for them)."""
        if self.family == _socket.AF_INET and self.prefix <= 30:
            return self.network + 1, self.last - 1
        return self.network + 1, self.last

    def nth(self, n: int) -> str:
        """The ``n``th address of the subnet (1: the usual gateway)."""
        return to_text(self.network + n, self.family)


def to_int(ip: str) -> int:
    family = _socket.AF_INET6 if ":" in ip else _socket.AF_INET
    try:
        return int.from_bytes(_socket.inet_pton(family, ip), "big")
    except OSError:
        raise HutchError(f"invalid IP address {ip!r}") from None


def to_text(n: int, family: int) -> str:
    return _socket.inet_ntop(family, n.to_bytes(16 if family == _socket.AF_INET6 else 4, "big"))


def canonical(ip: str) -> str:
    """``ip`` as inet_ntop writes it (``fd00:0::02`` -> ``fd00::2``): one text per address, so a
    lease is found by the address whichever way it was spelled."""
    return to_text(to_int(ip), _socket.AF_INET6 if ":" in ip else _socket.AF_INET)


def ula_subnet(network_id: str) -> Subnet:
    """The unique-local /64 (RFC 4193) of a network with IPv6 and no subnet given, as docker 27
    and podman pick one: ``fd``, a 40-bit global id and a 16-bit subnet id, here the first 56
    bits of the network's id (random hex), so two networks get two prefixes."""
    digits = network_id[:14].lower()
    if len(digits) != 14 or any(c not in "0123456789abcdef" for c in digits):
        raise HutchError(f"invalid network id {network_id!r}")
    return Subnet(f"fd{digits[:2]}:{digits[2:6]}:{digits[6:10]}:{digits[10:14]}::/64")


class Leases:
    """The leases of the networks whose files are in ``directory``."""

    def __init__(self, directory: str) -> None:
        self.dir = directory

    def _path(self, network: str) -> str:
        return os.path.join(self.dir, f"{network}.json")

    def _load(self, network: str) -> dict[str, str]:
        try:
            with open(self._path(network), "rb") as f:
                doc = loads(f.read())
        except FileNotFoundError:
            return {}
        if not isinstance(doc, dict):
            raise HutchError(f"the leases of network {network} are not a JSON object")
        return {str(k): str(v) for k, v in doc.items()}

    def _save(self, network: str, leases: dict[str, str]) -> None:
        atomic.write(self._path(network), dumps_sorted(leases).encode(), durable=True)

    def leased(self, network: str) -> dict[str, str]:
        """ip -> container id."""
        with filelock.locked(self.dir):
            return self._load(network)

    def allocate(self, network: str, subnet: Subnet, owner: str, *, gateway: str = "",
                 ip: str = "", ip_range: Subnet | None = None,
                 exists: Callable[[str], bool] | None = None, name: str = "") -> str:
        """An address of ``subnet`` (within ``ip_range`` if given; ``ip`` if asked for) leased to
        ``owner``. When none is free, the leases of owners for which ``exists`` says False are
        dropped first. ``name``: the network's, for the errors (default: ``network``)."""
        label = name or network
        with filelock.locked(self.dir):
            leases = self._load(network)
            if ip:
                ip = canonical(ip)
                if ip not in subnet:
                    raise HutchError(f"the address {ip} is not in network {label}'s subnet {subnet}")
                if ip == gateway or not subnet.hosts()[0] <= to_int(ip) <= subnet.hosts()[1]:
                    raise HutchError(f"the address {ip} is reserved in network {label}")
                holder = leases.get(ip)
                if holder is not None and holder != owner and (exists is None or exists(holder)):
                    raise HutchError(f"the address {ip} is already in use in network {label}")
                leases[ip] = owner
                self._save(network, leases)
                return ip
            got = _first_free(subnet, ip_range, gateway, leases)
            if got is None and exists is not None:
                leases = {a: o for a, o in leases.items() if exists(o)}
                got = _first_free(subnet, ip_range, gateway, leases)
            if got is None:
                raise HutchError(f"no address left in network {label} ({ip_range or subnet})")
            leases[got] = owner
            self._save(network, leases)
            return got

    def release(self, network: str, owner: str) -> None:
        """Drop every lease of ``owner`` (none is no error)."""
        with filelock.locked(self.dir):
            leases = self._load(network)
            kept = {a: o for a, o in leases.items() if o != owner}
            if kept != leases:
                self._save(network, kept)

    def forget(self, network: str) -> None:
        """The network is gone: its leases too."""
        with filelock.locked(self.dir):
            try:
                os.unlink(self._path(network))
            except FileNotFoundError:
                pass


def _first_free(subnet: Subnet, ip_range: Subnet | None, gateway: str,
                leases: dict[str, str]) -> str | None:
    low, high = subnet.hosts()
    if ip_range is not None:
        low, high = max(low, ip_range.network), min(high, ip_range.last)
    taken = {to_int(a) for a in leases if (":" in a) == (subnet.family == _socket.AF_INET6)}
    if gateway:
        taken.add(to_int(gateway))
    n = low
    while n <= high:
        if n not in taken:
            return to_text(n, subnet.family)
        n += 1
    return None
