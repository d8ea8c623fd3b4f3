"""`hutch network create|ls|inspect|rm|prune` (docker's verbs and output), each command in a
network namespace of the test's own (`network rm` deletes bridges and firewall elements)."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.root

HUTCH = REPO / ".venv" / "bin" / "hutch"


class NetHutch:
    def __init__(self, root: Path, runroot: str) -> None:
        self.root, self.runroot = root, runroot

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(["unshare", "-n", str(HUTCH), "--root", str(self.root), "--runroot",
                            self.runroot, *args], capture_output=True, text=True, timeout=60, check=False)
        if check and r.returncode != 0:
            raise AssertionError(f"hutch {' '.join(args)} exited {r.returncode}: {r.stderr}{r.stdout}")
        return r


@pytest.fixture
def h(tmp_path: Path) -> Iterator[NetHutch]:
    runroot = f"/run/hutch-nettest-{secrets.token_hex(4)}"
    try:
        yield NetHutch(tmp_path / "store", runroot)
    finally:
        shutil.rmtree(runroot, ignore_errors=True)


def test_network_verbs(h: NetHutch) -> None:
    table = h("network", "ls").stdout.splitlines()
    assert table[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    assert [line.split()[1:] for line in table[1:]] == [["bridge", "bridge", "local"],
                                                        ["host", "host", "local"], ["none", "null", "local"]]
    front = h("network", "create", "front").stdout.strip()
    assert len(front) == 64
    h("network", "create", "--subnet", "10.60.0.0/16", "--gateway", "10.60.0.254", "--ip-range",
      "10.60.7.0/24", "--internal", "-o", "com.docker.network.bridge.name=hutch-back", "-o", "mtu=1400",
      "--label", "a=b", "back")
    back = json.loads(h("network", "inspect", "back").stdout)[0]
    assert back["IPAM"]["Config"] == [{"Subnet": "10.60.0.0/16", "Gateway": "10.60.0.254",
                                       "IPRange": "10.60.7.0/24"}]
    assert back["Internal"] and back["Labels"] == {"a": "b"}
    assert back["Options"] == {"com.docker.network.bridge.name": "hutch-back",
                               "com.docker.network.driver.mtu": "1400"}
    assert json.loads(h("network", "inspect", front[:12]).stdout)[0]["Name"] == "front"
    assert h("network", "ls", "-q").stdout.split()[3:] == [front[:12], back["Id"][:12]]
    for args, words in ((["create", "front"], "network with name front already exists"),
                        (["create", "--subnet", "10.60.1.0/24", "x"], "Pool overlaps"),
                        (["create", "bridge"], "pre-defined"),
                        (["create", "-o", "colour=red", "x"], "unknown option"),
                        (["rm", "host"], "pre-defined"),
                        (["rm", "nope"], "network nope not found"),
                        (["inspect", "nope"], "network nope not found")):
        r = h("network", *args, check=False)
        assert r.returncode == 1 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r
    assert h("network", "rm", "front").stdout == "front\n"
    assert "Deleted Networks:\nback\n" in h("network", "prune", "-f").stdout
    names = [line.split()[1] for line in h("network", "ls").stdout.splitlines()[1:]]
    assert names == ["bridge", "host", "none"]
    assert h("network", "rm", "-f", "nope").returncode == 0
