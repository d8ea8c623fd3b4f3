"""Parts of the init's work that need no container: which mounts are made read-only late,
which host mounts --no-pivot takes away, when the runtime opens bind sources (and how they
travel), and the stdio owner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hutch._sys import consts as C
from hutch.init import rootfs
from hutch.process import mountsrc, sync

MOUNTINFO = r"""22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
25 24 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:3 - tmpfs tmpfs ro,mode=755
26 22 0:21 /sys /mnt/procsys rw,relatime shared:12 - proc proc rw
27 22 0:21 / /srv/my\040proc rw,relatime - proc proc rw
28 22 0:30 / /bundle/rootfs rw,relatime - ext4 /dev/sda2 rw
29 28 0:31 / /bundle/rootfs/proc rw,relatime - proc proc rw
30 28 0:32 / /bundle/rootfs/sys rw,relatime - sysfs sysfs rw
31 22 0:33 / /bundle/rootfs2/proc rw,relatime - proc proc rw
32 22 0:34 / /run/user/0 rw,relatime shared:9 - tmpfs tmpfs rw,mode=700
"""


def test_host_proc_sys_mounts(tmp_path: Path) -> None:
    """Full (root "/") proc and sysfs mounts outside the rootfs, in mountinfo's order; a bind
    of a subdirectory (26) is no full mount, the rootfs's own are the container's."""
    info = tmp_path / "mountinfo"
    info.write_text(MOUNTINFO)
    got = rootfs.host_proc_sys_mounts("/bundle/rootfs/", str(info))
    assert got == ["/proc", "/sys", "/srv/my proc", "/bundle/rootfs2/proc"]


def test_host_proc_sys_mounts_of_this_process() -> None:
    assert "/proc" in rootfs.host_proc_sys_mounts("/nonexistent-rootfs/")


@pytest.mark.parametrize("field, path", [
    ("/plain", "/plain"),
    (r"/a\040b", "/a b"),
    (r"/t\011n\012", "/t\tn\n"),
    (r"/back\134slash", "/back\\slash"),
    (r"/lit\134040", "/lit\\040"),
])
def test_mountinfo_unescape(field: str, path: str) -> None:
    assert rootfs._unescape(field) == path


def mount(dest: str, fstype: str, flags: int = 0, bind: bool = False) -> Any:
    return {"dest": dest, "type": "bind" if bind else fstype, "source": "", "flags": flags, "clear": 0,
            "propagation": [], "rec_set": 0, "rec_clear": 0, "data": "", "bind": bind, "extensions": []}


def test_delays_readonly() -> None:
    """runc's mountPropagate: tmpfs and /dev are mounted read-write, made read-only last."""
    assert rootfs.delays_readonly(mount("/dev", "tmpfs", C.MS_RDONLY))
    assert rootfs.delays_readonly(mount("/dev/", "devtmpfs"))
    assert rootfs.delays_readonly(mount("/mnt", "tmpfs"))
    assert not rootfs.delays_readonly(mount("/proc", "proc"))
    assert not rootfs.delays_readonly(mount("/dev", "", C.MS_BIND, bind=True))
    assert not rootfs.delays_readonly(mount("/sys", "sysfs", C.MS_RDONLY))


def plan(namespaces: int, userns: bool = False, join: str = "", binds: bool = True) -> Any:
    mounts = [mount("/proc", "proc")] + ([mount("/data", "", C.MS_BIND, bind=True)] if binds else [])
    return {"userns": userns, "join_userns": join, "new_ns_flags": namespaces, "mounts": mounts}


def test_mount_sources_wanted() -> None:
    """Only a user namespace with a new mount namespace and a bind needs them (runc's
    shouldSendMountSources)."""
    assert mountsrc.wanted(plan(C.CLONE_NEWNS | C.CLONE_NEWUSER, userns=True))
    assert mountsrc.wanted(plan(C.CLONE_NEWNS, join="/proc/1/ns/user"))
    assert not mountsrc.wanted(plan(C.CLONE_NEWNS))
    assert not mountsrc.wanted(plan(C.CLONE_NEWUSER, userns=True))
    assert not mountsrc.wanted(plan(C.CLONE_NEWNS | C.CLONE_NEWUSER, userns=True, binds=False))


def test_mount_sources_protocol() -> None:
    """stage1 asks, the runtime answers with one fd per bind, stage1 gets them by index."""
    a, b = sync.socketpair()
    null = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
    try:
        sync.send_with_fds(a, sync.MOUNT_SOURCE, [null], index=2)
        sync.send(a, sync.MOUNT_SOURCES_DONE)
        fds = mountsrc.receive(b, 3)
        assert sync.expect(a, sync.MOUNT_SOURCES)["type"] == sync.MOUNT_SOURCES
        assert fds[:2] == [-1, -1] and fds[2] >= 0
        assert os.path.samestat(os.fstat(fds[2]), os.fstat(null))
        os.close(fds[2])
        # an index out of range is refused, and the fd that came with it closed
        sync.send_with_fds(a, sync.MOUNT_SOURCE, [null], index=3)
        with pytest.raises(ValueError, match="mount sources"):
            mountsrc.receive(b, 3)
    finally:
        for fd in (a, b, null):
            os.close(fd)


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_fix_stdio_owner(tmp_path: Path) -> None:
    """stdout (a file of root's) goes to the user, its group unchanged; /dev/null is left."""
    out = tmp_path / "out"
    out.write_text("")
    os.chown(out, 0, 7)
    with open(out, "w") as stdout, open(tmp_path / "err", "w") as stderr:
        subprocess.run([sys.executable, "-I", "-c",
                        "from hutch.init.creds import fix_stdio_owner; fix_stdio_owner(1234)"],
                       stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, check=True)
    st = out.stat()
    assert (st.st_uid, st.st_gid) == (1234, 7)
    assert os.stat("/dev/null").st_uid == 0
