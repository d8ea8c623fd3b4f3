"""runtime-spec config-linux.md: the ``linux`` object of config.json."""

from __future__ import annotations

from typing import Literal

import msgspec

from hutch.spec._base import Base, FileMode, Int64, Uint16, Uint32, Uint64

NamespaceType = Literal["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]


class Namespace(Base, kw_only=True):
    type: NamespaceType
    path: str = ""


class IDMapping(Base, kw_only=True):
    container_id: Uint32 = msgspec.field(name="containerID")
    host_id: Uint32 = msgspec.field(name="hostID")
    size: Uint32


class TimeOffset(Base, kw_only=True):
    secs: Int64 = 0
    nanosecs: Uint32 = 0


class Device(Base, kw_only=True):
    type: Literal["c", "b", "u", "p"]
    path: str
    major: Int64 | None = None
    minor: Int64 | None = None
    file_mode: FileMode | None = None
    uid: Uint32 | None = None
    gid: Uint32 | None = None


class DeviceCgroup(Base, kw_only=True):
    allow: bool
    type: str | None = None
    major: Int64 | None = None
    minor: Int64 | None = None
    access: str | None = None


class Memory(Base, kw_only=True):
    limit: Int64 | None = None
    reservation: Int64 | None = None
    swap: Int64 | None = None
    kernel: Int64 | None = None
    kernel_tcp: Int64 | None = msgspec.field(default=None, name="kernelTCP")
    swappiness: Uint64 | None = None
    disable_oom_killer: bool | None = msgspec.field(default=None, name="disableOOMKiller")
    use_hierarchy: bool | None = None
    check_before_update: bool | None = None


class CPU(Base, kw_only=True):
    shares: Uint64 | None = None
    quota: Int64 | None = None
    burst: Uint64 | None = None
    period: Uint64 | None = None
    realtime_runtime: Int64 | None = None
    realtime_period: Uint64 | None = None
    cpus: str | None = None
    mems: str | None = None
    idle: Int64 | None = None


class Pids(Base, kw_only=True):
    limit: Int64 | None = None


class WeightDevice(Base, kw_only=True):
    major: Int64
    minor: Int64
    weight: Uint16 | None = None
    leaf_weight: Uint16 | None = None


class ThrottleDevice(Base, kw_only=True):
    major: Int64
    minor: Int64
    rate: Uint64


class BlockIO(Base, kw_only=True):
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


class HugepageLimit(Base, kw_only=True):
    page_size: str
    limit: Uint64


class InterfacePriority(Base, kw_only=True):
    name: str
    priority: Uint32


class Network(Base, kw_only=True):
    class_id: Uint32 | None = msgspec.field(default=None, name="classID")
    priorities: list[InterfacePriority] = []


class Rdma(Base, kw_only=True):
    hca_handles: Uint32 | None = None
    hca_objects: Uint32 | None = None


class Resources(Base, kw_only=True):
    devices: list[DeviceCgroup] = []
    memory: Memory | None = None
    cpu: CPU | None = None
    pids: Pids | None = None
    block_io: BlockIO | None = msgspec.field(default=None, name="blockIO")
    hugepage_limits: list[HugepageLimit] = []
    network: Network | None = None
    rdma: dict[str, Rdma] = {}
    unified: dict[str, str] = {}


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


class SeccompArg(Base, kw_only=True):
    index: Uint32
    value: Uint64
    value_two: Uint64 = 0
    op: SeccompOp


class Syscall(Base, kw_only=True):
    names: list[str]
    action: SeccompAction
    errno_ret: Uint32 | None = None
    args: list[SeccompArg] = []


class Seccomp(Base, kw_only=True):
    default_action: SeccompAction
    default_errno_ret: Uint32 | None = None
    architectures: list[str] = []
    flags: list[str] = []
    listener_path: str = ""
    listener_metadata: str = ""
    syscalls: list[Syscall] = []


class IntelRdt(Base, kw_only=True):
    clos_id: str = msgspec.field(default="", name="closID")
    l3_cache_schema: str = ""
    mem_bw_schema: str = ""
    schemata: list[str] = []
    enable_cmt: bool = False
    enable_mbm: bool = False


class Personality(Base, kw_only=True):
    domain: str
    flags: list[str] = []


class NetDevice(Base, kw_only=True):
    name: str = ""


class MemoryPolicy(Base, kw_only=True):
    mode: str
    nodes: str = ""
    flags: list[str] = []


RootfsPropagation = Literal[
    "", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"
]


class Linux(Base, kw_only=True):
    namespaces: list[Namespace] = []
    uid_mappings: list[IDMapping] = []
    gid_mappings: list[IDMapping] = []
    time_offsets: dict[str, TimeOffset] = {}
    devices: list[Device] = []
    cgroups_path: str = ""
    resources: Resources | None = None
    rootfs_propagation: RootfsPropagation = ""
    seccomp: Seccomp | None = None
    sysctl: dict[str, str] = {}
    masked_paths: list[str] = []
    readonly_paths: list[str] = []
    mount_label: str = ""
    intel_rdt: IntelRdt | None = None
    personality: Personality | None = None
    net_devices: dict[str, NetDevice] = {}
    memory_policy: MemoryPolicy | None = None
