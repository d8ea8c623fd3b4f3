"""runtime-spec config.md: the top of config.json, the process, mounts and hooks."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hutch.spec._base import Base, Int32, Int64, Uint32, Uint64
from hutch.spec.runtime.linux import Linux

RlimitType = Annotated[str, msgspec.Meta(pattern="^RLIMIT_[A-Z]+$")]


class Root(Base, kw_only=True):
    path: str
    readonly: bool = False


class Mount(Base, kw_only=True):
    destination: str
    type: str = ""
    source: str = ""
    options: list[str] = []
    uid_mappings: list[object] = []
    gid_mappings: list[object] = []


class User(Base, kw_only=True):
    uid: Uint32 = 0
    gid: Uint32 = 0
    umask: Uint32 | None = None
    additional_gids: list[Uint32] = []
    username: str = ""


class Box(Base, kw_only=True):
    height: Uint32
    width: Uint32


class Capabilities(Base, kw_only=True):
    bounding: list[str] = []
    effective: list[str] = []
    inheritable: list[str] = []
    permitted: list[str] = []
    ambient: list[str] = []


class Rlimit(Base, kw_only=True):
    type: RlimitType
    hard: Uint64
    soft: Uint64


class Scheduler(Base, kw_only=True):
    policy: str
    nice: Int32 = 0
    priority: Int32 = 0
    flags: list[str] = []
    runtime: Uint64 = 0
    deadline: Uint64 = 0
    period: Uint64 = 0


class IOPriority(Base, kw_only=True):
    class_: str = msgspec.field(name="class")
    priority: Int32 = 0


class CPUAffinity(Base, kw_only=True):
    initial: str = ""
    final: str = ""


class Process(Base, kw_only=True):
    terminal: bool = False
    console_size: Box | None = None
    user: User = User()
    args: list[str] = []
    command_line: str = ""
    env: list[str] = []
    cwd: str = "/"
    capabilities: Capabilities | None = None
    rlimits: list[Rlimit] = []
    no_new_privileges: bool = False
    apparmor_profile: str = ""
    oom_score_adj: Int32 | None = None
    scheduler: Scheduler | None = None
    selinux_label: str = ""
    io_priority: IOPriority | None = None
    exec_cpu_affinity: CPUAffinity | None = msgspec.field(default=None, name="execCPUAffinity")


class Hook(Base, kw_only=True):
    path: str
    args: list[str] = []
    env: list[str] = []
    timeout: Int64 | None = None


class Hooks(Base, kw_only=True):
    prestart: list[Hook] = []
    create_runtime: list[Hook] = []
    create_container: list[Hook] = []
    start_container: list[Hook] = []
    poststart: list[Hook] = []
    poststop: list[Hook] = []


class Spec(Base, kw_only=True):
    oci_version: str
    root: Root | None = None
    mounts: list[Mount] = []
    process: Process | None = None
    hostname: str | None = None
    domainname: str | None = None
    hooks: Hooks | None = None
    annotations: dict[str, str] = {}
    linux: Linux | None = None
