"""rtnetlink, the little of it that a bridge network needs: links (bridges, veth pairs), their
state, master, namespace and name; addresses; routes.

What ``ip link``/``ip addr``/``ip route`` do, as messages on a NETLINK_ROUTE socket, built
with struct on the C-level ``_socket`` module: pyroute2 costs ~300 ms to import and `ip`
a process per call, where `hutch run` has ~100 ms in all. Every request asks for an
acknowledgement, so each call returns only once the kernel has done it, or raises the
kernel's errno as OSError.

A socket works in the network namespace it was made in: :func:`open_in` makes one in another
namespace (the container's) by entering it just for the ``socket()`` call.

Layouts from linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h.
"""

from __future__ import annotations

import _socket
import errno
import os
import struct

from hutch._sys import ns as _ns

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

NETLINK_ROUTE = 0
CLONE_NEWNET = 0x40000000

# message types
NLMSG_ERROR = 2
NLMSG_DONE = 3
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
RTM_NEWADDR = 20
RTM_NEWROUTE = 24

# flags
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400

# link attributes
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_MASTER = 1, 3, 4, 10
IFLA_LINKINFO, IFLA_IFALIAS, IFLA_NET_NS_FD = 18, 20, 28
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 4, 5
IFLA_BRPORT_MODE = 4  # hairpin
VETH_INFO_PEER = 1
IFF_UP = 0x1

# address and route attributes
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS = 1, 2, 8
IFA_F_NODAD = 0x02  # no duplicate address detection: an IPv6 address usable at once, not "tentative"
RTA_DST, RTA_OIF, RTA_GATEWAY = 1, 4, 5
RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST = 254, 3, 0, 1

_NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
_IFADDRMSG = struct.Struct("=BBBBi")  # family, prefixlen, flags, scope, index
_RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, protocol, scope, type, flags
_RTATTR = struct.Struct("=HH")  # len, type


def _attr(kind: int, payload: bytes) -> bytes:
    """One rtattr, padded to 4 bytes."""
    n = _RTATTR.size + len(payload)
    return _RTATTR.pack(n, kind) + payload + b"\0" * (-n & 3)


def _str(kind: int, text: str) -> bytes:
    return _attr(kind, text.encode() + b"\0")


def _u32(kind: int, value: int) -> bytes:
    return _attr(kind, struct.pack("=I", value))


def _family(ip: str) -> int:
    return _socket.AF_INET6 if ":" in ip else _socket.AF_INET


def _ip(ip: str) -> bytes:
    return _socket.inet_pton(_family(ip), ip)


def attrs_of(payload: bytes, at: int) -> dict[int, bytes]:
    """The rtattrs of a message from offset ``at`` (after its fixed header): type -> payload."""
    out: dict[int, bytes] = {}
    while at + _RTATTR.size <= len(payload):
        length, kind = _RTATTR.unpack_from(payload, at)
        if length < _RTATTR.size:
            break
        out[kind & 0x3FFF] = payload[at + _RTATTR.size : at + length]  # (less NLA_F_NESTED and co.)
        at += (length + 3) & ~3
    return out


def mac_bytes(mac: str) -> bytes:
    """``02:42:ac:11:00:02`` as its six bytes (ValueError if it is not a MAC address)."""
    parts = mac.split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        raise ValueError(f"invalid MAC address {mac!r}")
    return bytes(int(p, 16) for p in parts)


