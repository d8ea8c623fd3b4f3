"""Which ``ociVersion`` values hutch accepts: runtime-spec 1.x (no msgspec, no ``re``)."""

from __future__ import annotations

from hutch._version import OCI_VERSION
from hutch.errors import InvalidSpec

_VERSION_SUFFIX = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.+-")


def _version_ok(version: str) -> bool:
    """SemVer 1.MINOR.PATCH with an optional -prerelease or +build suffix."""
    core, sep, suffix = version, "", ""
    for i, ch in enumerate(version):
        if ch in "-+":
            core, sep, suffix = version[:i], ch, version[i + 1 :]
            break
    parts = core.split(".")
    if len(parts) != 3 or parts[0] != "1":
        return False
    if not all(p.isdigit() and p.isascii() and (p == "0" or p[0] != "0") for p in parts[1:]):
        return False
    return not sep or (bool(suffix) and set(suffix) <= _VERSION_SUFFIX)


def check_version(version: str) -> None:
    """Accept runtime-spec 1.x: 1.0.0 to 1.3.x and later minors, with suffixes like 1.0.2-dev."""
    if not _version_ok(version):
        raise InvalidSpec(
            f"unsupported ociVersion {version!r}: hutch supports runtime-spec 1.x (1.0.0 to {OCI_VERSION})",
            "$.ociVersion",
        )
