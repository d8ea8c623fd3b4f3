"""hutch.network.ipam: subnets, and leases that two processes never share."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hutch.errors import HutchError
from hutch.network.ipam import Leases, Subnet, canonical, ula_subnet


def test_subnets() -> None:
    s = Subnet("10.88.0.0/16")
    assert (str(s), s.size, s.nth(1)) == ("10.88.0.0/16", 65536, "10.88.0.1")
    assert "10.88.255.254" in s and "10.89.0.1" not in s and "fd00::1" not in s and "junk" not in s
    assert s.overlaps(Subnet("10.88.7.0/24")) and not s.overlaps(Subnet("10.89.0.0/16"))
    assert Subnet("fd00:1::/64").nth(1) == "fd00:1::1"
    small = Subnet("192.168.5.0/30")
    assert small.hosts() == (small.network + 1, small.network + 2)  # not the network, not broadcast
    for bad, words in (("10.88.0.0", "use ADDRESS/PREFIX"), ("10.88.0.0/33", "use ADDRESS/PREFIX"),
                       ("10.88.0.1/16", "host bits set (the network is 10.88.0.0/16)"),
                       ("10.888.0.0/16", "invalid IP address")):
        with pytest.raises(HutchError, match=words.replace("(", r"\(").replace(")", r"\)")):
            Subnet(bad)


def test_leases(tmp_path: Path) -> None:
    leases = Leases(str(tmp_path))
    net = Subnet("10.99.0.0/29")  # hosts .1-.6; .1 the gateway
    got = [leases.allocate("n", net, f"c{i}", gateway="10.99.0.1") for i in range(3)]
    assert got == ["10.99.0.2", "10.99.0.3", "10.99.0.4"]
    leases.release("n", "c1")
    assert leases.allocate("n", net, "c9", gateway="10.99.0.1") == "10.99.0.3"  # the lowest free
    assert leases.allocate("n", net, "c8", gateway="10.99.0.1", ip="10.99.0.6") == "10.99.0.6"
    for ip, words in (("10.99.0.6", "already in use"), ("10.99.0.1", "reserved"), ("10.99.0.7", "reserved"),
                      ("10.98.0.2", "not in network n's subnet")):
        with pytest.raises(HutchError, match=words):
            leases.allocate("n", net, "other", gateway="10.99.0.1", ip=ip)
    assert leases.allocate("n", net, "c7", gateway="10.99.0.1") == "10.99.0.5"
    with pytest.raises(HutchError, match=r"no address left in network n \(10.99.0.0/29\)"):
        leases.allocate("n", net, "c6", gateway="10.99.0.1")
    # c0 no longer exists (a crash between its lease and its record): its address is taken back
    assert leases.allocate("n", net, "c6", gateway="10.99.0.1", exists=lambda c: c != "c0") == "10.99.0.2"
    assert json.loads((tmp_path / "n.json").read_text())["10.99.0.2"] == "c6"
    ranged = leases.allocate("r", Subnet("10.77.0.0/16"), "x", ip_range=Subnet("10.77.5.0/24"))
    assert ranged == "10.77.5.0"
    leases.forget("n")
    assert leases.leased("n") == {}


def test_two_processes_never_share_an_address(tmp_path: Path) -> None:
    code = ("import sys\nfrom hutch.network.ipam import Leases, Subnet\n"
            "l = Leases(sys.argv[1])\n"
            "print(*(l.allocate('n', Subnet('10.66.0.0/24'), f'{sys.argv[2]}-{i}', gateway='10.66.0.1')"
            " for i in range(20)))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(k)], stdout=subprocess.PIPE,
                              text=True) for k in range(4)]
    got = [ip for p in procs for ip in p.communicate()[0].split()]
    assert all(p.returncode == 0 for p in procs)
    assert len(got) == 80 and len(set(got)) == 80
    assert len(Leases(str(tmp_path)).leased("n")) == 80


def test_ipv6_subnets_and_the_ula_of_a_network() -> None:
    s = Subnet("fd00:77::/64")
    assert (str(s), s.nth(1), s.prefix) == ("fd00:77::/64", "fd00:77::1", 64)
    assert "fd00:77::ffff:1" in s and "fd00:78::1" not in s and "10.0.0.1" not in s
    assert not s.overlaps(Subnet("10.0.0.0/8")) and s.overlaps(Subnet("fd00::/16"))
    with pytest.raises(HutchError, match=r"host bits set \(the network is fd00:77::/64\)"):
        Subnet("fd00:77::1/64")
    assert canonical("FD00:0077:0000::0002") == "fd00:77::2" and canonical("10.1.2.3") == "10.1.2.3"
    nid = "4c73bf035d6ed2812f21f8139438925739bf258ab1f74b813e794bf24ee1e406"
    assert str(ula_subnet(nid)) == "fd4c:73bf:35d:6ed2::/64"  # fd, 40 bits of global id, 16 of subnet id
    assert str(ula_subnet("00" * 32)) == "fd00::/64"
    assert ula_subnet(nid) != ula_subnet("5" + nid[1:])
    for bad in ("short", "zz" * 32):
        with pytest.raises(HutchError, match="invalid network id"):
            ula_subnet(bad)


def test_ipv6_leases_beside_the_ipv4_ones(tmp_path: Path) -> None:
    leases = Leases(str(tmp_path))
    v4, v6 = Subnet("10.99.0.0/24"), Subnet("fd00:99::/64")
    assert leases.allocate("n", v4, "c1", gateway="10.99.0.1") == "10.99.0.2"
    assert leases.allocate("n", v6, "c1", gateway="fd00:99::1") == "fd00:99::2"  # ::1 the gateway
    assert leases.allocate("n", v6, "c2", gateway="fd00:99::1") == "fd00:99::3"
    # asked for in another spelling: one text per address, so the lease is found
    assert leases.allocate("n", v6, "c3", gateway="fd00:99::1", ip="FD00:99:0::0050") == "fd00:99::50"
    with pytest.raises(HutchError, match="already in use in network front"):
        leases.allocate("n", v6, "c4", gateway="fd00:99::1", ip="fd00:99::50", name="front")
    with pytest.raises(HutchError, match="reserved"):
        leases.allocate("n", v6, "c4", gateway="fd00:99::1", ip="fd00:99::1")
    with pytest.raises(HutchError, match=r"not in network n's subnet fd00:99::/64"):
        leases.allocate("n", v6, "c4", gateway="fd00:99::1", ip="fd00:98::5")
    ranged = leases.allocate("n", v6, "c5", gateway="fd00:99::1", ip_range=Subnet("fd00:99::8:0/112"))
    assert ranged == "fd00:99::8:0"
    assert leases.leased("n") == {"10.99.0.2": "c1", "fd00:99::2": "c1", "fd00:99::3": "c2",
                                  "fd00:99::50": "c3", "fd00:99::8:0": "c5"}
    leases.release("n", "c1")  # both families at once (the teardown's one call)
    assert sorted(leases.leased("n")) == ["fd00:99::3", "fd00:99::50", "fd00:99::8:0"]
