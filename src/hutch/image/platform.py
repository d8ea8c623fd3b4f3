"""Platforms: this host's (os, architecture, variant) as OCI names them, ``--platform``
values, and the pick from an image index (containerd's ``platforms`` matcher, pure).

A manifest matches when its os and architecture are the wanted ones and its variant is
the wanted one, or is absent where the architecture has a default (arm64's ``v8``); an
exact variant wins over a default one. amd64 ignores variants below the wanted one.
"""

from __future__ import annotations

import os

from hutch.errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "armv6l": "arm", "i686": "386",
          "i386": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64", "mips64": "mips64le",
          "loongarch64": "loong64"}
_VARIANT = {"armv7l": "v7", "armv6l": "v6", "aarch64": "v8"}
_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm", "armel": "arm",
                 "i386": "386"}


def host() -> tuple[str, str, str]:
    machine = os.uname().machine
    return "linux", GOARCH.get(machine, machine), _VARIANT.get(machine, "")


def parse(value: str) -> tuple[str, str, str]:
    """``linux/arm64/v8``, ``linux/amd64``, ``arm64`` -> (os, architecture, variant)."""
    parts = value.strip().lower().split("/")
    if not value or len(parts) > 3 or not all(parts):
        raise InvalidArgument(f"invalid platform {value!r}: use OS/ARCH[/VARIANT]")
    if len(parts) == 1:
        parts = ["linux", parts[0]]
    os_, arch = parts[0], _ARCH_ALIASES.get(parts[1], parts[1])
    variant = parts[2] if len(parts) == 3 else ("v8" if arch == "arm64" else "")
    return os_, arch, variant


def name(p: tuple[str, str, str]) -> str:
    return "/".join(x for x in p if x)


def pick(manifests: list[dict[str, Any]], want: tuple[str, str, str]) -> dict[str, Any] | None:
    """The descriptor of ``manifests`` (an index's) for the platform ``want``; None if none."""
    os_, arch, variant = want
    best: tuple[int, dict[str, Any]] | None = None
    for m in manifests:
        p = m.get("platform") or {}
        have_arch = str(p.get("architecture", ""))
        if p.get("os", "") != os_ or _ARCH_ALIASES.get(have_arch, have_arch) != arch:
            continue
        have = str(p.get("variant", "") or "")
        if arch == "arm64" and not have:
            have = "v8"
        if have == variant:
            score = 3
        elif not variant or not have:
            score = 2
        elif arch == "arm" and have < variant:  # an older arm variant runs on a newer cpu
            score = 1
        else:
            continue
        if best is None or score > best[0]:
            best = (score, m)
    return best[1] if best else None
