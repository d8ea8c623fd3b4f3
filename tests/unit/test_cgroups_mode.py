"""Host cgroup mode detection from mountinfo text (no root, no real cgroupfs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hutch.cgroups import mode
from hutch.errors import CgroupError

# /proc/self/mountinfo of the Debian 12 dev VM (hybrid: v1 controllers + unified).
HOST_HYBRID = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""

# A systemd distribution's hybrid layout: co-mounted controllers, optional fields,
# mount flags among the super options, and a container's cgroup mounts elsewhere.
SYSTEMD_HYBRID = """\
24 30 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw
25 24 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate
27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid shared:10 - cgroup cgroup \
rw,xattr,name=systemd
28 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:11 - cgroup cgroup rw,cpu,cpuacct
29 25 0:27 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid shared:12 - cgroup cgroup \
rw,net_cls,net_prio
30 25 0:28 / /sys/fs/cgroup/cpuset rw,nosuid shared:13 - cgroup cgroup \
rw,cpuset,clone_children
31 25 0:29 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup cgroup rw,memory
32 25 0:30 / /sys/fs/cgroup/pids rw,nosuid shared:15 - cgroup cgroup \
rw,pids,release_agent=/bin/true
90 88 0:29 /docker/abc /var/lib/ctr/rootfs/sys/fs/cgroup/memory ro - cgroup cgroup rw,memory
"""

PURE_V2 = """\
24 30 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw
25 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 \
rw,nsdelegate,memory_recursiveprot
26 25 0:40 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd
"""


def keys(setup: mode.Setup) -> list[str]:
    return [h.key for h in setup.hierarchies]


def test_this_hosts_layout_is_hybrid_with_every_hierarchy() -> None:
    setup = mode.probe("/sys/fs/cgroup", HOST_HYBRID)
    assert setup.mode == "hybrid"
    assert keys(setup) == [
        "cpu",
        "cpuacct",
        "cpuset",
        "memory",
        "devices",
        "freezer",
        "blkio",
        "pids",
        "name=systemd",
        "unified",
    ]
    by_key = {h.key: h for h in setup.hierarchies}
    assert by_key["name=systemd"].mountpoint == "/sys/fs/cgroup/systemd"
    assert by_key["unified"].version == 2
    assert by_key["memory"].version == 1
    assert by_key["memory"].controllers == ("memory",)


def test_comounted_and_named_hierarchies_drop_mount_flags() -> None:
    setup = mode.probe("/sys/fs/cgroup/", SYSTEMD_HYBRID)
    assert setup.mode == "hybrid"
    assert setup.root == "/sys/fs/cgroup"
    by_key = {h.key: h for h in setup.hierarchies}
    assert set(by_key) == {
        "name=systemd",
        "cpu,cpuacct",
        "net_cls,net_prio",
        "cpuset",
        "memory",
        "pids",
        "unified",
    }
    assert by_key["cpu,cpuacct"].controllers == ("cpu", "cpuacct")
    assert by_key["cpu,cpuacct"].mountpoint == "/sys/fs/cgroup/cpu,cpuacct"
    assert by_key["name=systemd"].controllers == ("name=systemd",)
    # the container's bind mount of memory elsewhere is not the host's
    assert by_key["memory"].mountpoint == "/sys/fs/cgroup/memory"
    assert keys(setup)[-1] == "unified"


def test_legacy_without_unified() -> None:
    text = "".join(line + "\n" for line in HOST_HYBRID.splitlines() if "cgroup2" not in line)
    setup = mode.probe("/sys/fs/cgroup", text)
    assert setup.mode == "legacy"
    assert "unified" not in keys(setup)
    assert len(setup.hierarchies) == 9


def test_pure_v2_uses_only_the_unified_tree() -> None:
    setup = mode.probe("/sys/fs/cgroup", PURE_V2)
    assert setup.mode == "v2"
    assert [(h.key, h.mountpoint, h.version) for h in setup.hierarchies] == [("unified", "/sys/fs/cgroup", 2)]
    assert mode.detect_mode("/sys/fs/cgroup", PURE_V2) == "v2"


def test_v2_fallback_on_cgroup_controllers_file(tmp_path: Path) -> None:
    root = str(tmp_path)
    open(f"{root}/cgroup.controllers", "w").close()
    assert mode.detect_mode(root, "") == "v2"


def test_escaped_mountpoints() -> None:
    text = (
        "31 23 0:28 / /run/my\\040cg rw - tmpfs tmpfs rw\n"
        "32 31 0:29 / /run/my\\040cg/mem\\134ory rw - cgroup cgroup rw,memory\n"
    )
    setup = mode.probe("/run/my cg", text)
    assert setup.mode == "legacy"
    assert setup.hierarchies[0].mountpoint == "/run/my cg/mem\\ory"


def test_mounts_under_a_covered_root_are_ignored() -> None:
    # cgroup v1 mounted, then a fresh tmpfs mounted on top of /sys/fs/cgroup with
    # only a cgroup2 at unified: the old memory mount is no longer visible.
    text = HOST_HYBRID + (
        "50 31 0:50 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
        "51 50 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
    )
    setup = mode.probe("/sys/fs/cgroup", text)
    assert keys(setup) == ["unified"]
    assert setup.mode == "hybrid"


def test_malformed_lines_are_skipped() -> None:
    text = "garbage\n\n1 2 3\n" + HOST_HYBRID
    assert mode.detect_mode("/sys/fs/cgroup", text) == "hybrid"


def test_nothing_mounted_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CgroupError, match=r"^cgroup: no cgroup hierarchy is mounted at "):
        mode.probe(str(tmp_path), "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n")


def test_reads_proc_self_mountinfo_by_default() -> None:
    try:
        got = mode.detect_mode()
    except CgroupError:
        pytest.skip("no cgroup hierarchy mounted at /sys/fs/cgroup")
    assert got in mode.MODES
