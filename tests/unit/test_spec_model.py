"""spec.runtime: every struct speaks exactly the wire names of runtime-spec's Go types.

The expected lists are the ``json:"..."`` tags of opencontainers/runtime-spec@6999a89
(``specs-go/config.go``, ``state.go``, ``features/features.go``), in declaration
order, minus the Windows/Solaris/VM/z/OS/FreeBSD sections hutch does not model.
"""

from __future__ import annotations

import pytest

from hutch.spec import codec
from hutch.spec._base import Base
from hutch.spec.runtime import config, features, linux, state

GO_TAGS: list[tuple[type[Base], list[str]]] = [
    (config.Spec, ["ociVersion", "process", "root", "hostname", "domainname", "mounts", "hooks",
                   "annotations", "linux"]),
    (config.Scheduler, ["policy", "nice", "priority", "flags", "runtime", "deadline", "period"]),
    (config.Process, ["terminal", "consoleSize", "user", "args", "commandLine", "env", "cwd", "capabilities",
                      "rlimits", "noNewPrivileges", "apparmorProfile", "oomScoreAdj", "scheduler",
                      "selinuxLabel", "ioPriority", "execCPUAffinity"]),
    (config.Capabilities, ["bounding", "effective", "inheritable", "permitted", "ambient"]),
    (config.IOPriority, ["class", "priority"]),
    (config.CPUAffinity, ["initial", "final"]),
    (config.Box, ["height", "width"]),
    (config.User, ["uid", "gid", "umask", "additionalGids", "username"]),
    (config.Root, ["path", "readonly"]),
    (config.Mount, ["destination", "type", "source", "options", "uidMappings", "gidMappings"]),
    (config.Hook, ["path", "args", "env", "timeout"]),
    (config.Hooks, ["prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                    "poststop"]),
    (config.Rlimit, ["type", "hard", "soft"]),
    (linux.Linux, ["uidMappings", "gidMappings", "sysctl", "resources", "cgroupsPath", "namespaces",
                   "devices", "netDevices", "seccomp", "rootfsPropagation", "maskedPaths", "readonlyPaths",
                   "mountLabel", "intelRdt", "memoryPolicy", "personality", "timeOffsets"]),
    (linux.Namespace, ["type", "path"]),
    (linux.IDMapping, ["containerID", "hostID", "size"]),
    (linux.TimeOffset, ["secs", "nanosecs"]),
    (linux.HugepageLimit, ["pageSize", "limit"]),
    (linux.InterfacePriority, ["name", "priority"]),
    (linux.WeightDevice, ["major", "minor", "weight", "leafWeight"]),  # embeds LinuxBlockIODevice
    (linux.ThrottleDevice, ["major", "minor", "rate"]),
    (linux.BlockIO, ["weight", "leafWeight", "weightDevice", "throttleReadBpsDevice",
                     "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice"]),
    (linux.Memory, ["limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness", "disableOOMKiller",
                    "useHierarchy", "checkBeforeUpdate"]),
    (linux.CPU, ["shares", "quota", "burst", "period", "realtimeRuntime", "realtimePeriod", "cpus", "mems",
                 "idle"]),
    (linux.Pids, ["limit"]),
    (linux.Network, ["classID", "priorities"]),
    (linux.Rdma, ["hcaHandles", "hcaObjects"]),
    (linux.Resources, ["devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits", "network", "rdma",
                       "unified"]),
    (linux.Device, ["path", "type", "major", "minor", "fileMode", "uid", "gid"]),
    (linux.NetDevice, ["name"]),
    (linux.DeviceCgroup, ["allow", "type", "major", "minor", "access"]),
    (linux.Personality, ["domain", "flags"]),
    (linux.Seccomp, ["defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath",
                     "listenerMetadata", "syscalls"]),
    (linux.SeccompArg, ["index", "value", "valueTwo", "op"]),
    (linux.Syscall, ["names", "action", "errnoRet", "args"]),
    # + enableCMT/enableMBM of runtime-spec 1.1-1.2, which 1.3 replaced with enableMonitoring
    (linux.IntelRdt, ["closID", "schemata", "l3CacheSchema", "memBwSchema", "enableMonitoring", "enableCMT",
                      "enableMBM"]),
    (linux.MemoryPolicy, ["mode", "nodes", "flags"]),
    (state.State, ["ociVersion", "id", "status", "pid", "bundle", "annotations"]),
    (state.ContainerProcessState, ["ociVersion", "fds", "pid", "metadata", "state"]),
    (features.Features, ["ociVersionMin", "ociVersionMax", "hooks", "mountOptions", "linux", "annotations",
                         "potentiallyUnsafeConfigAnnotations"]),
    (features.LinuxFeatures, ["namespaces", "capabilities", "cgroup", "seccomp", "apparmor", "selinux",
                              "intelRdt", "memoryPolicy", "mountExtensions", "netDevices"]),
    (features.Cgroup, ["v1", "v2", "systemd", "systemdUser", "rdma"]),
    (features.SeccompFeatures, ["enabled", "actions", "operators", "archs", "knownFlags", "supportedFlags"]),
    (features.Enabled, ["enabled"]),
    (features.IntelRdtFeatures, ["enabled", "schemata", "monitoring"]),
    (features.MemoryPolicyFeatures, ["modes", "flags"]),
    (features.MountExtensions, ["idmap"]),
]


@pytest.mark.parametrize(("cls", "tags"), GO_TAGS, ids=[c.__name__ for c, _ in GO_TAGS])
def test_wire_names_match_runtime_spec(cls: type[Base], tags: list[str]) -> None:
    assert list(cls.__struct_encode_fields__) == tags


def _structs(module: object) -> list[type[Base]]:
    name = getattr(module, "__name__", "")
    found = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Base)]
    return [v for v in found if v.__module__ == name]


def test_every_struct_is_covered() -> None:
    covered = {c for c, _ in GO_TAGS}
    for module in (config, linux, state, features):
        for cls in _structs(module):
            assert cls in covered, f"{cls.__name__} has no wire-name test"


@pytest.mark.parametrize("cls", [c for c, _ in GO_TAGS], ids=[c.__name__ for c, _ in GO_TAGS])
def test_struct_config(cls: type[Base]) -> None:
    cfg = cls.__struct_config__
    assert cfg.frozen and cfg.omit_defaults
    assert not cfg.forbid_unknown_fields  # config.md "Extensibility": unknown properties are ignored


def test_direct_construction_checks_uint64() -> None:
    assert config.Rlimit(type="RLIMIT_CORE", hard=2**64 - 1, soft=0).hard == 2**64 - 1
    with pytest.raises(ValueError, match="`hard`"):
        config.Rlimit(type="RLIMIT_CORE", hard=2**64, soft=0)


def test_defaults_are_not_shared() -> None:
    a = linux.BlockIO()
    b = linux.BlockIO()
    assert a.throttle_read_iops_device is not b.throttle_read_iops_device
    assert codec.encode(a) == b"{}"
