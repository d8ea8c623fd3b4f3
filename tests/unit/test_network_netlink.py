"""hutch.network.netlink's encoding (the kernel's side is tests/integration/test_network_netlink.py)."""

from __future__ import annotations

import struct

import pytest

from hutch.network import netlink


def test_attributes_are_padded_to_four_bytes() -> None:
    a = netlink._str(netlink.IFLA_IFNAME, "eth0")  # 4 + 5 bytes, padded to 12
    assert len(a) == 12 and struct.unpack_from("=HH", a) == (9, netlink.IFLA_IFNAME) and a[4:9] == b"eth0\0"
    assert netlink._u32(netlink.IFLA_MTU, 1500) == struct.pack("=HHI", 8, netlink.IFLA_MTU, 1500)


def test_addresses() -> None:
    assert netlink._ip("10.88.0.2") == bytes([10, 88, 0, 2])
    assert len(netlink._ip("fd00::2")) == 16
    assert netlink.mac_bytes("02:42:AC:11:00:02") == bytes([2, 0x42, 0xAC, 0x11, 0, 2])
    for bad in ("02:42:ac:11:00", "02:42:ac:11:00:2", "zz:42:ac:11:00:02"):
        with pytest.raises(ValueError):
            netlink.mac_bytes(bad)


def test_the_module_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-I", "-c", "import sys, hutch.network.netlink\n"
                          "print(' '.join(sys.modules))"], capture_output=True, text=True, check=True)
    assert not {"socket", "enum", "re", "ipaddress", "pyroute2", "subprocess"} & set(out.stdout.split())


def test_an_ipv6_address_with_its_flags() -> None:
    sent: list[bytes] = []

    class Sock:
        def bind(self, _addr: object) -> None:
            pass

        def send(self, data: bytes) -> None:
            sent.append(data)

        def recv(self, _n: int) -> bytes:  # the kernel's acknowledgement: error 0
            return struct.pack("=IHHII", 36, netlink.NLMSG_ERROR, 0, 1, 0) + struct.pack("=i", 0) + bytes(16)

    nl = netlink.Netlink(Sock())  # type: ignore[arg-type]
    nl.add_address(7, "fd00::2", 64, netlink.IFA_F_NODAD)
    body = sent[0][16:]
    assert struct.unpack_from("=BBBBi", body) == (10, 64, netlink.IFA_F_NODAD, 0, 7)  # AF_INET6
    attrs = netlink.attrs_of(body, 8)
    assert attrs[netlink.IFA_LOCAL] == attrs[netlink.IFA_ADDRESS] == bytes.fromhex("fd00" + "00" * 13 + "02")
    assert attrs[netlink.IFA_FLAGS] == struct.pack("=I", netlink.IFA_F_NODAD)
