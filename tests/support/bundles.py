"""OCI bundles on a busybox root filesystem, for tests (and benchmarks) that run real containers.

    b = Bundle(tmp_path / "bundle", ["sh", "-c", "echo hi"])
    b.config["hostname"] = "box"   # a plain dict, as config.json
    b.write()                      # config.json on disk

One rootfs is built per process (`rootfs_template`) and copied with ``cp -a`` into each
bundle: a private copy, so a test may write into, chown or break its rootfs freely.
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

BUSYBOX = "/bin/busybox"  # busybox-static: runs with no libraries in the rootfs
PATH_ENV = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "user:x:1000:1000:user:/home/user:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = "root:x:0:\ntty:x:5:\nuser:x:1000:\nnogroup:x:65534:\n"


def make_rootfs(dest: Path) -> None:
    """A minimal root filesystem at `dest`: static busybox, a relative symlink in bin/ for
    every applet, the usual empty directories, /etc/passwd (root, user 1000, nobody) and
    /etc/group."""
    if not os.path.exists(BUSYBOX):
        raise RuntimeError(f"{BUSYBOX} is missing: run scripts/setup.sh (busybox-static)")
    for d in ("bin", "proc", "sys", "dev", "tmp", "etc", "root", "home/user"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, dest / "bin/busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
    for name in applets.stdout.split():
        link = dest / "bin" / name
        if name != "busybox" and not link.exists():
            link.symlink_to("busybox")
    (dest / "tmp").chmod(0o1777)
    (dest / "root").chmod(0o700)
    (dest / "etc/passwd").write_text(PASSWD)
    (dest / "etc/group").write_text(GROUP)
    if os.geteuid() == 0:
        os.chown(dest / "home/user", 1000, 1000)


_cache: dict[str, Path] = {}


def rootfs_template(cache_dir: Path | None = None) -> Path:
    """The rootfs built once per process, to copy from. In `cache_dir` (for pytest, a
    session tmp dir) or else in a temp dir removed when the process exits."""
    built = _cache.get("rootfs")
    if built is None or not (built / "bin/busybox").exists():
        if cache_dir is None:
            tmp = tempfile.mkdtemp(prefix="hutch-rootfs-")
            atexit.register(shutil.rmtree, tmp, True)
            cache_dir = Path(tmp)
        built = cache_dir / "rootfs"
        make_rootfs(built)
        _cache["rootfs"] = built
    return built


_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

_DEFAULT: dict[str, Any] = {
    "ociVersion": "1.2.0",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": [],
        "env": [PATH_ENV],
        "cwd": "/",
        "capabilities": {"bounding": _CAPS, "effective": _CAPS, "permitted": _CAPS},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": True,
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "hutch",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    ],
    "linux": {
        "resources": {"devices": [{"allow": False, "access": "rwm"}]},
        "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount", "cgroup")],
        "maskedPaths": [
            "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
            "/proc/scsi",
        ],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
}


def default_config(args: list[str]) -> dict[str, Any]:
    """What `runc spec` writes (runtime-spec 1.2), with terminal off and the given args.
    A fresh deep copy each call: mutate it freely."""
    config = copy.deepcopy(_DEFAULT)
    config["process"]["args"] = list(args)
    return config


class Bundle:
    """A bundle directory: ``path``/config.json and ``rootfs`` (a private copy of the
    busybox rootfs). ``config`` is the config.json dict; call ``write()`` after changing it."""

    def __init__(self, path: Path, args: list[str] | None = None, template: Path | None = None) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.rootfs = self.path / "rootfs"
        src = template if template is not None else rootfs_template()
        subprocess.run(["cp", "-a", "--", str(src), str(self.rootfs)], check=True)
        self.config = default_config(args if args is not None else ["true"])
        self.write()

    def write(self) -> None:
        (self.path / "config.json").write_text(json.dumps(self.config, indent=2))

    def chown(self, uid: int, gid: int) -> None:
        """Give the rootfs to a user namespace's root (uid/gid on the host), and let that
        user reach it (pytest's tmp dirs are 0700)."""
        for dirpath, dirnames, filenames in os.walk(self.rootfs):
            for name in [*dirnames, *filenames]:
                os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)
        os.chown(self.rootfs, uid, gid)
        d = self.path
        while str(d) not in ("/", "/tmp"):
            d.chmod(d.stat().st_mode | 0o011)
            d = d.parent

    def __repr__(self) -> str:
        return f"Bundle({str(self.path)!r})"
