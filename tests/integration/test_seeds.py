"""The seed tutorials' demos, done with hutch-runtime containers (see ../shared/seeds)."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

pytestmark = pytest.mark.root


def test_ipc_namespace_hides_the_hosts_message_queues(runtime: Any, bundle: Any,
                                                      unique_id: Any) -> None:
    """Seed 002: `ipcmk -Q` on one side, `ipcs -q` on the other sees nothing."""
    out = subprocess.run(["ipcmk", "-Q"], capture_output=True, text=True, check=True).stdout
    qid = out.split()[-1]
    try:
        bundle.config["process"]["args"] = ["sh", "-c", "cat /proc/sysvipc/msg | wc -l; "
                                            "readlink /proc/self/ns/ipc"]
        bundle.write()
        r = runtime("run", "--bundle", str(bundle.path), unique_id())
        lines = r.stdout.split()
        assert lines[0] == "1", "only the header line: no queue of the host's"
        assert lines[1] != os.readlink("/proc/self/ns/ipc")
        with open("/proc/sysvipc/msg") as f:
            assert any(line.split()[1] == qid for line in f.readlines()[1:] if line.strip())
    finally:
        subprocess.run(["ipcrm", "-q", qid], check=False)


def test_nsenter_into_a_running_container(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """Seed 000: nsenter enters another process's namespaces (here: a hutch container's)."""
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.config["hostname"] = "seed-box"
    bundle.write()
    cid = unique_id()
    runtime("run", "--detach", "--bundle", str(bundle.path), cid)
    try:
        pid = json.loads(runtime("state", cid).stdout)["pid"]
        r = subprocess.run(["nsenter", "-t", str(pid), "-u", "-p", "-m", "-n", "-i", "--",
                            "/bin/sh", "-c", "hostname; ls /sys/class/net; ps -o pid,comm"],
                           capture_output=True, text=True, timeout=30, check=True)
        lines = r.stdout.split("\n")
        assert lines[0] == "seed-box" and lines[1] == "lo"
        assert "1 sleep" in " ".join(r.stdout.split())
    finally:
        runtime("delete", "--force", cid)


def test_ns_links_have_distinct_inodes(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """Seed 001: /proc/PID/ns/* links name namespaces by inode; a container's differ."""
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.config["process"]["args"] = ["sh", "-c", "stat -L -c '%n %i' /proc/self/ns/*"]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), unique_id())
    inside = dict(line.rsplit(" ", 1) for line in r.stdout.splitlines())
    for name in ("cgroup", "ipc", "mnt", "net", "pid", "time", "uts"):
        host = os.stat(f"/proc/self/ns/{name}").st_ino
        assert int(inside[f"/proc/self/ns/{name}"]) != host, name
    assert int(inside["/proc/self/ns/user"]) == os.stat("/proc/self/ns/user").st_ino


def test_proc_and_sys_of_the_container(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """Seed 004: a chrooted/pivoted root with its own /proc: ps shows only the container."""
    bundle.config["process"]["args"] = ["sh", "-c", "ps -o pid,comm | tail -n +2 | wc -l; "
                                        "ls /proc | grep -c '^[0-9]'; test -d /sys/kernel && echo sys"]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), unique_id())
    counts = r.stdout.split()
    assert int(counts[0]) <= 4 and int(counts[1]) <= 5  # sh, ps, tail, wc
    assert counts[2] == "sys"
