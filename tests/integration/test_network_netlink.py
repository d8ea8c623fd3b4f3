"""hutch.network.netlink against the kernel: a bridge, a veth pair into another namespace,
addresses, a default route, hairpin; checked with iproute2 and a ping.

Everything happens in namespaces the test makes: ``unshare -n`` is "the host" (a network
namespace of its own), and a ``sleep`` it starts in one more is the container's. Traffic goes
only between those two; nothing is named under /run/netns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

SCRIPT = textwrap.dedent("""
    import json, os, subprocess, time
    from hutch.network.netlink import IFA_F_NODAD, Netlink, open_in

    me = os.readlink("/proc/self/ns/net")
    box = subprocess.Popen(["unshare", "-n", "sleep", "60"])
    NS = f"/proc/{box.pid}/ns/net"
    while os.readlink(NS) == me:  # (unshare has not unshared yet)
        time.sleep(0.01)

    def ip(*args, netns=None):
        pre = ["nsenter", f"--net={NS}"] if netns else []
        return json.loads(subprocess.run([*pre, "ip", "-j", "-d", *args], check=True,
                                         capture_output=True, text=True).stdout)

    with Netlink() as nl:
        assert nl.index("hutch-nope") == 0
        br = nl.add_bridge("hutch-t0")
        try:
            nl.add_bridge("hutch-t0")
            raise SystemExit("a second bridge of one name")
        except FileExistsError:
            pass
        nl.add_address(br, "10.99.0.1", 24)
        nl.add_address(br, "fd00:99::1", 64, IFA_F_NODAD)
        nl.set_up(br)
        fd = os.open(NS, os.O_RDONLY)
        host = nl.add_veth("hutch-v0", "hutch-p0", fd)
        os.close(fd)
        nl.set_master(host, br)
        nl.set_hairpin(host)
        nl.set_up(host)
    with open_in(NS) as c:
        i = c.index("hutch-p0")
        c.set_name(i, "eth0")
        c.set_address(i, "02:42:0a:63:00:02")
        c.add_address(i, "10.99.0.2", 24)
        c.add_address(i, "fd00:99::2", 64, IFA_F_NODAD)
        c.set_up(i)
        c.set_up(c.index("lo"))
        c.add_route("10.99.0.1")
        c.add_route("fd00:99::1")
    assert Netlink().index("eth0") == 0  # the socket was made there; this process never moved
    ping = subprocess.run(["busybox", "ping", "-c", "1", "-W", "2", "10.99.0.2"], capture_output=True)
    ping6 = subprocess.run(["busybox", "ping", "-6", "-c", "1", "-W", "2", "fd00:99::2"], capture_output=True)
    out = {"veth": ip("link", "show", "hutch-v0")[0],
           "eth0": ip("addr", "show", "eth0", netns=True)[0],
           "routes": ip("route", netns=True),
           "routes6": ip("-6", "route", "show", "default", netns=True),
           "ping": ping.returncode, "ping6": ping6.returncode}
    with Netlink() as nl:
        nl.delete(nl.index("hutch-v0"))
        nl.delete(999999)  # gone already: no error
    out["after"] = [l["ifname"] for l in ip("link", "show", netns=True)]
    box.kill()
    box.wait()
    print(json.dumps(out))
""")


def test_a_bridge_and_a_veth_into_another_namespace() -> None:
    r = subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" -c "$1"',
                        sys.executable, SCRIPT], capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    veth = out["veth"]
    assert veth["master"] == "hutch-t0" and "UP" in veth["flags"]
    assert veth["linkinfo"]["info_slave_data"]["hairpin"] is True
    eth0 = out["eth0"]
    assert eth0["address"] == "02:42:0a:63:00:02" and "UP" in eth0["flags"]
    inet = [(a["local"], a["prefixlen"]) for a in eth0["addr_info"] if a["family"] == "inet"]
    assert inet == [("10.99.0.2", 24)]
    assert {"dst": "default", "gateway": "10.99.0.1"}.items() <= out["routes"][0].items()
    assert out["ping"] == 0
    inet6 = [(a["local"], a["prefixlen"], a.get("nodad")) for a in eth0["addr_info"]
             if a["family"] == "inet6" and a["scope"] == "global"]
    assert inet6 == [("fd00:99::2", 64, True)]  # usable at once: no duplicate address detection
    assert {"dst": "default", "gateway": "fd00:99::1"}.items() <= out["routes6"][0].items()
    assert out["ping6"] == 0
    assert out["after"] == ["lo"]  # deleting the host's end took the peer with it
