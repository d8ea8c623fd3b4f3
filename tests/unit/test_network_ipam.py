"""hutch.network.ipam: subnets, and leases that two processes never share."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hutch.errors import HutchError
from hutch.network.ipam import Leases, Subnet


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
