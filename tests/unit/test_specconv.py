"""Spec → Plan conversion and validation: every error names its JSON path. No root needed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hutch._sys import consts as C
from hutch.errors import InvalidSpec
from hutch.spec import codec
from hutch.specconv.convert import convert

BASE: dict[str, Any] = {
    "ociVersion": "1.2.0",
    "root": {"path": "rootfs", "readonly": True},
    "process": {
        "args": ["sh"],
        "cwd": "/",
        "env": ["PATH=/bin"],
        "user": {"uid": 1, "gid": 2, "additionalGids": [3]},
        "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                         "permitted": ["CAP_KILL"]},
        "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 20}],
    },
    "hostname": "h",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "ro", "rprivate"]},
    ],
    "linux": {"namespaces": [{"type": t} for t in ("pid", "mount", "uts", "network")]},
}


def plan_of(tmp_path: Path, cfg: dict[str, Any]) -> Any:
    (tmp_path / "rootfs").mkdir(exist_ok=True)
    spec = codec.decode_config(json.dumps(cfg).encode())
    return convert(spec, "c1", str(tmp_path))


def error_of(tmp_path: Path, cfg: dict[str, Any]) -> InvalidSpec:
    with pytest.raises(InvalidSpec) as exc:
        plan_of(tmp_path, cfg)
    return exc.value


def with_(path: str, value: Any) -> dict[str, Any]:
    cfg = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = cfg
    for p in parents:
        node = node[int(p)] if p.isdigit() else node.setdefault(p, {})
    node[last] = value
    return cfg


def test_plan_is_resolved(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, BASE)
    assert plan["rootfs"] == str(tmp_path / "rootfs")
    assert plan["new_ns_flags"] == C.CLONE_NEWPID | C.CLONE_NEWNS | C.CLONE_NEWUTS | C.CLONE_NEWNET
    assert plan["lo_up"] is True
    proc = plan["process"]
    assert proc["uid"] == 1 and proc["gid"] == 2 and proc["additional_gids"] == [3]
    assert proc["caps"]["bounding"] == 1 << 5
    assert proc["rlimits"] == [[7, 10, 20]]
    data = plan["mounts"][1]
    assert data["bind"] and data["flags"] == C.MS_BIND | C.MS_REC | C.MS_RDONLY
    assert data["propagation"] == [C.MS_PRIVATE | C.MS_REC]
    # the plan is builtins only: it survives the wire format unchanged
    from hutch.specconv.plan import decode, encode

    assert decode(encode(plan)) == plan


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        ("process.capabilities.effective", ["CAP_KILL", "CAP_NOPE"], "$.process.capabilities.effective[1]"),
        ("process.rlimits", [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}], "$.process.rlimits[0].type"),
        ("process.rlimits", [{"type": "RLIMIT_NOFILE", "soft": 9, "hard": 1}], "$.process.rlimits[0]"),
        ("process.cwd", "relative", "$.process.cwd"),
        ("process.args", [], "$.process.args"),
        ("linux.namespaces", [{"type": "pid"}, {"type": "pid"}], "$.linux.namespaces[1]"),
        ("linux.namespaces", [{"type": "mount"}], "$.hostname"),  # no UTS namespace at all
        ("linux.uidMappings", [{"containerID": 0, "hostID": 1000, "size": 1}], "$.linux.uidMappings"),
        ("linux.timeOffsets", {"boottime": {"secs": 1}}, "$.linux.timeOffsets"),
        ("linux.sysctl", {"kernel.panic": "1"}, "$.linux.sysctl['kernel.panic']"),
        ("linux.devices", [{"type": "c", "path": "/etc/evil", "major": 1, "minor": 3}],
         "$.linux.devices[0].path"),
        ("hooks", {"prestart": [{"path": "relative/hook"}]}, "$.hooks.prestart[0].path"),
        ("linux.namespaces", [{"type": "net", "path": "/nonexistent/ns"}], "$.linux.namespaces[0].type"),
    ],
)
def test_invalid_values_name_their_path(tmp_path: Path, path: str, value: Any, where: str) -> None:
    err = error_of(tmp_path, with_(path, value))
    assert err.jsonpath == where, str(err)
    assert where in str(err) or err.jsonpath == where


def test_user_namespace_needs_mappings_and_gets_them(tmp_path: Path) -> None:
    cfg = copy.deepcopy(BASE)
    cfg["linux"]["namespaces"].append({"type": "user"})
    assert error_of(tmp_path, cfg).jsonpath == "$.linux.uidMappings"
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    plan = plan_of(tmp_path, cfg)
    assert plan["userns"] and plan["uid_map"] == "0 100000 65536\n"


def test_sysctls_need_their_namespace(tmp_path: Path) -> None:
    cfg = with_("linux.sysctl", {"net.ipv4.ip_forward": "1"})
    cfg["linux"]["namespaces"] = [{"type": "mount"}, {"type": "uts"}]
    assert "network namespace" in str(error_of(tmp_path, cfg))
    cfg = with_("linux.sysctl", {"kernel.shmmax": "1"})
    assert "IPC namespace" in str(error_of(tmp_path, cfg))


def test_missing_root_and_process(tmp_path: Path) -> None:
    cfg = copy.deepcopy(BASE)
    del cfg["process"]
    assert error_of(tmp_path, cfg).jsonpath == "$.process"
    cfg = copy.deepcopy(BASE)
    cfg["root"]["path"] = "missing"
    assert error_of(tmp_path, cfg).jsonpath == "$.root.path"


def test_relative_mount_destination_and_propagation(tmp_path: Path) -> None:
    cfg = copy.deepcopy(BASE)
    cfg["mounts"].append({"destination": "rel", "type": "tmpfs", "source": "tmpfs"})
    cfg["linux"]["rootfsPropagation"] = "rshared"
    plan = plan_of(tmp_path, cfg)
    assert plan["mounts"][-1]["dest"] == "/rel"
    assert plan["rootfs_propagation"] == C.MS_SHARED | C.MS_REC
