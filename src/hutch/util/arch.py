"""Architecture names: the kernel's (``uname -m``: x86_64, aarch64) to Go's GOARCH (amd64,
arm64), which OCI image configs, image indexes and seccomp templates use."""

from __future__ import annotations

import os
import sys

#: uname's machine -> GOARCH
GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "armv6l": "arm", "i686": "386",
          "i386": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
          "mips64": "mips64le" if sys.byteorder == "little" else "mips64", "loongarch64": "loong64"}


def goarch(machine: str | None = None) -> str:
    """GOARCH of ``machine`` (default: this host's); an unknown one as it is."""
    m = machine or os.uname().machine
    return GOARCH.get(m, m)