class Netlink:
    """One NETLINK_ROUTE socket and the requests hutch makes on it (a context manager)."""

    def __init__(self, sock: _socket.socket | None = None) -> None:
        self.sock = sock or _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW | _socket.SOCK_CLOEXEC,
                                           NETLINK_ROUTE)
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Netlink:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---- the exchange -------------------------------------------------------------------

    def request(self, kind: int, body: bytes, flags: int = 0) -> list[tuple[int, bytes]]:
        """Send one request; its answers (type, payload) up to the kernel's acknowledgement.
        A non-zero error in it is raised as OSError."""
        self.seq += 1
        seq = self.seq
        self.sock.send(_NLMSGHDR.pack(_NLMSGHDR.size + len(body), kind,
                                      NLM_F_REQUEST | NLM_F_ACK | flags, seq, 0) + body)
        out: list[tuple[int, bytes]] = []
        while True:
            data = self.sock.recv(65536)
            at = 0
            while at + _NLMSGHDR.size <= len(data):
                length, mtype, _flags, mseq, _pid = _NLMSGHDR.unpack_from(data, at)
                if length < _NLMSGHDR.size:
                    raise OSError(errno.EPROTO, "netlink: a message shorter than its header")
                payload = data[at + _NLMSGHDR.size : at + length]
                at += (length + 3) & ~3
                if mseq != seq:
                    continue  # (an answer to an earlier request that gave up)
                if mtype == NLMSG_ERROR:
                    (code,) = struct.unpack_from("=i", payload)
                    if code:
                        raise OSError(-code, os.strerror(-code))
                    return out
                if mtype == NLMSG_DONE:
                    return out
                out.append((mtype, payload))

    def _link(self, kind: int, index: int = 0, attrs: Iterable[bytes] = (), flags: int = 0,
              ifi_flags: int = 0, change: int = 0) -> list[tuple[int, bytes]]:
        body = _IFINFOMSG.pack(_socket.AF_UNSPEC, 0, index, ifi_flags, change) + b"".join(attrs)
        return self.request(kind, body, flags)

    # ---- links --------------------------------------------------------------------------

    def link(self, name: str) -> tuple[int, dict[int, bytes]]:
        """The index and attributes of link ``name``; (0, {}) if there is none."""
        try:
            answers = self._link(RTM_GETLINK, attrs=[_str(IFLA_IFNAME, name)])
        except OSError as err:
            if err.errno == errno.ENODEV:
                return 0, {}
            raise
        for mtype, payload in answers:
            if mtype == RTM_NEWLINK:
                return int(_IFINFOMSG.unpack_from(payload)[2]), attrs_of(payload, _IFINFOMSG.size)
        return 0, {}

    def index(self, name: str) -> int:
        """The index of link ``name``; 0 if there is none."""
        return self.link(name)[0]

    def alias(self, name: str) -> str:
        """The alias of link ``name`` (``ip link set NAME alias TEXT``; "" if none or no link)."""
        return self.link(name)[1].get(IFLA_IFALIAS, b"").rstrip(b"\0").decode(errors="replace")

    def add_bridge(self, name: str, mtu: int = 0) -> int:
        """A new bridge ``name`` (EEXIST if there is one); its index."""
        attrs = [_str(IFLA_IFNAME, name), _attr(IFLA_LINKINFO, _str(IFLA_INFO_KIND, "bridge"))]
        if mtu:
            attrs.append(_u32(IFLA_MTU, mtu))
        self._link(RTM_NEWLINK, attrs=attrs, flags=NLM_F_CREATE | NLM_F_EXCL)
        return self.index(name)

    def add_veth(self, name: str, peer: str, peer_netns_fd: int = -1, mtu: int = 0, alias: str = "") -> int:
        """A new veth pair: ``name`` here (with ``alias``, if given) and ``peer`` (in the
        namespace of ``peer_netns_fd``, if given); the index of ``name``."""
        peer_attrs = [_str(IFLA_IFNAME, peer)]
        if peer_netns_fd >= 0:
            peer_attrs.append(_u32(IFLA_NET_NS_FD, peer_netns_fd))
        if mtu:
            peer_attrs.append(_u32(IFLA_MTU, mtu))
        peer_msg = _IFINFOMSG.pack(_socket.AF_UNSPEC, 0, 0, 0, 0) + b"".join(peer_attrs)
        info = _str(IFLA_INFO_KIND, "veth") + _attr(IFLA_INFO_DATA, _attr(VETH_INFO_PEER, peer_msg))
        attrs = [_str(IFLA_IFNAME, name), _attr(IFLA_LINKINFO, info)]
        if mtu:
            attrs.append(_u32(IFLA_MTU, mtu))
        self._link(RTM_NEWLINK, attrs=attrs, flags=NLM_F_CREATE | NLM_F_EXCL)
        index = self.index(name)
        if alias:  # (a link's creation ignores IFLA_IFALIAS: a change of it sets it)
            self._link(RTM_NEWLINK, index, [_attr(IFLA_IFALIAS, alias.encode())])
        return index

    def set_up(self, index: int) -> None:
        self._link(RTM_NEWLINK, index, ifi_flags=IFF_UP, change=IFF_UP)

    def set_master(self, index: int, master: int) -> None:
        self._link(RTM_NEWLINK, index, [_u32(IFLA_MASTER, master)])

    def set_hairpin(self, index: int, on: bool = True) -> None:
        """The bridge port ``index`` sends frames back out where they came from (a container
        reaching its own published port through the host)."""
        data = _attr(IFLA_BRPORT_MODE, struct.pack("=B", 1 if on else 0))
        info = _str(IFLA_INFO_SLAVE_KIND, "bridge") + _attr(IFLA_INFO_SLAVE_DATA, data)
        self._link(RTM_NEWLINK, index, [_attr(IFLA_LINKINFO, info)])

    def set_name(self, index: int, name: str) -> None:
        self._link(RTM_NEWLINK, index, [_str(IFLA_IFNAME, name)])

    def set_address(self, index: int, mac: str) -> None:
        self._link(RTM_NEWLINK, index, [_attr(IFLA_ADDRESS, mac_bytes(mac))])

    def set_netns(self, index: int, netns_fd: int) -> None:
        self._link(RTM_NEWLINK, index, [_u32(IFLA_NET_NS_FD, netns_fd)])

    def delete(self, index: int) -> None:
        """Delete link ``index`` (a veth takes its peer with it); gone already is no error."""
        try:
            self._link(RTM_DELLINK, index)
        except OSError as err:
            if err.errno != errno.ENODEV:
                raise

    # ---- addresses and routes -----------------------------------------------------------

    def add_address(self, index: int, ip: str, prefixlen: int, flags: int = 0) -> None:
        """``ip``/``prefixlen`` on link ``index`` (IPv4 or IPv6), with IFA_F_* ``flags`` (as
        IFA_F_NODAD: an IPv6 address skips the ~1 s of duplicate address detection)."""
        raw = _ip(ip)
        body = _IFADDRMSG.pack(_family(ip), prefixlen, flags & 0xFF, RT_SCOPE_UNIVERSE, index)
        extra = _u32(IFA_FLAGS, flags) if flags else b""  # (the 8-bit field above holds the older ones)
        self.request(RTM_NEWADDR, body + _attr(IFA_LOCAL, raw) + _attr(IFA_ADDRESS, raw) + extra,
                     NLM_F_CREATE | NLM_F_EXCL)

    def add_route(self, gateway: str, dst: str = "", dst_len: int = 0, oif: int = 0) -> None:
        """A route to ``dst``/``dst_len`` (default: the default route) via ``gateway``, of the
        gateway's family (an IPv6 default route is ``::/0``)."""
        family = _family(gateway)
        body = _RTMSG.pack(family, dst_len, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE,
                           RTN_UNICAST, 0) + _attr(RTA_GATEWAY, _ip(gateway))
        if dst:
            body += _attr(RTA_DST, _ip(dst))
        if oif:
            body += _u32(RTA_OIF, oif)
        self.request(RTM_NEWROUTE, body, NLM_F_CREATE | NLM_F_EXCL)


def open_in(netns_path: str) -> Netlink:
    """A Netlink whose socket works in the network namespace at ``netns_path`` (a bind-mounted
    namespace file or /proc/PID/ns/net): this thread enters it for the ``socket()`` call only."""
    back = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            _ns.setns(target, CLONE_NEWNET)
            try:
                sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW | _socket.SOCK_CLOEXEC,
                                      NETLINK_ROUTE)
            finally:
                _ns.setns(back, CLONE_NEWNET)  # (cannot fail for the namespace we came from)
        finally:
            os.close(target)
    finally:
        os.close(back)
    return Netlink(sock)
