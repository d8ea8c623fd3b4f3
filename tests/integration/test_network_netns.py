"""hutch.network.netns: a network namespace on a file, made and removed by hutch, inside a
private mount namespace and a network namespace that the test makes."""

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
    import json, os, subprocess, sys, time
    from hutch.network import netns
    from hutch.network.netlink import Netlink, open_in

    path = sys.argv[1] + "/netns/c1"
    me = os.readlink("/proc/self/ns/net")
    netns.create(path)
    out = {"same": os.readlink("/proc/self/ns/net") == me, "is_ns": netns.is_namespace(path)}
    try:
        netns.create(path)
        out["twice"] = "made"
    except FileExistsError:
        out["twice"] = "refused"
    with open_in(path) as c:
        out["lo_there"] = c.index("lo") > 0
    fd = os.open(path, os.O_RDONLY)
    with Netlink() as nl:
        nl.add_veth("hutch-v1", "eth0", fd)
    os.close(fd)
    ip = subprocess.run(["nsenter", f"--net={path}", "ip", "-j", "link"], capture_output=True, text=True)
    out["inside"] = sorted(l["ifname"] for l in json.loads(ip.stdout))
    netns.remove(path)
    netns.remove(path)  # again: no error
    out["after"] = os.path.exists(path)
    with Netlink() as nl:  # the namespace ends (the kernel takes it apart a moment later), eth0 with it
        deadline = time.monotonic() + 5
        while nl.index("hutch-v1") and time.monotonic() < deadline:
            time.sleep(0.02)
        out["veth_gone"] = nl.index("hutch-v1") == 0
    print(json.dumps(out))
""")


def test_a_namespace_on_a_file(tmp_path: Path) -> None:
    r = subprocess.run(["unshare", "-n", "-m", "--propagation", "private", sys.executable, "-c", SCRIPT,
                        str(tmp_path)], capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out == {"same": True, "is_ns": True, "twice": "refused", "lo_there": True,
                   "inside": ["eth0", "lo"], "after": False, "veth_gone": True}
