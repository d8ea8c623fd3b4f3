"""The config.json that `hutch-runtime spec` writes: runc's, as in `runc spec` / `runc spec --rootless`.

Mirrors runc ``libcontainer/specconv/example.go`` (``Example`` and ``ToRootless``),
with the hostname "hutch" and hutch's ``OCI_VERSION``. Keys are in the order of the
runtime-spec Go structs, so the output reads like runc's. The result is a plain
JSON-ready dict; ``codec.decode_config(codec.encode(default_spec()))`` gives the typed Spec.
"""

from __future__ import annotations

import os

from hutch._version import OCI_VERSION

_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

MASKED_PATHS = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
]
READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


def _mounts() -> list[dict[str, object]]:
    return [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {
            "destination": "/dev",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
        },
        {
            "destination": "/dev/pts",
            "type": "devpts",
            "source": "devpts",
            "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
        },
        {
            "destination": "/dev/shm",
            "type": "tmpfs",
            "source": "shm",
            "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        },
        {
            "destination": "/dev/mqueue",
            "type": "mqueue",
            "source": "mqueue",
            "options": ["nosuid", "noexec", "nodev"],
        },
        {
            "destination": "/sys",
            "type": "sysfs",
            "source": "sysfs",
            "options": ["nosuid", "noexec", "nodev", "ro"],
        },
        {
            "destination": "/sys/fs/cgroup",
            "type": "cgroup",
            "source": "cgroup",
            "options": ["nosuid", "noexec", "nodev", "relatime", "ro"],
        },
    ]


def _cgroup2_unified() -> bool:
    # cgroup.controllers sits at the root of a cgroup2 mount; on v1 and hybrid hosts
    # /sys/fs/cgroup is a tmpfs of per-controller directories.
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def default_spec(rootless: bool = False, *, cgroupns: bool | None = None) -> dict[str, object]:
    """runc's example spec; ``cgroupns=None`` adds a cgroup namespace on cgroup v2 hosts, as runc does."""
    if cgroupns is None:
        cgroupns = _cgroup2_unified()
    namespaces = ["pid", "network", "ipc", "uts", "mount"]
    if cgroupns:
        namespaces.append("cgroup")
    mounts = _mounts()
    linux: dict[str, object] = {}
    if rootless:
        # runc ToRootless: no network namespace (it could not be configured), a user
        # namespace mapping only the caller, /sys bind-mounted (sysfs cannot be mounted
        # without owning the network namespace), no uid=/gid= mount options (those ids
        # are not mapped) and no cgroup resources (the caller cannot write them).
        namespaces = [ns for ns in namespaces if ns != "network"] + ["user"]
        linux["uidMappings"] = [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
        linux["gidMappings"] = [{"containerID": 0, "hostID": os.getegid(), "size": 1}]
        mounts = [_rootless_mount(m) for m in mounts]
    else:
        linux["resources"] = {"devices": [{"allow": False, "access": "rwm"}]}
    linux["namespaces"] = [{"type": ns} for ns in namespaces]
    linux["maskedPaths"] = list(MASKED_PATHS)
    linux["readonlyPaths"] = list(READONLY_PATHS)
    return {
        "ociVersion": OCI_VERSION,
        "process": {
            "terminal": True,
            "user": {"uid": 0, "gid": 0},
            "args": ["sh"],
            "env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm",
            ],
            "cwd": "/",
            "capabilities": {
                "bounding": list(_CAPS),
                "effective": list(_CAPS),
                "permitted": list(_CAPS),
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "hutch",
        "mounts": mounts,
        "linux": linux,
    }


def _rootless_mount(mount: dict[str, object]) -> dict[str, object]:
    if mount["destination"] == "/sys":
        return {
            "destination": "/sys",
            "type": "none",
            "source": "/sys",
            "options": ["rbind", "nosuid", "noexec", "nodev", "ro"],
        }
    options = mount.get("options")
    if isinstance(options, list):
        kept = [o for o in options if not str(o).startswith(("uid=", "gid="))]
        mount = {**mount, "options": kept}
    return mount
