"""hutch.network.bridge: two containers' namespaces on one bridge, as docker's bridge driver
joins them; in a network namespace and a private mount namespace that the test makes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

SCRIPT = textwrap.dedent("""
    import json, subprocess, sys
    from hutch.network import bridge, netns
    from hutch.network.ipam import Leases, Subnet
    from hutch.network.netlink import Netlink

    tmp = sys.argv[1]
    net = Subnet("10.98.0.0/24")
    br = bridge.Bridge("hutch-t1", net, net.nth(1))
    leases = Leases(tmp + "/leases")
    out = {}
    boxes = {}
    for name in ("c1", "c2"):
        path = f"{tmp}/netns/{name}"
        netns.create(path)
        ip = leases.allocate("t1", net, name, gateway=br.gateway)
        host = bridge.host_link_name(name * 32, "net1")
        bridge.attach(br, path, host, bridge.link_alias(name, "net1"), ip)
        boxes[name] = (path, host, ip)

    def inside(name, *argv):
        return subprocess.run(["nsenter", f"--net={boxes[name][0]}", *argv], capture_output=True, text=True)

    out["ips"] = [boxes["c1"][2], boxes["c2"][2]]
    out["c1_to_c2"] = inside("c1", "busybox", "ping", "-c", "1", "-W", "2", boxes["c2"][2]).returncode
    out["c2_to_gw"] = inside("c2", "busybox", "ping", "-c", "1", "-W", "2", br.gateway).returncode
    out["host_to_c1"] = subprocess.run(["busybox", "ping", "-c", "1", "-W", "2", boxes["c1"][2]],
                                       capture_output=True).returncode
    out["route"] = json.loads(inside("c1", "ip", "-j", "route").stdout)
    out["eth0"] = json.loads(inside("c1", "ip", "-j", "link", "show", "eth0").stdout)[0]["address"]
    out["ports"] = sorted(l["ifname"] for l in json.loads(subprocess.run(
        ["ip", "-j", "link", "show", "master", "hutch-t1"], capture_output=True, text=True).stdout))
    # a start killed after the veth: the next attach of the same container begins again
    path, host, ip = boxes["c1"]
    bridge.detach(host)
    netns.remove(path)
    netns.create(path)
    with Netlink() as nl:
        import os
        fd = os.open(path, os.O_RDONLY)
        nl.add_veth(host, "eth0", fd, 0, bridge.link_alias("c1", "net1"))
        os.close(fd)
    bridge.attach(br, path, host, bridge.link_alias("c1", "net1"), ip)
    out["again"] = inside("c1", "busybox", "ping", "-c", "1", "-W", "2", boxes["c2"][2]).returncode
    try:  # another container's link by that name: never deleted
        bridge.attach(br, boxes["c2"][0], host, bridge.link_alias("c9", "net1"), "10.98.0.99")
        out["taken"] = "deleted"
    except FileExistsError as err:
        out["taken"] = str(err)
    for name, (path, host, ip) in boxes.items():
        bridge.detach(host)
        bridge.detach(host)
        netns.remove(path)
        leases.release("t1", name)
    with Netlink() as nl:
        out["ports_after"] = subprocess.run(["ip", "-j", "link", "show", "master", "hutch-t1"],
                                            capture_output=True, text=True).stdout.strip()
        bridge.remove_bridge(nl, "hutch-t1")
        bridge.remove_bridge(nl, "hutch-t1")
        out["bridge_after"] = nl.index("hutch-t1")
    print(json.dumps(out))
""")


def test_two_containers_on_a_bridge(tmp_path: Path) -> None:
    r = subprocess.run(["unshare", "-n", "-m", "--propagation", "private", "sh", "-c",
                        'ip link set lo up && exec "$0" -c "$1" "$2"', sys.executable, SCRIPT, str(tmp_path)],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["ips"] == ["10.98.0.2", "10.98.0.3"]
    assert (out["c1_to_c2"], out["c2_to_gw"], out["host_to_c1"], out["again"]) == (0, 0, 0, 0)
    assert {"dst": "default", "gateway": "10.98.0.1"}.items() <= out["route"][0].items()
    assert out["eth0"] == "02:42:0a:62:00:02"
    assert len(out["ports"]) == 2 and all(p.startswith("hutch") and len(p) == 15 for p in out["ports"])
    assert "is taken" in out["taken"]
    assert out["ports_after"] in ("", "[]") and out["bridge_after"] == 0
