"""Spec → Plan: resolve everything the init needs into builtins, and check it.

Pure apart from a few reads of the host (does the rootfs exist, which
capabilities does the kernel know): every error is an ``InvalidSpec`` naming the
JSON path of the offending field, raised before anything touches the kernel.

The spec comes from :mod:`hutch.spec.lite` in `create` (views with the model's
attribute names; no msgspec on this path) or from the msgspec model in tests: read
it by attribute (``_v``), and turn a part into JSON-shaped builtins with
``hutch.spec.lite.to_builtins`` (works on both), never ``msgspec.to_builtins``.
"""

from __future__ import annotations

import os

from hutch._sys import consts as C
from hutch.errors import InvalidSpec
from hutch.specconv import caps as capnames
from hutch.specconv import mountopts

TYPE_CHECKING = False  # typing costs ~10 ms of imports (re, enum...) on every create
if TYPE_CHECKING:
    from typing import Any

    from hutch.cgroups.devices import Rule as DeviceRule
    from hutch.spec.runtime.config import Spec
    from hutch.specconv.plan import (
        CapsPlan,
        DevicePlan,
        HookPlan,
        MountPlan,
        NamespacePlan,
        Plan,
        ProcessPlan,
    )

NAMESPACES: dict[str, int] = {
    "user": C.CLONE_NEWUSER,
    "pid": C.CLONE_NEWPID,
    "network": C.CLONE_NEWNET,
    "ipc": C.CLONE_NEWIPC,
    "uts": C.CLONE_NEWUTS,
    "mount": C.CLONE_NEWNS,
    "cgroup": C.CLONE_NEWCGROUP,
    "time": C.CLONE_NEWTIME,
}

RLIMITS: dict[str, int] = {
    "RLIMIT_CPU": 0,
    "RLIMIT_FSIZE": 1,
    "RLIMIT_DATA": 2,
    "RLIMIT_STACK": 3,
    "RLIMIT_CORE": 4,
    "RLIMIT_RSS": 5,
    "RLIMIT_NPROC": 6,
    "RLIMIT_NOFILE": 7,
    "RLIMIT_MEMLOCK": 8,
    "RLIMIT_AS": 9,
    "RLIMIT_LOCKS": 10,
    "RLIMIT_SIGPENDING": 11,
    "RLIMIT_MSGQUEUE": 12,
    "RLIMIT_NICE": 13,
    "RLIMIT_RTPRIO": 14,
    "RLIMIT_RTTIME": 15,
}

PROPAGATIONS: dict[str, int] = {
    "": 0,
    "shared": C.MS_SHARED | C.MS_REC,
    "rshared": C.MS_SHARED | C.MS_REC,
    "slave": C.MS_SLAVE | C.MS_REC,
    "rslave": C.MS_SLAVE | C.MS_REC,
    "private": C.MS_PRIVATE | C.MS_REC,
    "rprivate": C.MS_PRIVATE | C.MS_REC,
    "unbindable": C.MS_UNBINDABLE | C.MS_REC,
    "runbindable": C.MS_UNBINDABLE | C.MS_REC,
}

HOOK_KINDS = (
    ("prestart", "prestart"),
    ("create_runtime", "createRuntime"),
    ("create_container", "createContainer"),
    ("start_container", "startContainer"),
    ("poststart", "poststart"),
    ("poststop", "poststop"),
)


def _v(obj: object, name: str, default: Any = None) -> Any:
    """Attribute ``name`` of a spec struct, with UNSET and None both meaning absent."""
    value = getattr(obj, name, default)
    if value is None or type(value).__name__ == "UnsetType":
        return default
    return value


class Options:
    """Command-line options of `create`/`run` that shape the plan."""

    __slots__ = ("no_new_keyring", "no_pivot")

    def __init__(self, no_pivot: bool = False, no_new_keyring: bool = False) -> None:
        self.no_pivot = no_pivot
        self.no_new_keyring = no_new_keyring


