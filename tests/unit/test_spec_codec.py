"""spec.codec: config.json in and out, and the errors it gives (JSON paths, versions)."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from hutch.errors import InvalidSpec
from hutch.spec import codec
from hutch.spec.runtime.config import Process, Spec
from hutch.spec.runtime.features import Features
from hutch.spec.runtime.state import State

DATA = Path(__file__).parent / "data"
MINIMAL: dict[str, object] = {
    "ociVersion": "1.0.0",
    "root": {"path": "rootfs"},
    "process": {"cwd": "/", "args": ["sh"]},
}


def _with(**changes: object) -> bytes:
    """MINIMAL with dotted keys set, e.g. _with(**{"process.user": {"uid": "x"}})."""
    doc = json.loads(json.dumps(MINIMAL))
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = doc
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return json.dumps(doc).encode()


def _error(data: bytes) -> InvalidSpec:
    with pytest.raises(InvalidSpec) as info:
        codec.decode_config(data)
    return info.value


# -- the spec's own example ----------------------------------------------------------


def test_example_config_round_trips_byte_for_byte() -> None:
    # tests/unit/data/example-config.json is the "Configuration Schema Example" of
    # runtime-spec config.md (opencontainers/runtime-spec@6999a89).
    raw = (DATA / "example-config.json").read_bytes()
    spec = codec.load_config(str(DATA / "example-config.json"))
    assert json.loads(codec.encode(spec)) == json.loads(raw)
    assert codec.decode_config(codec.encode(spec)) == spec


def test_example_config_fields() -> None:
    spec = codec.load_config(str(DATA / "example-config.json"))
    assert spec.oci_version == "1.0.1"
    assert spec.process is not None and spec.linux is not None
    assert spec.process.user.additional_gids == [5, 6]
    assert spec.process.oom_score_adj == 100
    assert spec.process.io_priority is not None and spec.process.io_priority.class_ == "IOPRIO_CLASS_IDLE"
    assert spec.process.capabilities is not None
    assert spec.process.capabilities.ambient == ["CAP_NET_BIND_SERVICE"]
    assert spec.hooks is not None and spec.hooks.poststart[0].timeout == 5
    assert spec.linux.uid_mappings[0].host_id == 1000
    assert spec.linux.time_offsets["boottime"].secs == 604800
    res = spec.linux.resources
    assert res is not None and res.block_io is not None and res.memory is not None
    assert res.block_io.throttle_write_iops_device[0].rate == 300
    assert res.memory.kernel_tcp == -1 and res.memory.disable_oom_killer is False
    assert res.network is not None and res.network.class_id == 1048577
    assert spec.linux.seccomp is not None and spec.linux.seccomp.syscalls[0].action == "SCMP_ACT_ERRNO"


def test_minimal_config() -> None:
    spec = codec.decode_config(json.dumps(MINIMAL).encode())
    assert spec.root.path == "rootfs" and not spec.root.readonly
    assert spec.process is not None
    assert spec.process.args == ["sh"] and spec.process.user.uid == 0
    assert spec.process.oom_score_adj is msgspec.UNSET
    assert spec.process.user.umask is msgspec.UNSET
    assert spec.process.console_size is msgspec.UNSET
    assert spec.linux is None and spec.mounts == [] and spec.hostname is None
    # Fields come out in the order of runtime-spec's Go structs, as runc writes them.
    assert codec.encode(spec) == (
        b'{"ociVersion":"1.0.0","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"}}'
    )


def test_config_without_process_is_valid() -> None:
    assert codec.decode_config(b'{"ociVersion": "1.0.0", "root": {"path": "r"}}').process is None


def test_unset_and_zero_are_distinct() -> None:
    spec = codec.decode_config(_with(**{"process.oomScoreAdj": 0, "process.user": {"umask": 0}}))
    assert spec.process is not None
    assert spec.process.oom_score_adj == 0 and spec.process.user.umask == 0
    out = json.loads(codec.encode(spec))
    assert out["process"]["oomScoreAdj"] == 0 and out["process"]["user"]["umask"] == 0


def test_unknown_fields_are_ignored() -> None:
    data = _with(
        futureTopLevel={"x": 1},
        windows={"layerFolders": ["C:\\layers"]},
        **{"process.futureField": [1, 2], "linux.namespaces": [{"type": "pid", "extra": True}],
           "linux.futureLinux": 10**30},
    )
    spec = codec.decode_config(data)
    assert spec.linux is not None and spec.linux.namespaces[0].type == "pid"
    assert b"future" not in codec.encode(spec)


def test_null_means_absent() -> None:
    spec = codec.decode_config(_with(mounts=None, annotations=None, **{"process.env": None,
                                                                       "process.oomScoreAdj": None}))
    assert spec.mounts == [] and spec.annotations == {}
    assert spec.process is not None and spec.process.env == []
    assert spec.process.oom_score_adj is msgspec.UNSET


def test_uint64_max_is_accepted_and_one_more_is_not() -> None:
    rlimit = {"type": "RLIMIT_NOFILE", "hard": 2**64 - 1, "soft": 2**64 - 1}
    spec = codec.decode_config(_with(**{"process.rlimits": [rlimit]}))
    assert spec.process is not None and spec.process.rlimits[0].hard == 2**64 - 1
    err = _error(_with(**{"process.rlimits": [{**rlimit, "soft": 2**64}]}))
    assert err.jsonpath == "$.process.rlimits[0].soft"


def test_features_and_state_decode() -> None:
    features = codec.decode(
        b'{"ociVersionMin": "1.0.0", "ociVersionMax": "1.3.0", "hooks": [],'
        b' "linux": {"namespaces": ["pid"], "cgroup": {"v2": true},'
        b' "mountExtensions": {"idmap": {"enabled": false}}, "memoryPolicy": {"modes": ["MPOL_BIND"]}}}',
        Features,
    )
    assert features.hooks == [] and features.mount_options is None
    assert features.linux is not None and features.linux.cgroup is not None
    assert features.linux.cgroup.v2 is True and features.linux.cgroup.v1 is None
    assert features.linux.mount_extensions is not None
    assert features.linux.mount_extensions.idmap is not None
    assert features.linux.mount_extensions.idmap.enabled is False
    state = codec.decode(
        b'{"ociVersion": "1.3.0", "id": "c1", "status": "running", "pid": 42, "bundle": "/b",'
        b' "rootfs": "/b/rootfs", "created": "2024-01-01T00:00:00Z"}',
        State,
    )
    assert (state.id, state.status, state.pid) == ("c1", "running", 42)
    assert codec.encode(State(oci_version="1.3.0", id="c", status="stopped", bundle="/b")) == (
        b'{"ociVersion":"1.3.0","id":"c","status":"stopped","bundle":"/b"}'
    )


def test_decode_process_for_exec() -> None:
    proc = codec.decode_process(b'{"args": ["ls"], "cwd": "/tmp", "user": {"uid": 1000}}')
    assert isinstance(proc, Process) and proc.user.uid == 1000
    with pytest.raises(InvalidSpec) as info:
        codec.decode_process(b'{"args": [], "cwd": "/"}')
    assert info.value.jsonpath == "$.args"


def test_encode_pretty() -> None:
    spec = codec.decode_config(json.dumps(MINIMAL).encode())
    text = codec.encode_pretty(spec, indent="\t").decode()
    assert text.endswith("}\n")
    assert '\n\t"root": {\n\t\t"path": "rootfs"\n\t}\n}' in text
    assert json.loads(text) == MINIMAL
    assert '\n    "ociVersion"' in codec.encode_pretty(spec).decode()


# -- errors: readable message, exact JSON path ----------------------------------------


@pytest.mark.parametrize(
    ("changes", "jsonpath", "words"),
    [
        ({"process.user": {"uid": "0"}}, "$.process.user.uid", "Expected `int`, got `str`"),
        ({"process.user": {"uid": -1}}, "$.process.user.uid", ">= 0"),
        ({"process.user": {"gid": 2**32}}, "$.process.user.gid", "<= 4294967295"),
        ({"process.user": {"additionalGids": [1, -5]}}, "$.process.user.additionalGids[1]", ">= 0"),
        ({"process.args": []}, "$.process.args", "length >= 1"),
        ({"process.args": "sh"}, "$.process.args", "Expected `array`"),
        ({"process.rlimits": [{"type": "NOFILE", "hard": 1, "soft": 1}]},
         "$.process.rlimits[0].type", "RLIMIT_"),
        ({"process.rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1}]},
         "$.process.rlimits[0].soft", "missing required field `soft`"),
        ({"process.ioPriority": {"class": "IOPRIO_CLASS_NONE"}}, "$.process.ioPriority.class", "enum"),
        ({"process.scheduler": {"policy": "SCHED_OTHER", "nice": 2**31}}, "$.process.scheduler.nice", "<="),
        ({"process.execCPUAffinity": {"initial": "0-3;7"}}, "$.process.execCPUAffinity.initial", "regex"),
        ({"process.consoleSize": {"height": 24}}, "$.process.consoleSize.width", "missing required"),
        ({"mounts": [{"type": "tmpfs"}]}, "$.mounts[0].destination", "missing required field"),
        ({"hooks": {"poststop": [{"path": "/bin/x", "timeout": 0}]}}, "$.hooks.poststop[0].timeout", ">= 1"),
        ({"linux": {"namespaces": [{"type": "net"}]}}, "$.linux.namespaces[0].type",
         "Invalid enum value 'net'"),
        ({"linux": {"namespaces": [{"path": "/proc/1/ns/pid"}]}}, "$.linux.namespaces[0].type",
         "missing required field `type`"),
        ({"linux": {"uidMappings": [{"containerID": 0, "hostID": 1000}]}}, "$.linux.uidMappings[0].size",
         "missing required"),
        ({"linux": {"devices": [{"path": "/dev/x", "type": "x"}]}}, "$.linux.devices[0].type", "enum"),
        ({"linux": {"devices": [{"path": "/dev/x", "type": "c", "fileMode": 0o10000}]}},
         "$.linux.devices[0].fileMode", "<="),
        ({"linux": {"rootfsPropagation": "sharedd"}}, "$.linux.rootfsPropagation", "enum"),
        ({"linux": {"resources": {"devices": [{"allow": True, "access": 7}]}}},
         "$.linux.resources.devices[0].access", "got `int`"),
        ({"linux": {"resources": {"blockIO": {"weight": 70000}}}}, "$.linux.resources.blockIO.weight", "<="),
        ({"linux": {"resources": {"hugepageLimits": [{"pageSize": "64kB", "limit": 1}]}}},
         "$.linux.resources.hugepageLimits[0].pageSize", "regex"),
        ({"linux": {"resources": {"memory": {"disableOOMKiller": 1}}}},
         "$.linux.resources.memory.disableOOMKiller", "got `int`"),
        ({"linux": {"resources": {"rdma": {"mlx5_1": {"hcaHandles": "3"}}}}},
         "$.linux.resources.rdma[...].hcaHandles", "got `str`"),
        ({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_DENY"}}}, "$.linux.seccomp.defaultAction", "enum"),
        ({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}]}]}}},
         "$.linux.seccomp.syscalls[0].args[0].op", "enum"),
        ({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": [], "action": "SCMP_ACT_ALLOW"}]}}}, "$.linux.seccomp.syscalls[0].names", "length"),
        ({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_Z80"]}}},
         "$.linux.seccomp.architectures[0]", "enum"),
        ({"linux": {"timeOffsets": {"realtime": {"secs": 1}}}}, "$.linux.timeOffsets", "object key"),
        ({"linux": {"personality": {"flags": []}}}, "$.linux.personality.domain", "missing required"),
        ({"linux": {"memoryPolicy": {"mode": "MPOL_BIND", "flags": ["MPOL_F_X"]}}},
         "$.linux.memoryPolicy.flags[0]", "enum"),
        ({"root": {"readonly": True}}, "$.root.path", "missing required field `path`"),
        ({"annotations": {"k": 1}}, "$.annotations[...]", "Expected `str`"),
    ],
)
def test_invalid_field_gives_its_json_path(changes: dict[str, object], jsonpath: str, words: str) -> None:
    err = _error(_with(**changes))
    assert err.jsonpath == jsonpath
    assert words in str(err)
    assert str(err).startswith("invalid config.json: ")
    assert str(err).endswith(f" at {jsonpath}")
    assert " - at `" not in str(err)


def test_error_message_shape() -> None:
    err = _error(_with(**{"process.user": {"uid": "x"}}))
    assert str(err) == "invalid config.json: Expected `int`, got `str` at $.process.user.uid"


@pytest.mark.parametrize(
    ("data", "jsonpath"),
    [
        (b'{"root": {"path": "r"}}', "$.ociVersion"),
        (b'{"ociVersion": 1, "root": {"path": "r"}}', "$.ociVersion"),
        (b'{"ociVersion": "1.0.0"}', "$.root"),
        (b"[]", "$"),
    ],
)
def test_missing_or_mistyped_top_level(data: bytes, jsonpath: str) -> None:
    assert _error(data).jsonpath == jsonpath


@pytest.mark.parametrize(
    "data",
    [b"", b"{", b'{"ociVersion": "1.0.0",}', b"\xff", b'{"ociVersion": "1.0.0", "root": {"path": "r"}} x'],
)
def test_malformed_json(data: bytes) -> None:
    err = _error(data)
    assert "malformed JSON" in str(err) and err.jsonpath == ""


@pytest.mark.parametrize(
    "version", ["1.0.0", "1.0.2", "1.1.0", "1.2.1", "1.3.0", "1.0.2-dev", "1.3.0+dev", "1.0.0-rc5", "1.4.0"]
)
def test_supported_versions(version: str) -> None:
    assert codec.decode_config(_with(ociVersion=version)).oci_version == version


@pytest.mark.parametrize(
    "version", ["2.0.0", "0.5.0-dev", "foo", "", "1", "1.0", "1.x.0", "v1.0.0", "1.0.0 "]
)
def test_unsupported_versions(version: str) -> None:
    err = _error(_with(ociVersion=version))
    assert err.jsonpath == "$.ociVersion"
    assert "unsupported ociVersion" in str(err) and repr(version) in str(err)


def test_bad_version_is_reported_before_shape_errors() -> None:
    err = _error(b'{"ociVersion": "2.0.0", "root": "rootfs", "process": []}')
    assert err.jsonpath == "$.ociVersion" and "2.0.0" in str(err)


def test_load_config_unreadable(tmp_path: Path) -> None:
    with pytest.raises(InvalidSpec, match=r"cannot read .*nope\.json: No such file"):
        codec.load_config(str(tmp_path / "nope.json"))
    with pytest.raises(InvalidSpec, match="cannot read"):
        codec.load_config(str(tmp_path))


def test_errors_keep_their_cause() -> None:
    err = _error(_with(**{"process.user": {"uid": "x"}}))
    assert isinstance(err.__cause__, msgspec.ValidationError)


def test_spec_is_frozen() -> None:
    spec = codec.decode_config(json.dumps(MINIMAL).encode())
    with pytest.raises(AttributeError):
        spec.hostname = "x"  # type: ignore[misc]
    assert isinstance(spec, Spec)
