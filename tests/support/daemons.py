"""Starting and stopping the container engines the interop tests run (containerd, dockerd,
podman's storage), and removing what they leave: mounts and cgroup parents of their own."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable


def wait_until(ready: Callable[[], bool], daemon: subprocess.Popen[bytes], log: str,
               what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if daemon.poll() is not None:
            with open(log) as f:
                raise AssertionError(f"{what} exited: {f.read()[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not come up in {timeout}s")
        time.sleep(0.1)


def stop(daemon: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM the daemon (by its pid), SIGKILL if it lingers, and reap it."""
    daemon.terminate()
    try:
        daemon.wait(timeout)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()


def unmount_under(tag: str) -> None:
    """Lazily unmount every mount whose path names ``tag``, deepest first."""
    with open("/proc/mounts") as f:
        mounts = [ln.split()[1] for ln in f if tag in ln]
    for m in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", m], check=False)


def remove_cgroup_parent(parent: str) -> None:
    """rmdir ``parent`` (e.g. /hutch/podman-x) and what is under it in every hierarchy, and
    /hutch itself if nothing else uses it. Directories still in use stay."""
    base = "/sys/fs/cgroup"
    tops = [os.path.join(base, parent.lstrip("/"))]
    tops += [os.path.join(base, h, parent.lstrip("/")) for h in os.listdir(base)]
    for top in tops:
        for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda w: -len(w[0])):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass
        try:
            os.rmdir(os.path.dirname(top))
        except OSError:
            pass