def convert(spec: Spec, cid: str, bundle: str, opts: Options | None = None) -> Plan:
    opts = opts or Options()
    bundle = os.path.abspath(bundle)
    linux = _v(spec, "linux")
    root = _v(spec, "root")
    if root is None or not _v(root, "path"):
        raise InvalidSpec("root.path is required", "$.root.path")
    rootfs = os.path.normpath(os.path.join(bundle, root.path))
    if not os.path.isdir(rootfs):
        raise InvalidSpec(f"rootfs {rootfs} does not exist or is not a directory", "$.root.path")

    namespaces, new_flags, userns, join_userns = _namespaces(linux)
    proc = process_plan(_v(spec, "process"))
    uid_map = _idmap(_v(linux, "uid_mappings", []), "$.linux.uidMappings")
    gid_map = _idmap(_v(linux, "gid_mappings", []), "$.linux.gidMappings")
    if userns and not (uid_map and gid_map):
        raise InvalidSpec("a new user namespace needs uidMappings and gidMappings", "$.linux.uidMappings")
    if (uid_map or gid_map) and not (userns or join_userns):
        raise InvalidSpec("uidMappings/gidMappings need a user namespace", "$.linux.uidMappings")

    hostname = _v(spec, "hostname")
    domainname = _v(spec, "domainname")
    # a UTS namespace of the container's own: new, or joined by path (runc allows both)
    own_uts = any(ns["kind"] == C.CLONE_NEWUTS for ns in namespaces)
    if hostname is not None and not own_uts:
        raise InvalidSpec("cannot set hostname without a UTS namespace", "$.hostname")
    if domainname is not None and not own_uts:
        raise InvalidSpec("cannot set domainname without a UTS namespace", "$.domainname")

    offsets = _time_offsets(linux, new_flags)
    propagation_name = _v(linux, "rootfs_propagation", "")
    if propagation_name not in PROPAGATIONS:
        raise InvalidSpec(f"unknown rootfsPropagation {propagation_name!r}", "$.linux.rootfsPropagation")

    mounts = [_mount(m, i) for i, m in enumerate(_v(spec, "mounts", []))]
    sysctl = dict(_v(linux, "sysctl", {}))
    for key in sysctl:
        _check_sysctl(key, new_flags)
    devices = [_device(d, i) for i, d in enumerate(_v(linux, "devices", []))]
    resources = _resources(linux)

    plan: Plan = {
        "id": cid,
        "bundle": bundle,
        "rootfs": rootfs,
        "readonly_root": bool(_v(root, "readonly", False)),
        "no_pivot": opts.no_pivot,
        "namespaces": namespaces,
        "new_ns_flags": new_flags,
        "userns": userns,
        "join_userns": join_userns,
        "uid_map": uid_map,
        "gid_map": gid_map,
        "time_offsets": offsets,
        "hostname": hostname,
        "domainname": domainname,
        "mounts": mounts,
        "rootfs_propagation": PROPAGATIONS[propagation_name],
        "devices": devices,
        "masked_paths": list(_v(linux, "masked_paths", [])),
        "readonly_paths": list(_v(linux, "readonly_paths", [])),
        "sysctl": sysctl,
        "process": proc,
        "hooks": _hooks(spec),
        "lo_up": bool(new_flags & C.CLONE_NEWNET),
        "new_keyring": not opts.no_new_keyring,
        "cgroup_binds": [],
        "resources": resources,
        "device_rules": _device_rules(resources, devices),
        "seccomp": None,
    }
    return plan


def _resources(linux: object) -> dict[str, object] | None:
    """linux.resources as JSON-shaped builtins, checked (hutch.specconv.resources)."""
    res = _v(linux, "resources")
    if res is None:
        return None
    from hutch.spec.lite import to_builtins
    from hutch.specconv import resources

    return resources.check(to_builtins(res))


def _device_rules(resources: dict[str, object] | None, devices: list[DevicePlan]) -> list[DeviceRule]:
    """The device cgroup's rules: the config's, then runc's defaults (hutch.cgroups.devices),
    checked now for what the device cgroup cannot do."""
    from hutch.cgroups import devices as dev

    spec_rules: list[DeviceRule] = (resources or {}).get("devices", [])  # type: ignore[assignment]
    rules = dev.container_rules(spec_rules, [d["path"] for d in devices])
    try:
        dev.Ruleset.of(rules, "$.linux.resources.devices")
    except dev.DeviceRuleError as err:
        if err.index < len(spec_rules):
            raise InvalidSpec(err.reason, f"{err.where}[{err.index}]") from None
        r = rules[err.index]
        default = dev.rule_string(r["type"], r["major"], r["minor"], r["access"])
        raise InvalidSpec(f"conflicts with the default rule allowing {default}: {err.reason}",
                          err.where) from None
    return rules


