"""Default seccomp profiles: an OCI ``linux.seccomp`` made from a profile template.

The template format is the one moby and containers/common ship (Debian installs
containers-common's as /usr/share/containers/seccomp.json with podman): besides the OCI
fields it has an ``archMap`` and, per syscall entry, ``includes``/``excludes`` conditions
on the process's capabilities, the architecture and the kernel version. Engines resolve
those for each container; :func:`from_template` does the same, with containers/common's
rules:

- an entry is left out if ``excludes.arches`` names this architecture, if any of
  ``excludes.caps`` is in the bounding set, or if the kernel is at least
  ``excludes.minKernel``;
- it is left out unless ``includes.arches`` names this architecture, all of
  ``includes.caps`` are in the bounding set, and the kernel is at least
  ``includes.minKernel`` (each when given);
- ``architectures`` are the native one and its sub-architectures from ``archMap``.

Pure: the caller reads the template and passes the facts.
"""

from __future__ import annotations

import os

from hutch.util import arch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

#: Debian's containers-common template (installed with podman).
CONTAINERS_COMMON = "/usr/share/containers/seccomp.json"

#: uname's machine -> the runtime-spec's native architecture
NATIVE = {"x86_64": "SCMP_ARCH_X86_64", "aarch64": "SCMP_ARCH_AARCH64", "armv7l": "SCMP_ARCH_ARM",
          "armv6l": "SCMP_ARCH_ARM", "i686": "SCMP_ARCH_X86", "i386": "SCMP_ARCH_X86",
          "ppc64le": "SCMP_ARCH_PPC64LE", "s390x": "SCMP_ARCH_S390X", "riscv64": "SCMP_ARCH_RISCV64",
          "mips64": "SCMP_ARCH_MIPS64", "loongarch64": "SCMP_ARCH_LOONGARCH64"}

_OCI_SYSCALL_KEYS = ("names", "action", "errnoRet", "args")


def kernel_version(release: str) -> tuple[int, int]:
    """(major, minor) of a kernel release string such as ``6.18.0-1-amd64``."""
    parts = release.split("-", 1)[0].split(".")
    nums = [int(p) if p.isdigit() else 0 for p in [*parts, "0", "0"][:2]]
    return nums[0], nums[1]


def _at_least(kernel: tuple[int, int], wanted: object) -> bool:
    return isinstance(wanted, str) and kernel >= kernel_version(wanted)


def _wanted(entry: Mapping[str, object], goarch: str, caps: Collection[str],
            kernel: tuple[int, int]) -> bool:
    inc = entry.get("includes") or {}
    exc = entry.get("excludes") or {}
    assert isinstance(inc, dict) and isinstance(exc, dict)
    if goarch in (exc.get("arches") or []):
        return False
    if any(c in caps for c in exc.get("caps") or []):
        return False
    if exc.get("minKernel") and _at_least(kernel, exc["minKernel"]):
        return False
    if inc.get("arches") and goarch not in inc["arches"]:
        return False
    if not all(c in caps for c in inc.get("caps") or []):
        return False
    return not (inc.get("minKernel") and not _at_least(kernel, inc["minKernel"]))


def from_template(template: Mapping[str, object], bounding_caps: Collection[str],
                  machine: str | None = None, release: str | None = None) -> dict[str, object]:
    """The OCI ``linux.seccomp`` that ``template`` gives a process with ``bounding_caps``
    on this machine (or the given uname ``machine`` and kernel ``release``)."""
    uname = os.uname()
    machine = machine or uname.machine
    kernel = kernel_version(release or uname.release)
    goarch = arch.goarch(machine)  # the names templates use in includes/excludes.arches
    native = NATIVE.get(machine)
    out: dict[str, object] = {"defaultAction": template["defaultAction"]}
    errno_ret = template.get("defaultErrnoRet")
    if errno_ret is not None:
        out["defaultErrnoRet"] = errno_ret
    archs: list[str] = []
    for entry in template.get("archMap") or []:  # type: ignore[attr-defined]
        if native and entry.get("architecture") == native:
            archs = [native, *entry.get("subArchitectures", [])]
    if not archs and native:
        archs = [native]
    out["architectures"] = archs
    calls = []
    for entry in template.get("syscalls") or []:  # type: ignore[attr-defined]
        if not _wanted(entry, goarch, bounding_caps, kernel):
            continue
        names = list(entry.get("names") or ([entry["name"]] if entry.get("name") else []))
        call = {k: entry[k] for k in _OCI_SYSCALL_KEYS if entry.get(k) is not None}
        call["names"] = names
        calls.append(call)
    out["syscalls"] = calls
    for key in ("flags", "listenerPath", "listenerMetadata"):
        if template.get(key):
            out[key] = template[key]
    return out
