"""runtime-spec config.md: the top of config.json, the process, mounts and hooks.

Fields are declared in the order of runtime-spec ``specs-go/config.go`` so that an
encoded Spec reads like runc's. Windows, Solaris, VM, z/OS and FreeBSD sections are
not modelled: as unknown properties they are ignored on decode (and dropped on encode).

Absent vs. empty: lists, maps, strings and booleans default to their empty value
(Go's ``omitempty`` makes the two indistinguishable on the wire anyway). Optional
numbers and objects default to ``None``; ``UNSET`` marks the few fields where the
spec gives "absent" its own meaning (``oomScoreAdj``, ``umask``, ``consoleSize``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from hutch.spec._base import Base, Int32, Int64, Uint32, Uint64, check_text, check_u64
from hutch.spec.runtime.linux import IDMapping, Linux

SchedulerPolicy = Literal[
    "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE"
]
SchedulerFlag = Literal[
    "SCHED_FLAG_RESET_ON_FORK",
    "SCHED_FLAG_RECLAIM",
    "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",
    "SCHED_FLAG_KEEP_PARAMS",
    "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX",
]
IOPriorityClass = Literal["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"]
HookTimeout = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


class Root(Base, frozen=True, kw_only=True):
    path: str
    readonly: bool = False


class Mount(Base, frozen=True, kw_only=True):
    destination: str
    type: str = ""
    source: str = ""
    options: list[str] = []
    uid_mappings: list[IDMapping] = []
    gid_mappings: list[IDMapping] = []


class Box(Base, frozen=True, kw_only=True):
    height: Uint64
    width: Uint64

    def __post_init__(self) -> None:
        check_u64(self, "height", "width")


class User(Base, frozen=True, kw_only=True):
    # config.md calls uid/gid REQUIRED, but the schema and runc accept them absent (= 0).
    uid: Uint32 = 0
    gid: Uint32 = 0
    umask: Uint32 | UnsetType = UNSET
    additional_gids: list[Uint32] = []
    username: str = ""  # Windows only


class Capabilities(Base, frozen=True, kw_only=True):
    bounding: list[str] = []
    effective: list[str] = []
    inheritable: list[str] = []
    permitted: list[str] = []
    ambient: list[str] = []


class Rlimit(Base, frozen=True, kw_only=True):
    type: str
    hard: Uint64
    soft: Uint64

    def __post_init__(self) -> None:
        check_text(self, "rlimit")
        check_u64(self, "hard", "soft")


class Scheduler(Base, frozen=True, kw_only=True):
    policy: SchedulerPolicy
    nice: Int32 = 0
    priority: Int32 = 0
    flags: list[SchedulerFlag] = []
    runtime: Uint64 = 0
    deadline: Uint64 = 0
    period: Uint64 = 0

    def __post_init__(self) -> None:
        check_u64(self, "runtime", "deadline", "period")


class IOPriority(Base, frozen=True, kw_only=True):
    class_: IOPriorityClass = msgspec.field(name="class")
    priority: Int32 = 0


class CPUAffinity(Base, frozen=True, kw_only=True):
    initial: str = ""
    final: str = ""

    def __post_init__(self) -> None:
        check_text(self, "cpu_list")


class Process(Base, frozen=True, kw_only=True):
    terminal: bool = False
    console_size: Box | UnsetType = UNSET
    user: User = User()
    # OPTIONAL only on Windows; elsewhere at least one entry is REQUIRED (config.md).
    args: Annotated[list[str], msgspec.Meta(min_length=1)]
    command_line: str = ""  # Windows only
    env: list[str] = []
    cwd: str
    capabilities: Capabilities | None = None
    rlimits: list[Rlimit] = []
    no_new_privileges: bool = False
    apparmor_profile: str = ""
    oom_score_adj: Int64 | UnsetType = UNSET
    scheduler: Scheduler | None = None
    selinux_label: str = ""
    io_priority: IOPriority | None = None
    exec_cpu_affinity: CPUAffinity | None = msgspec.field(default=None, name="execCPUAffinity")


class Hook(Base, frozen=True, kw_only=True):
    path: str
    args: list[str] = []
    env: list[str] = []
    timeout: HookTimeout | None = None


class Hooks(Base, frozen=True, kw_only=True):
    prestart: list[Hook] = []  # deprecated in 1.2, still run by runc
    create_runtime: list[Hook] = []
    create_container: list[Hook] = []
    start_container: list[Hook] = []
    poststart: list[Hook] = []
    poststop: list[Hook] = []


class Spec(Base, frozen=True, kw_only=True):
    oci_version: str
    process: Process | None = None  # REQUIRED by `start`, checked by specconv
    root: Root  # OPTIONAL only on Windows
    hostname: str | None = None
    domainname: str | None = None
    mounts: list[Mount] = []
    hooks: Hooks | None = None
    annotations: dict[str, str] = {}
    linux: Linux | None = None
