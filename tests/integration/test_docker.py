"""docker (Debian's dockerd 20.10, with its own containerd) runs containers on hutch-runtime
(`--add-runtime hutch=...`, `docker run --runtime hutch`).

dockerd runs in a network namespace and a mount namespace of its own (unshare), with no
bridge, no iptables rules and no IP forwarding, its data and state in hutch-docker-* dirs and
its containers' cgroups under /hutch/.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import remove_cgroup_parent, stop, unmount_under, wait_until
from tests.support.ociimage import build_docker_archive

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(shutil.which("dockerd") is None or shutil.which("docker") is None,
                       reason="docker is not installed"),
]

IMAGE = "hutch-busybox:latest"


class Docker:
    def __init__(self, sock: str) -> None:
        self.sock = sock

    def __call__(self, *args: str, check: bool = True, timeout: float = 60) -> Any:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        r = subprocess.run(["docker", "-H", f"unix://{self.sock}", *args], capture_output=True,
                           text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
                           check=False)
        if check and r.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)}: exit {r.returncode}: {r.stderr}")
        return r

    def run(self, *args: str, check: bool = True) -> Any:
        return self("run", "--runtime", "hutch", "--network", "none", *args, check=check)


@pytest.fixture
def docker(tmp_path: Path, rootfs_template: Path, hutch_runtime_bin: Any) -> Iterator[Docker]:
    tag = f"hutch-docker-{secrets.token_hex(3)}"
    data, run = f"/var/lib/{tag}", f"/run/{tag}"
    sock, parent = f"{run}.sock", f"/hutch/{tag}"
    had_run_docker = os.path.exists("/run/docker")  # dockerd always makes /run/docker/plugins
    log = open(tmp_path / "dockerd.log", "w")  # noqa: SIM115
    daemon = subprocess.Popen(
        ["unshare", "--net", "--mount", "--propagation", "private", "dockerd",
         "--data-root", data, "--exec-root", run, "--pidfile", f"{run}.pid", "-H", f"unix://{sock}",
         "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
         "--ip-forward=false", "--userland-proxy=false", "--storage-driver", "vfs",
         "--cgroup-parent", parent, "--add-runtime", f"hutch={hutch_runtime_bin}"],
        stdout=log, stderr=log,
    )
    d = Docker(sock)
    try:
        wait_until(lambda: d("version", check=False).returncode == 0, daemon,
                   str(tmp_path / "dockerd.log"), "dockerd")
        archive = tmp_path / "image.tar"
        build_docker_archive(rootfs_template, archive, IMAGE)
        d("load", "-i", str(archive))
        yield d
    finally:
        d("rm", "--force", *d("ps", "-aq", check=False).stdout.split(), check=False)
        stop(daemon)  # unshare execs dockerd: this is its pid
        log.close()
        unmount_under(tag)
        for p in (data, run):
            shutil.rmtree(p, ignore_errors=True)
        if not had_run_docker:
            shutil.rmtree("/run/docker", ignore_errors=True)
        for p in (sock, f"{run}.pid"):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        remove_cgroup_parent(parent)


def test_docker_run_rm(docker: Docker) -> None:
    r = docker.run("--rm", "--hostname", "dk-box", IMAGE, "sh", "-c",
                   "hostname; echo pid=$$; grep -c hutch /proc/self/cgroup; "
                   "grep ^Seccomp: /proc/self/status; exit 4", check=False)
    assert r.returncode == 4, r.stderr
    out = r.stdout.split()
    assert out[:2] == ["dk-box", "pid=1"] and int(out[2]) > 0
    assert out[3:5] == ["Seccomp:", "2"], "docker's default seccomp profile is applied"


def test_docker_detached_exec_stop_rm(docker: Docker) -> None:
    name = f"hutch-dk-{secrets.token_hex(3)}"
    docker.run("-d", "--name", name, IMAGE, "sh", "-c",
               "trap 'exit 0' TERM; while true; do sleep 0.1; done")
    assert "exec-ok" in docker("exec", name, "sh", "-c", "echo exec-ok").stdout
    docker("stop", "--time", "5", name)
    st = docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name).stdout
    assert st.split() == ["exited", "0"]
    docker("rm", name)
