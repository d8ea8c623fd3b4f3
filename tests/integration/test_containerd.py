"""containerd (Debian's 1.6, its runc shim v2) drives hutch-runtime in runc's place.

A private containerd: its own root, state and socket (hutch-ctrd-*), the CRI plugin off, and
containers in new network namespaces with no interfaces but lo. `ctr run --runc-binary` makes
the shim call hutch-runtime exactly as it calls runc (with --root, --log log.json
--log-format json, create/start/state/kill/delete/exec/ps).
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import stop, unmount_under, wait_until
from tests.support.leaks import cgroup_dirs
from tests.support.ociimage import build_oci_archive

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(shutil.which("containerd") is None or shutil.which("ctr") is None,
                       reason="containerd is not installed"),
]

IMAGE = "localhost/hutch-busybox:latest"
CONFIG = """\
version = 2
root = "{root}"
state = "{state}"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{state}/containerd.sock"
[ttrpc]
  address = "{state}/containerd.sock.ttrpc"
"""


class Ctr:
    def __init__(self, state: str, runtime: str) -> None:
        self.address = f"{state}/containerd.sock"
        # the shim passes --root only when given one; hutch-runtime's default is /run/hutch
        self.runc = ["--runc-binary", runtime, "--runc-root", f"{state}/hutch-runtime"]

    def __call__(self, *args: str, check: bool = True, timeout: float = 60) -> Any:
        r = subprocess.run(["ctr", "--address", self.address, "-n", "hutch", *args],
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, check=False)
        if check and r.returncode != 0:
            raise AssertionError(f"ctr {' '.join(args)}: exit {r.returncode}: {r.stderr}")
        return r


@pytest.fixture
def ctr(tmp_path: Path, rootfs_template: Path, hutch_runtime_bin: Any) -> Iterator[Ctr]:
    tag = f"hutch-ctrd-{secrets.token_hex(3)}"
    root, state = f"/var/lib/{tag}", f"/run/{tag}"
    conf = tmp_path / "containerd.toml"
    conf.write_text(CONFIG.format(root=root, state=state))
    daemon = subprocess.Popen(["containerd", "--config", str(conf)], stdout=subprocess.DEVNULL,
                              stderr=open(tmp_path / "containerd.log", "w"))  # noqa: SIM115
    c = Ctr(state, str(hutch_runtime_bin))
    try:
        wait_until(lambda: c("version", check=False).returncode == 0, daemon,
                   str(tmp_path / "containerd.log"), "containerd")
        archive = tmp_path / "image.tar"
        build_oci_archive(rootfs_template, archive, IMAGE)
        c("image", "import", str(archive))
        yield c
    finally:
        for line in c("task", "ls", "-q", check=False).stdout.split():
            c("task", "kill", "-s", "SIGKILL", line, check=False)
            c("task", "delete", "--force", line, check=False)
        for line in c("container", "ls", "-q", check=False).stdout.split():
            c("container", "delete", line, check=False)
        stop(daemon)
        unmount_under(tag)
        for d in (root, state):
            shutil.rmtree(d, ignore_errors=True)


def test_ctr_run_rm(ctr: Ctr) -> None:
    cid = f"hutch-ctr-{secrets.token_hex(3)}"
    r = ctr("run", "--rm", *ctr.runc, IMAGE, cid, "sh", "-c",
            "echo hello; echo pid=$$; ls /sys/class/net", check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["hello", "pid=1", "lo"]


def test_ctr_exit_status(ctr: Ctr) -> None:
    cid = f"hutch-ctr-{secrets.token_hex(3)}"
    r = ctr("run", "--rm", *ctr.runc, IMAGE, cid, "sh", "-c", "exit 5",
            check=False)
    assert r.returncode == 5, r.stderr


def test_ctr_detached_exec_ps_kill(ctr: Ctr) -> None:
    cid = f"hutch-ctr-{secrets.token_hex(3)}"
    ctr("run", "-d", *ctr.runc, IMAGE, cid, "sleep", "1000")
    assert "RUNNING" in ctr("task", "ls").stdout
    r = ctr("task", "exec", "--exec-id", "e1", cid, "sh", "-c", "echo exec-ok; ps -o pid,comm")
    assert "exec-ok" in r.stdout and "1 sleep" in " ".join(r.stdout.split())
    pids = ctr("task", "ps", cid).stdout.split()
    assert len(pids) >= 3  # header, the init
    ctr("task", "kill", "-s", "SIGKILL", cid)
    deadline = time.monotonic() + 10
    while "STOPPED" not in ctr("task", "ls").stdout:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    ctr("task", "delete", cid)
    ctr("container", "delete", cid)
    assert not cgroup_dirs(cid)


def test_ctr_create_failure_reaches_the_user(ctr: Ctr) -> None:
    """The shim reports the last line of log.json: hutch-runtime's one-line error."""
    cid = f"hutch-ctr-{secrets.token_hex(3)}"
    r = ctr("run", "--rm", *ctr.runc, IMAGE, cid, "no-such-program",
            check=False)
    assert r.returncode != 0
    assert "no-such-program" in r.stderr and "not found" in r.stderr
    ctr("container", "delete", cid, check=False)


def test_ctr_pause_resume(ctr: Ctr) -> None:
    """The shim's pause/resume call `hutch-runtime pause|resume ID`; `task ls` shows the freezer."""
    cid = f"hutch-ctr-{secrets.token_hex(3)}"
    ctr("run", "-d", *ctr.runc, IMAGE, cid, "sleep", "1000")
    ctr("task", "pause", cid)
    assert "PAUSED" in ctr("task", "ls").stdout
    ctr("task", "resume", cid)
    assert "RUNNING" in ctr("task", "ls").stdout
    ctr("task", "pause", cid)
    ctr("task", "kill", "-s", "SIGKILL", cid)  # a paused task can be killed
    deadline = time.monotonic() + 10
    while "STOPPED" not in ctr("task", "ls").stdout:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    ctr("task", "delete", cid)
    ctr("container", "delete", cid)
    assert not cgroup_dirs(cid)
