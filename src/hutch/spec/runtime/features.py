"""runtime-spec features.md and features-linux.md: what `features` prints.

Every property but the two versions is ``X | None = None``: features.md says absent
or ``null`` means "unknown" and MUST NOT be confused with ``false``, ``[]`` or ``{}``.
Lists hold plain strings, not the config's enums: a newer runtime may report values
this model does not know, and reading its output must not fail on them.
"""

from __future__ import annotations

from hutch.spec._base import Base


class Cgroup(Base, frozen=True, kw_only=True):
    v1: bool | None = None
    v2: bool | None = None
    systemd: bool | None = None
    systemd_user: bool | None = None
    rdma: bool | None = None


class SeccompFeatures(Base, frozen=True, kw_only=True):
    enabled: bool | None = None
    actions: list[str] | None = None
    operators: list[str] | None = None
    archs: list[str] | None = None
    known_flags: list[str] | None = None
    supported_flags: list[str] | None = None


class Enabled(Base, frozen=True, kw_only=True):
    """The shape shared by apparmor, selinux, mountExtensions.idmap and netDevices."""

    enabled: bool | None = None


class IntelRdtFeatures(Base, frozen=True, kw_only=True):
    enabled: bool | None = None
    schemata: bool | None = None
    monitoring: bool | None = None


class MemoryPolicyFeatures(Base, frozen=True, kw_only=True):
    modes: list[str] | None = None
    flags: list[str] | None = None


class MountExtensions(Base, frozen=True, kw_only=True):
    idmap: Enabled | None = None


class LinuxFeatures(Base, frozen=True, kw_only=True):
    namespaces: list[str] | None = None
    capabilities: list[str] | None = None
    cgroup: Cgroup | None = None
    seccomp: SeccompFeatures | None = None
    apparmor: Enabled | None = None
    selinux: Enabled | None = None
    intel_rdt: IntelRdtFeatures | None = None
    memory_policy: MemoryPolicyFeatures | None = None
    mount_extensions: MountExtensions | None = None
    net_devices: Enabled | None = None


class Features(Base, frozen=True, kw_only=True):
    oci_version_min: str
    oci_version_max: str
    hooks: list[str] | None = None
    mount_options: list[str] | None = None
    linux: LinuxFeatures | None = None
    annotations: dict[str, str] | None = None
    potentially_unsafe_config_annotations: list[str] | None = None
