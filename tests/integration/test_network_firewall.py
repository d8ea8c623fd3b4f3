"""hutch.network.firewall with the kernel: published ports (TCP and UDP; on every host address,
on 127.0.0.1 only; from the host, from "outside", and hairpin from the container itself),
masquerade to the outside, an internal network with no way out, conflicts, and removal.

All in namespaces the test makes: ``unshare -n -m`` is "the host" (its own nftables ruleset,
sysctls and links), an "outside" namespace joined to it by a veth stands for the internet, and
the containers' namespaces hang off the host's bridges. No packet leaves them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

SERVE = """
import socket, sys, threading
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(8)
    while True:
        c, peer = s.accept(); c.sendall(f"hello from {sys.argv[3]}, you are {peer[0]}".encode()); c.close()
def udp():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", int(sys.argv[2])))
    while True:
        data, peer = u.recvfrom(100); u.sendto(b"echo " + data, peer)
threading.Thread(target=udp, daemon=True).start()
tcp()
"""

SCRIPT = textwrap.dedent(r"""
    import json, os, socket, subprocess, sys, time
    from hutch.network import bridge, firewall, netns
    from hutch.network.firewall import Port
    from hutch.network.ipam import Subnet
    from hutch.network.netlink import Netlink, open_in

    tmp = sys.argv[1]
    SERVE = sys.argv[2]
    procs = []

    def serve(ns, tcp_port, udp_port, name):
        p = subprocess.Popen(["nsenter", f"--net={ns}", sys.executable, "-c", SERVE, str(tcp_port),
                              str(udp_port), name])
        procs.append(p)

    def in_ns(ns, code):
        pre = ["nsenter", f"--net={ns}"] if ns else []
        r = subprocess.run([*pre, sys.executable, "-c", code], capture_output=True, text=True, timeout=10)
        return r.stdout.strip() or ("ERR " + r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "")

    def tcp(ns, ip, port):
        return in_ns(ns, f"import socket\ns = socket.create_connection(({ip!r}, {port}), timeout=2)\n"
                         "print(s.recv(100).decode())")

    def udp(ns, ip, port):
        return in_ns(ns, "import socket\nu = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                         f"u.settimeout(2)\nu.sendto(b'ping', ({ip!r}, {port}))\nprint(u.recv(100).decode())")

    out = {}
    try:
        # the outside: 10.201.0.2, one veth away from the host's 10.201.0.1
        outside = tmp + "/netns/outside"
        netns.create(outside)
        with Netlink() as nl:
            fd = os.open(outside, os.O_RDONLY)
            pub = nl.add_veth("hutch-pub", "eth0", fd)
            os.close(fd)
            nl.add_address(pub, "10.201.0.1", 24)
            nl.set_up(pub)
        with open_in(outside) as o:
            i = o.index("eth0")
            o.add_address(i, "10.201.0.2", 24)
            o.set_up(i)
            o.set_up(o.index("lo"))
        serve(outside, 7000, 7001, "outside")

        firewall.ensure_table()
        net = Subnet("10.97.0.0/24")
        br = bridge.Bridge("hutch-t2", net, net.nth(1))
        c1 = tmp + "/netns/c1"
        netns.create(c1)
        bridge.attach(br, c1, "hutch-c1", "hutch c1 t2", "10.97.0.2")
        firewall.add_network(str(net), internal=False)
        firewall.enable_forwarding("hutch-t2")
        serve(c1, 80, 53, "c1")

        inet = Subnet("10.96.0.0/24")
        ibr = bridge.Bridge("hutch-t3", inet, inet.nth(1), internal=True)
        c2 = tmp + "/netns/c2"
        netns.create(c2)
        bridge.attach(ibr, c2, "hutch-c2", "hutch c2 t3", "10.96.0.2")
        firewall.add_network(str(inet), internal=True)
        with open_in(c2) as c:  # a way out it should not have: the firewall still drops it
            c.add_route("10.96.0.1")

        ports = [Port("", 8080, "tcp", "10.97.0.2", 80), Port("", 8053, "udp", "10.97.0.2", 53),
                 Port("127.0.0.1", 9090, "tcp", "10.97.0.2", 80)]
        firewall.publish(ports)
        time.sleep(0.3)  # the servers start
        out["localhost"] = tcp(None, "127.0.0.1", 8080)
        out["host_address"] = tcp(None, "10.201.0.1", 8080)
        out["from_outside"] = tcp(outside, "10.201.0.1", 8080)
        out["hairpin"] = tcp(c1, "10.201.0.1", 8080)
        out["udp_localhost"] = udp(None, "127.0.0.1", 8053)
        out["udp_outside"] = udp(outside, "10.201.0.1", 8053)
        out["bound_localhost"] = tcp(None, "127.0.0.1", 9090)
        out["bound_elsewhere"] = tcp(None, "10.201.0.1", 9090)
        out["to_outside"] = tcp(c1, "10.201.0.2", 7000)
        out["internal_out"] = tcp(c2, "10.201.0.2", 7000)
        try:
            firewall.publish([Port("", 8080, "tcp", "10.97.0.9", 80), Port("", 8081, "tcp", "10.97.0.9", 80)])
            out["conflict"] = "published"
        except firewall.PortTaken as err:
            out["conflict"] = str(err)
        out["all_or_none"] = tcp(None, "127.0.0.1", 8081)
        firewall.unpublish([Port("", 8080, "tcp", "10.97.0.99", 80)])  # not its container's: stays
        out["still"] = tcp(None, "127.0.0.1", 8080)
        firewall.unpublish(ports)
        firewall.unpublish(ports)
        out["after"] = tcp(None, "127.0.0.1", 8080)
        firewall.remove_network(str(net))
        firewall.remove_network(str(inet))
        firewall.remove_table()
        firewall.remove_table()
        out["ruleset"] = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout
    finally:
        for p in procs:
            p.kill()
            p.wait()
    print(json.dumps(out))
""")


def test_published_ports_nat_and_isolation(tmp_path: Path) -> None:
    r = subprocess.run(["unshare", "-n", "-m", "--propagation", "private", "sh", "-c",
                        'ip link set lo up && exec "$0" -c "$1" "$2" "$3"', sys.executable, SCRIPT,
                        str(tmp_path), SERVE],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["localhost"].startswith("hello from c1")
    assert out["host_address"].startswith("hello from c1")
    assert out["from_outside"] == "hello from c1, you are 10.201.0.2"  # DNAT'ed, not masqueraded
    assert out["hairpin"].startswith("hello from c1")
    assert out["udp_localhost"] == "echo ping" and out["udp_outside"] == "echo ping"
    assert out["bound_localhost"].startswith("hello from c1")
    assert out["bound_elsewhere"].startswith("ERR") and "refused" in out["bound_elsewhere"]
    assert out["to_outside"] == "hello from outside, you are 10.201.0.1"  # masqueraded
    assert out["internal_out"].startswith("ERR")
    assert "already allocated" in out["conflict"]
    assert out["all_or_none"].startswith("ERR")  # 8081 was in the refused transaction
    assert out["still"].startswith("hello from c1")
    assert out["after"].startswith("ERR")
    assert out["ruleset"].strip() == ""