def _namespaces(linux: object) -> tuple[list[NamespacePlan], int, bool, str]:
    seen: set[str] = set()
    out: list[NamespacePlan] = []
    flags = 0
    userns = False
    join_userns = ""
    for i, ns in enumerate(_v(linux, "namespaces", [])):
        where = f"$.linux.namespaces[{i}]"
        kind = ns.type
        if kind not in NAMESPACES:
            raise InvalidSpec(f"unknown namespace type {kind!r}", where + ".type")
        if kind in seen:
            raise InvalidSpec(f"namespace {kind!r} is listed twice", where)
        seen.add(kind)
        path = _v(ns, "path", "")
        if path:
            if not os.path.isabs(path) or not os.path.exists(path):
                raise InvalidSpec(f"namespace path {path} does not exist", where + ".path")
            if kind == "user":
                join_userns = path
        else:
            flags |= NAMESPACES[kind]
            userns = userns or kind == "user"
        out.append({"kind": NAMESPACES[kind], "path": path})
    return out, flags, userns, join_userns


def _idmap(maps: list[Any], where: str) -> str:
    lines = []
    for i, m in enumerate(maps):
        if m.size <= 0:
            raise InvalidSpec("mapping size must be positive", f"{where}[{i}].size")
        lines.append(f"{m.container_id} {m.host_id} {m.size}\n")
    return "".join(lines)


def _time_offsets(linux: object, flags: int) -> list[list[int]]:
    offsets = _v(linux, "time_offsets", {})
    if offsets and not flags & C.CLONE_NEWTIME:
        raise InvalidSpec("timeOffsets need a new time namespace", "$.linux.timeOffsets")
    out = []
    for name, off in offsets.items():
        if name not in ("monotonic", "boottime"):
            raise InvalidSpec(f"unknown clock {name!r}", f"$.linux.timeOffsets.{name}")
        out.append([0 if name == "monotonic" else 1, int(_v(off, "secs", 0)), int(_v(off, "nanosecs", 0))])
    return out


def process_plan(p: Any) -> ProcessPlan:
    """A spec Process (of config.json, or of `exec --process`) → ProcessPlan."""
    if p is None:
        raise InvalidSpec("process is required", "$.process")
    args = list(_v(p, "args", []))
    if not args:
        raise InvalidSpec("process.args must not be empty", "$.process.args")
    cwd = _v(p, "cwd", "/")
    if not cwd.startswith("/"):
        raise InvalidSpec(f"cwd {cwd!r} is not an absolute path", "$.process.cwd")
    user = _v(p, "user")
    rlimits = []
    seen: set[str] = set()
    for i, rl in enumerate(_v(p, "rlimits", [])):
        where = f"$.process.rlimits[{i}]"
        if rl.type not in RLIMITS:
            raise InvalidSpec(f"unknown rlimit type {rl.type!r}", where + ".type")
        if rl.type in seen:
            raise InvalidSpec(f"rlimit {rl.type} is set twice", where + ".type")
        seen.add(rl.type)
        if rl.soft > rl.hard:
            raise InvalidSpec(f"{rl.type}: soft limit {rl.soft} exceeds hard limit {rl.hard}", where)
        rlimits.append([RLIMITS[rl.type], _rlim(rl.soft), _rlim(rl.hard)])
    size = _v(p, "console_size")
    return {
        "args": args,
        "env": list(_v(p, "env", [])),
        "cwd": cwd,
        "uid": int(_v(user, "uid", 0)),
        "gid": int(_v(user, "gid", 0)),
        "additional_gids": [int(g) for g in _v(user, "additional_gids", [])],
        "umask": _v(user, "umask"),
        "rlimits": rlimits,
        "no_new_privs": bool(_v(p, "no_new_privileges", False)),
        "caps": _caps(_v(p, "capabilities")),
        "oom_score_adj": _v(p, "oom_score_adj"),
        "terminal": bool(_v(p, "terminal", False)),
        "console_size": [int(size.height), int(size.width)] if size is not None else None,
        "apparmor": str(_v(p, "apparmor_profile", "") or ""),
        "selinux_label": str(_v(p, "selinux_label", "") or ""),
    }


def _rlim(v: int) -> int:
    # RLIM_INFINITY is 2**64-1; Python's resource module spells it -1.
    return -1 if v >= 2**64 - 1 else int(v)


def _caps(c: object) -> CapsPlan | None:
    if c is None:
        return None
    last = capnames.last_cap()
    out: dict[str, int] = {}
    for name in ("bounding", "effective", "permitted", "inheritable", "ambient"):
        names = list(_v(c, name, []))
        mask, unknown = capnames.to_mask(names)
        if unknown:
            i = names.index(unknown[0])
            raise InvalidSpec(f"unknown capability {unknown[0]!r}", f"$.process.capabilities.{name}[{i}]")
        # A capability newer than this kernel cannot be granted; runc drops it with a warning.
        out[name] = mask & ((1 << (last + 1)) - 1)
    return {
        "bounding": out["bounding"],
        "effective": out["effective"],
        "permitted": out["permitted"],
        "inheritable": out["inheritable"],
        "ambient": out["ambient"],
    }


