"""How a container sees its cgroups: with a cgroup namespace its own cgroup is `/`, and
the cgroup filesystem at /sys/fs/cgroup shows its own slice only (v1: one bind per
hierarchy; v2: a cgroup2 mount in its namespace), read-only, in both cases."""

from __future__ import annotations

import os
from typing import Any

import pytest

from hutch.cgroups import V2, detect_mode

pytestmark = [pytest.mark.root, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]

SCRIPT = (
    "cat /proc/self/cgroup; echo ---; "
    "for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/*/cgroup.procs; do "
    "  [ -e $f ] && echo \"$f: $(cat $f | tr '\\n' ' ')\"; done; echo ---; "
    "ls /sys/fs/cgroup /sys/fs/cgroup/* | grep -c -e hutch -e process_api; "
    "touch /sys/fs/cgroup/hutch-x 2>&1 | grep -c 'Read-only'"
)


def _run(runtime: Any, bundle: Any, cid: str,
         cgroupns: bool) -> tuple[list[str], dict[str, list[int]], list[str]]:
    if not cgroupns:
        bundle.config["linux"]["namespaces"] = [
            n for n in bundle.config["linux"]["namespaces"] if n["type"] != "cgroup"]
    bundle.config["process"]["args"] = ["sh", "-c", SCRIPT]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), cid, check=False)
    assert r.returncode == 0, r.stderr
    cgroup, procs, tail = r.stdout.split("---\n")
    lists = {}
    for line in procs.splitlines():
        name, _, pids = line.partition(": ")
        lists[name] = [int(p) for p in pids.split()]
    return cgroup.split(), lists, tail.split()


@pytest.mark.parametrize("cgroupns", [True, False], ids=["cgroupns", "host-cgroupns"])
def test_container_sees_only_its_own_cgroup(runtime: Any, bundle: Any, unique_id: Any,
                                            cgroupns: bool) -> None:
    cid = unique_id()
    lines, procs, (named, readonly) = _run(runtime, bundle, cid, cgroupns)
    paths = {line.split(":", 2)[2] for line in lines}
    if cgroupns:
        assert paths == {"/"}, lines
    else:
        assert paths == {f"/hutch/{cid}"}, lines
    assert procs, "no cgroup.procs visible under /sys/fs/cgroup"
    for name, pids in procs.items():
        # the container's init (pid 1 in its pid namespace) sits right in this cgroup:
        # the directory is the container's own, not an ancestor
        assert 1 in pids, f"{name}: {pids}"
    if detect_mode() == V2:
        assert "/sys/fs/cgroup/cgroup.procs" in procs
    else:
        assert "/sys/fs/cgroup/memory/cgroup.procs" in procs
    assert named == "0", "the host's cgroup tree is visible"
    assert readonly == "1", "/sys/fs/cgroup is writable"
