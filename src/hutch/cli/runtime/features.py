"""features: what hutch-runtime supports, as the runtime spec's features.json (runc's features.go)."""

from __future__ import annotations

import json
import sys

from hutch.cli.args import Args, Flag
from hutch.cli.log import Log


def flags() -> list[Flag]:
    return []


def features() -> dict[str, object]:
    from hutch._version import OCI_VERSION, __version__
    from hutch.init import lsm
    from hutch.seccomp.compile import features as seccomp_features
    from hutch.specconv import caps, mountopts
    from hutch.specconv.convert import NAMESPACES

    return {
        "ociVersionMin": "1.0.0",
        "ociVersionMax": OCI_VERSION,
        "hooks": ["prestart", "createRuntime", "createContainer", "startContainer",
                  "poststart", "poststop"],
        "mountOptions": mountopts.known_options(),
        "linux": {
            "namespaces": sorted(NAMESPACES),
            "capabilities": list(caps.NAMES[: caps.last_cap() + 1]),
            # cgroupfs on v1, v2 and hybrid hosts: placement, every linux.resources limit
            # (rdma on v2), update, pause/resume (freezer), events (stats, OOM)
            "cgroup": {"v1": True, "v2": True, "systemd": False, "systemdUser": False,
                       "rdma": True},
            "seccomp": seccomp_features(),
            "apparmor": {"enabled": lsm.host_has("apparmor")},
            "selinux": {"enabled": lsm.host_has("selinux")},
            "intelRdt": {"enabled": False},
            "mountExtensions": {"idmap": {"enabled": False}},
        },
        "annotations": {
            "org.opencontainers.runc.checkpoint.enabled": "false",
            "io.github.hutch.version": __version__,
        },
    }


def handle(name: str, g: Args, a: Args, log: Log) -> int:
    sys.stdout.write(json.dumps(features(), indent=4) + "\n")
    return 0
