"""The init plan: what crosses the fork, as builtins only.

``specconv.convert`` turns a typed ``Spec`` into a ``Plan`` (a plain dict of
lists, ints and strings, fully resolved: flags are ints, capabilities are bit
masks, the rootfs is absolute). The init never sees msgspec or the spec model;
it reads this. ``encode``/``decode`` are the only (de)serialisers, so the wire
format can change in one place.

The TypedDicts below exist only for mypy: at run time they are never defined,
so the init does not pay for ``typing``.
"""

from __future__ import annotations

from hutch import fastjson

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypedDict

    from hutch.cgroups.devices import Rule as DeviceRule
    from hutch.seccomp.compile import SeccompPlan

    class MountPlan(TypedDict):
        dest: str  # absolute path inside the container
        type: str  # filesystem type; "bind" for binds
        source: str
        flags: int  # MS_* flags for the mount call
        clear: int  # MS_* flags explicitly cleared (rw, suid, ...)
        propagation: list[int]  # MS_SHARED/... calls after the mount
        rec_set: int  # MOUNT_ATTR_* applied recursively (rro, rnosuid, ...)
        rec_clear: int
        data: str  # comma-joined filesystem options
        bind: bool
        extensions: list[str]  # tmpcopyup, ...

    class DevicePlan(TypedDict):
        path: str
        type: str  # c, b, u, p
        major: int
        minor: int
        mode: int
        uid: int
        gid: int

    class CapsPlan(TypedDict):
        bounding: int
        effective: int
        permitted: int
        inheritable: int
        ambient: int

    class ProcessPlan(TypedDict):
        args: list[str]
        env: list[str]
        cwd: str
        uid: int
        gid: int
        additional_gids: list[int]
        umask: int | None
        rlimits: list[list[int]]  # [resource, soft, hard]
        no_new_privs: bool
        caps: CapsPlan | None  # None: leave the capability sets alone
        oom_score_adj: int | None
        terminal: bool
        console_size: list[int] | None  # [rows, cols]
        apparmor: str  # process.apparmorProfile, "" for none
        selinux_label: str  # process.selinuxLabel, "" for none

    class HookPlan(TypedDict, total=False):
        path: str
        args: list[str]
        env: list[str]
        timeout: int

    class NamespacePlan(TypedDict):
        kind: int  # CLONE_NEW*
        path: str  # join this namespace; "" for a new one

    class Plan(TypedDict):
        id: str
        bundle: str
        rootfs: str  # absolute
        readonly_root: bool
        no_pivot: bool
        namespaces: list[NamespacePlan]
        new_ns_flags: int  # CLONE_* flags to unshare (user handled separately)
        userns: bool  # a new user namespace (the parent writes the maps)
        join_userns: str  # path of a user namespace to join, or ""
        uid_map: str  # "container host size\n..." for /proc/PID/uid_map
        gid_map: str
        time_offsets: list[list[int]]  # [clock id name index, secs, nanosecs]
        hostname: str | None
        domainname: str | None
        mounts: list[MountPlan]
        rootfs_propagation: int
        devices: list[DevicePlan]
        masked_paths: list[str]
        readonly_paths: list[str]
        sysctl: dict[str, str]
        process: ProcessPlan
        hooks: dict[str, list[HookPlan]]  # createContainer, startContainer, ...
        lo_up: bool  # bring up loopback in a new network namespace
        new_keyring: bool  # join a fresh session keyring named after the container
        # v1 hosts: [hierarchy name, host path of the container's cgroup] for a "cgroup" mount
        cgroup_binds: list[list[str]]
        # linux.resources as checked by hutch.specconv.resources.check (JSON shape), or None
        resources: dict[str, object] | None
        # the device cgroup's rules in order: the config's, then the defaults
        # (hutch.cgroups.devices.container_rules)
        device_rules: list[DeviceRule]
        # linux.seccomp compiled (hutch.seccomp.compile), set by create; None: no filter
        seccomp: SeccompPlan | None


def encode(plan: Plan) -> bytes:
    return fastjson.dumps(plan).encode()


def decode(data: bytes) -> Plan:
    return fastjson.loads(data)  # type: ignore[return-value]
