"""spec (write a default config.json) and features (what hutch-runtime supports)."""

from __future__ import annotations

import json
import os
import sys

from hutch.cli.args import Args
from hutch.cli.log import Log
from hutch.errors import HutchError


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
    if name == "features":
        sys.stdout.write(json.dumps(features(), indent=4) + "\n")
        return 0
    from hutch.spec.defaults import default_spec

    bundle = a.text("bundle") or "."
    path = os.path.join(bundle, "config.json")
    if os.path.exists(path):
        raise HutchError(f"File {path} exists. Remove it first")
    if not os.path.isdir(bundle):
        raise HutchError(f"bundle {bundle} does not exist or is not a directory")
    with open(path, "w") as f:
        f.write(json.dumps(default_spec(rootless=a.flag("rootless")), indent="\t") + "\n")
    return 0