def _mount(m: Any, i: int) -> MountPlan:
    where = f"$.mounts[{i}]"
    dest = m.destination
    if not dest:
        raise InvalidSpec("mount destination is required", where + ".destination")
    if not dest.startswith("/"):
        dest = "/" + dest  # runtime-spec 1.0 allowed relative destinations; runc does this too
    if ".." in dest.split("/"):
        dest = os.path.normpath(dest)
    options = list(_v(m, "options", []))
    parsed = mountopts.parse(options)
    fstype = _v(m, "type", "") or ""
    bind = fstype == "bind" or bool(parsed.flags & C.MS_BIND)
    if bind:
        parsed.flags |= C.MS_BIND
        fstype = "bind"
    source = _v(m, "source", "") or ""
    if bind and not source:
        raise InvalidSpec("a bind mount needs a source", where + ".source")
    if not bind and not fstype:
        raise InvalidSpec("mount type is required for a non-bind mount", where + ".type")
    if _v(m, "uid_mappings") or _v(m, "gid_mappings"):
        raise InvalidSpec("idmapped mounts are not supported yet", where + ".uidMappings")
    return {
        "dest": dest,
        "type": fstype,
        "source": source,
        "flags": parsed.flags,
        "clear": parsed.clear,
        "propagation": parsed.propagation,
        "rec_set": parsed.rec_set,
        "rec_clear": parsed.rec_clear,
        "data": ",".join(parsed.data),
        "bind": bind,
        "extensions": parsed.extensions,
    }


_DEVICE_MODES = {"c": 0o020000, "u": 0o020000, "b": 0o060000, "p": 0o010000}


def _device(d: Any, i: int) -> DevicePlan:
    where = f"$.linux.devices[{i}]"
    if d.type not in _DEVICE_MODES:
        raise InvalidSpec(f"unknown device type {d.type!r}", where + ".type")
    if not d.path.startswith("/dev/"):
        raise InvalidSpec(f"device path {d.path!r} is not under /dev", where + ".path")
    if d.type != "p" and (_v(d, "major") is None or _v(d, "minor") is None):
        raise InvalidSpec("a device needs major and minor numbers", where)
    return {
        "path": os.path.normpath(d.path),
        "type": d.type,
        "major": int(_v(d, "major", 0)),
        "minor": int(_v(d, "minor", 0)),
        "mode": int(_v(d, "file_mode", 0o666)),
        "uid": int(_v(d, "uid", 0)),
        "gid": int(_v(d, "gid", 0)),
    }


def _hooks(spec: Spec) -> dict[str, list[HookPlan]]:
    hooks = _v(spec, "hooks")
    out: dict[str, list[HookPlan]] = {}
    for attr, name in HOOK_KINDS:
        items = []
        for i, h in enumerate(_v(hooks, attr, [])):
            if not h.path.startswith("/"):
                raise InvalidSpec(f"hook path {h.path!r} is not absolute", f"$.hooks.{name}[{i}].path")
            hook: HookPlan = {"path": h.path}
            if _v(h, "args"):
                hook["args"] = list(h.args)
            if _v(h, "env"):
                hook["env"] = list(h.env)
            timeout = _v(h, "timeout")
            if timeout is not None:
                if timeout <= 0:
                    raise InvalidSpec("hook timeout must be positive", f"$.hooks.{name}[{i}].timeout")
                hook["timeout"] = int(timeout)
            items.append(hook)
        if items:
            out[name] = items
    return out


_IPC_SYSCTLS = (
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
)


def _check_sysctl(key: str, flags: int) -> None:
    """Only namespaced sysctls may be set, and only with their namespace (runc's rule)."""
    where = f"$.linux.sysctl[{key!r}]"
    if key in _IPC_SYSCTLS or key.startswith("fs.mqueue."):
        if not flags & C.CLONE_NEWIPC:
            raise InvalidSpec(f"sysctl {key} needs a new IPC namespace", where)
    elif key.startswith("net."):
        if not flags & C.CLONE_NEWNET:
            raise InvalidSpec(f"sysctl {key} needs a new network namespace", where)
    elif key in ("kernel.hostname", "kernel.domainname"):
        raise InvalidSpec(f"sysctl {key} is not allowed: use hostname/domainname", where)
    else:
        raise InvalidSpec(f"sysctl {key} is not in a namespace the container owns", where)
    if "/" in key or ".." in key.split("."):
        raise InvalidSpec(f"bad sysctl name {key!r}", where)
