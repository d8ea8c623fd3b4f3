"""Parts of the init's work that need no container: which mounts are made read-only late,
and the stdio owner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hutch._sys import consts as C
from hutch.init import rootfs


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
