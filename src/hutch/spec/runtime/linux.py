"""runtime-spec config-linux.md: the ``linux`` object of config.json.

Fields follow the order of ``specs-go/config.go``. Enumerations from
``schema/defs-linux.json`` are ``Literal`` types, so a bad value fails at decode
time with its JSON path. Two deliberate widenings: ``rootfsPropagation`` also
accepts the recursive forms and ``""`` (runc does), and ``intelRdt`` keeps the
``enableCMT``/``enableMBM`` fields of runtime-spec 1.1-1.2 next to 1.3's
``enableMonitoring``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hutch.spec._base import (
    Base,
    FileMode,
    Int64,
    Uint16,
    Uint32,
    Uint64,
    check_text,
    check_u64,
)

NamespaceType = Literal["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]
DeviceType = Literal["c", "b", "u", "p"]
DeviceCgroupType = Literal["a", "c", "b"]
RootfsPropagation = Literal[
    "", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"
]
Clock = Literal["monotonic", "boottime"]
SeccompAction = Literal[
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
]
SeccompOp = Literal[
    "SCMP_CMP_NE",
    "SCMP_CMP_LT",
    "SCMP_CMP_LE",
    "SCMP_CMP_EQ",
    "SCMP_CMP_GE",
    "SCMP_CMP_GT",
    "SCMP_CMP_MASKED_EQ",
]
SeccompFlag = Literal[
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
]
SeccompArch = Literal[
    "SCMP_ARCH_X86",
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",
    "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",
    "SCMP_ARCH_SH",
    "SCMP_ARCH_SHEB",
    "SCMP_ARCH_PARISC",
    "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_RISCV64",
]
MemoryPolicyMode = Literal[
    "MPOL_DEFAULT",
    "MPOL_BIND",
    "MPOL_INTERLEAVE",
    "MPOL_WEIGHTED_INTERLEAVE",
    "MPOL_PREFERRED",
    "MPOL_PREFERRED_MANY",
    "MPOL_LOCAL",
]
MemoryPolicyFlag = Literal["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"]
PersonalityDomain = Literal["LINUX", "LINUX32"]


class Namespace(Base, frozen=True, kw_only=True):
    type: NamespaceType
    path: str = ""


class IDMapping(Base, frozen=True, kw_only=True):
    container_id: Uint32 = msgspec.field(name="containerID")
    host_id: Uint32 = msgspec.field(name="hostID")
    size: Uint32


class TimeOffset(Base, frozen=True, kw_only=True):
    # None rather than 0 so that an explicit `"nanosecs": 0` survives a round trip.
    secs: Int64 | None = None
    nanosecs: Uint32 | None = None


class Device(Base, frozen=True, kw_only=True):
    path: str
    type: DeviceType
    major: Int64 | None = None  # REQUIRED unless type is "p"; specconv checks
    minor: Int64 | None = None
    file_mode: FileMode | None = None
    uid: Uint32 | None = None
    gid: Uint32 | None = None


class NetDevice(Base, frozen=True, kw_only=True):
    name: str = ""


class DeviceCgroup(Base, frozen=True, kw_only=True):
    allow: bool
    type: DeviceCgroupType | None = None  # absent means "a"
    major: Int64 | None = None  # absent means all (-1 / "*")
    minor: Int64 | None = None
    access: str | None = None  # letters of rwm; others are ignored, as runc does


class Memory(Base, frozen=True, kw_only=True):
    limit: Int64 | None = None
    reservation: Int64 | None = None
    swap: Int64 | None = None
    kernel: Int64 | None = None
    kernel_tcp: Int64 | None = msgspec.field(default=None, name="kernelTCP")
    swappiness: Uint64 | None = None
    disable_oom_killer: bool | None = msgspec.field(default=None, name="disableOOMKiller")
    use_hierarchy: bool | None = None
    check_before_update: bool | None = None

    def __post_init__(self) -> None:
        check_u64(self, "swappiness")


class CPU(Base, frozen=True, kw_only=True):
    shares: Uint64 | None = None
    quota: Int64 | None = None
    burst: Uint64 | None = None
    period: Uint64 | None = None
    realtime_runtime: Int64 | None = None
    realtime_period: Uint64 | None = None
    cpus: str | None = None
    mems: str | None = None
    idle: Int64 | None = None

    def __post_init__(self) -> None:
        check_u64(self, "shares", "burst", "period", "realtime_period")


class Pids(Base, frozen=True, kw_only=True):
    limit: Int64 | None = None  # -1 is "max"; 0 is a real limit (runtime-spec 1.3)


class WeightDevice(Base, frozen=True, kw_only=True):
    major: Int64
    minor: Int64
    weight: Uint16 | None = None
    leaf_weight: Uint16 | None = None


class ThrottleDevice(Base, frozen=True, kw_only=True):
    major: Int64
    minor: Int64
    rate: Uint64

    def __post_init__(self) -> None:
        check_u64(self, "rate")


class BlockIO(Base, frozen=True, kw_only=True):
    weight: Uint16 | None = None
    leaf_weight: Uint16 | None = None
    weight_device: list[WeightDevice] = []
    throttle_read_bps_device: list[ThrottleDevice] = []
    throttle_write_bps_device: list[ThrottleDevice] = []
    throttle_read_iops_device: list[ThrottleDevice] = msgspec.field(
        default_factory=list, name="throttleReadIOPSDevice"
    )
    throttle_write_iops_device: list[ThrottleDevice] = msgspec.field(
        default_factory=list, name="throttleWriteIOPSDevice"
    )


class HugepageLimit(Base, frozen=True, kw_only=True):
    page_size: str
    limit: Uint64

    def __post_init__(self) -> None:
        check_text(self, "hugepage")
        check_u64(self, "limit")


class InterfacePriority(Base, frozen=True, kw_only=True):
    name: str
    priority: Uint32


class Network(Base, frozen=True, kw_only=True):
    class_id: Uint32 | None = msgspec.field(default=None, name="classID")
    priorities: list[InterfacePriority] = []


class Rdma(Base, frozen=True, kw_only=True):
    hca_handles: Uint32 | None = None
    hca_objects: Uint32 | None = None


class Resources(Base, frozen=True, kw_only=True):
    devices: list[DeviceCgroup] = []
    memory: Memory | None = None
    cpu: CPU | None = None
    pids: Pids | None = None
    block_io: BlockIO | None = msgspec.field(default=None, name="blockIO")
    hugepage_limits: list[HugepageLimit] = []
    network: Network | None = None
    rdma: dict[str, Rdma] = {}
    unified: dict[str, str] = {}


class SeccompArg(Base, frozen=True, kw_only=True):
    index: Uint32
    value: Uint64
    value_two: Uint64 = 0
    op: SeccompOp

    def __post_init__(self) -> None:
        check_u64(self, "value", "value_two")


class Syscall(Base, frozen=True, kw_only=True):
    names: Annotated[list[str], msgspec.Meta(min_length=1)]
    action: SeccompAction
    errno_ret: Uint32 | None = None
    args: list[SeccompArg] = []


class Seccomp(Base, frozen=True, kw_only=True):
    default_action: SeccompAction
    default_errno_ret: Uint32 | None = None
    architectures: list[SeccompArch] = []
    flags: list[SeccompFlag] = []
    listener_path: str = ""
    listener_metadata: str = ""
    syscalls: list[Syscall] = []


class IntelRdt(Base, frozen=True, kw_only=True):
    clos_id: str = msgspec.field(default="", name="closID")
    schemata: list[str] = []
    l3_cache_schema: str = ""
    mem_bw_schema: str = ""
    enable_monitoring: bool = False
    enable_cmt: bool = msgspec.field(default=False, name="enableCMT")  # 1.1-1.2, replaced by enableMonitoring
    enable_mbm: bool = msgspec.field(default=False, name="enableMBM")  # 1.1-1.2, replaced by enableMonitoring

    def __post_init__(self) -> None:
        check_text(self, "mem_bw")


class MemoryPolicy(Base, frozen=True, kw_only=True):
    mode: MemoryPolicyMode
    nodes: str = ""
    flags: list[MemoryPolicyFlag] = []


class Personality(Base, frozen=True, kw_only=True):
    domain: PersonalityDomain
    flags: list[str] = []


class Linux(Base, frozen=True, kw_only=True):
    uid_mappings: list[IDMapping] = []
    gid_mappings: list[IDMapping] = []
    sysctl: dict[str, str] = {}
    resources: Resources | None = None
    cgroups_path: str = ""
    namespaces: list[Namespace] = []
    devices: list[Device] = []
    net_devices: dict[str, NetDevice] = {}
    seccomp: Seccomp | None = None
    rootfs_propagation: RootfsPropagation = ""
    masked_paths: list[str] = []
    readonly_paths: list[str] = []
    mount_label: str = ""
    intel_rdt: IntelRdt | None = None
    memory_policy: MemoryPolicy | None = None
    personality: Personality | None = None
    time_offsets: dict[Clock, TimeOffset] = {}
