"""podman (Debian's, through conmon) drives hutch-runtime in runc's place.

podman gets a private configuration: its own storage (vfs, short paths: conmon waits 20 s on
long ones), no network at all (it would otherwise set up a bridge and NAT in the host's
namespace), container cgroups under /hutch/, and rlimits this machine allows (it cannot raise
hard limits without CAP_SYS_RESOURCE, which runc refuses in the same way).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import remove_cgroup_parent

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed"),
]

CONF = """\
[containers]
netns = "none"
cgroupns = "private"
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "hutch"
[engine.runtimes]
hutch = ["{runtime}"]
"""


class Podman:
    def __init__(self, tag: str, conf: Path, runtime: str) -> None:
        self.root = f"/var/lib/{tag}"
        self.runroot = f"/run/{tag}"
        self.parent = f"/hutch/{tag}"
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}
        self.env.pop("DOCKER_CONFIG", None)
        self.runtime = runtime

    def __call__(self, *args: str, check: bool = True, timeout: float = 60) -> Any:
        cmd = ["podman", "--root", self.root, "--runroot", self.runroot, "--storage-driver", "vfs",
               "--cgroup-manager", "cgroupfs", *args]
        r = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=timeout,
                           stdin=subprocess.DEVNULL, check=False)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(args)}: exit {r.returncode}: {r.stderr}")
        return r

    def run(self, *args: str, check: bool = True) -> Any:
        return self("run", "--network", "none", "--cgroup-parent", self.parent, *args, check=check)


def forget_default_root(had_it: bool) -> None:
    """podman calls the runtime without --root, so hutch-runtime's state went to its default
    root, /run/hutch: remove that root, with the seccomp cache it holds, if the test made it."""
    if had_it:
        return
    from hutch.container.create import SECCOMP_CACHE

    shutil.rmtree(os.path.join("/run/hutch", SECCOMP_CACHE), ignore_errors=True)
    try:
        os.rmdir("/run/hutch")
    except OSError:
        pass


@pytest.fixture
def podman(tmp_path: Path, rootfs_template: Path, hutch_runtime_bin: Any) -> Iterator[Podman]:
    tag = f"hutch-pm-{secrets.token_hex(3)}"
    conf = tmp_path / "containers.conf"
    conf.write_text(CONF.format(runtime=hutch_runtime_bin))
    pm = Podman(tag, conf, str(hutch_runtime_bin))
    # podman calls the runtime without --root: its state goes to hutch-runtime's default
    had_default_root = os.path.exists("/run/hutch")
    tar = tmp_path / "rootfs.tar"
    with tarfile.open(tar, "w") as t:
        t.add(rootfs_template, arcname=".")
    try:
        pm("import", str(tar), "hutch-busybox")
        yield pm
    finally:
        pm("rm", "--all", "--force", "--time", "0", check=False)
        pm("rmi", "--all", "--force", check=False)
        for d in (pm.root, pm.runroot):
            shutil.rmtree(d, ignore_errors=True)
        remove_cgroup_parent(pm.parent)
        forget_default_root(had_default_root)


def test_podman_run_rm(podman: Podman) -> None:
    r = podman.run("--rm", "--hostname", "pm-box", "hutch-busybox", "sh", "-c",
                   "hostname; echo pid=$$; cat /proc/self/cgroup | grep -c hutch; "
                   "grep ^Seccomp: /proc/self/status; exit 3", check=False)
    assert r.returncode == 3, r.stderr
    lines = r.stdout.split()
    assert lines[:2] == ["pm-box", "pid=1"]
    assert int(lines[2]) > 0, "the container's cgroup is under /hutch/"
    assert lines[3:5] == ["Seccomp:", "2"], "podman's default seccomp profile is applied"


def test_podman_detached_exec_stop_rm(podman: Podman) -> None:
    name = f"hutch-pm-{secrets.token_hex(3)}"
    podman.run("-d", "--name", name, "hutch-busybox", "sh", "-c", "trap 'exit 0' TERM; "
               "while true; do sleep 0.1; done")
    # (grep -c finds no sleep when ps runs between two of them: its status is not the exec's)
    r = podman("exec", name, "sh", "-c", "echo from-exec; ps -o pid,comm | grep -c sleep || true")
    assert r.stdout.split()[0] == "from-exec"
    r = podman("inspect", "--format", "{{.State.Status}}", name)
    assert r.stdout.strip() == "running"
    podman("stop", "--time", "5", name)
    r = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name)
    assert r.stdout.split() == ["exited", "0"]
    podman("rm", name)
    assert name not in podman("ps", "-a").stdout


def test_podman_tty(podman: Podman) -> None:
    """-t: conmon passes --console-socket; the pty comes from the container's devpts."""
    r = podman.run("--rm", "-t", "hutch-busybox", "sh", "-c", "tty")
    assert "/dev/pts/0" in r.stdout
