"""spec.defaults (what `hutch-runtime spec` writes) and runtime-spec's own schema test documents."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hutch import OCI_VERSION
from hutch.errors import InvalidSpec
from hutch.spec import codec
from hutch.spec.defaults import default_spec
from hutch.spec.runtime.features import Features

SCHEMA_TESTS = Path(__file__).parent / "data" / "runtime-spec"  # runtime-spec@6999a89 schema/test/


@pytest.mark.parametrize("rootless", [False, True])
@pytest.mark.parametrize("cgroupns", [False, True, None])
def test_default_spec_decodes_and_round_trips(rootless: bool, cgroupns: bool | None) -> None:
    doc = default_spec(rootless, cgroupns=cgroupns)
    spec = codec.decode_config(json.dumps(doc, indent="\t").encode())
    assert codec.decode_config(codec.encode(spec)) == spec
    # Every key is a spec field (nothing dropped as unknown) and comes out in runc's order;
    # only the zero uid/gid, which runc prints and omit_defaults drops, differ.
    expected = json.loads(json.dumps(doc))
    assert expected["process"]["user"] == {"uid": 0, "gid": 0}
    expected["process"]["user"] = {}
    assert codec.encode_pretty(spec, indent="\t") == json.dumps(expected, indent="\t").encode() + b"\n"


def test_default_spec_matches_runc() -> None:
    doc = default_spec(cgroupns=True)
    spec = codec.decode_config(codec.encode(doc))
    assert spec.oci_version == OCI_VERSION and spec.hostname == "hutch"
    assert spec.root.path == "rootfs" and spec.root.readonly
    proc = spec.process
    assert proc is not None and proc.capabilities is not None
    assert proc.terminal and proc.args == ["sh"] and proc.cwd == "/" and proc.no_new_privileges
    assert proc.env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"]
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    assert proc.capabilities.bounding == proc.capabilities.effective == proc.capabilities.permitted == caps
    assert proc.capabilities.ambient == [] and proc.capabilities.inheritable == []
    assert [(r.type, r.soft, r.hard) for r in proc.rlimits] == [("RLIMIT_NOFILE", 1024, 1024)]
    assert [m.destination for m in spec.mounts] == [
        "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
    ]
    assert spec.mounts[5].options == ["nosuid", "noexec", "nodev", "ro"]
    assert spec.linux is not None and spec.linux.resources is not None
    assert [(d.allow, d.access) for d in spec.linux.resources.devices] == [(False, "rwm")]
    assert [n.type for n in spec.linux.namespaces] == ["pid", "network", "ipc", "uts", "mount", "cgroup"]
    assert "/proc/kcore" in spec.linux.masked_paths and "/proc/sys" in spec.linux.readonly_paths
    assert spec.linux.uid_mappings == []
    assert "cgroup" not in [n["type"] for n in default_spec(cgroupns=False)["linux"]["namespaces"]]  # type: ignore[index]


def test_default_spec_rootless_matches_runc() -> None:
    spec = codec.decode_config(codec.encode(default_spec(rootless=True, cgroupns=True)))
    assert spec.linux is not None
    assert [n.type for n in spec.linux.namespaces] == ["pid", "ipc", "uts", "mount", "cgroup", "user"]
    assert [(m.container_id, m.host_id, m.size) for m in spec.linux.uid_mappings] == [(0, os.geteuid(), 1)]
    assert [(m.container_id, m.host_id, m.size) for m in spec.linux.gid_mappings] == [(0, os.getegid(), 1)]
    assert spec.linux.resources is None
    mounts = {m.destination: m for m in spec.mounts}
    assert (mounts["/sys"].type, mounts["/sys"].source) == ("none", "/sys")
    assert mounts["/sys"].options == ["rbind", "nosuid", "noexec", "nodev", "ro"]
    assert "gid=5" not in mounts["/dev/pts"].options
    assert mounts["/dev/mqueue"].options == ["nosuid", "noexec", "nodev"]
    assert "/sys/fs/cgroup" in mounts  # runc keeps it


def test_default_spec_returns_fresh_lists() -> None:
    a = default_spec()
    a["linux"]["maskedPaths"].append("/x")  # type: ignore[index]
    assert "/x" not in default_spec()["linux"]["maskedPaths"]  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEMA_TESTS.glob("config-good-*.json")))
def test_schema_good_configs(name: str) -> None:
    codec.load_config(str(SCHEMA_TESTS / name))


@pytest.mark.parametrize(
    ("name", "jsonpath"),
    [
        ("config-bad-invalid-json.json", ""),
        ("config-bad-linux-hugepage.json", "$.linux.resources.hugepageLimits[0].pageSize"),
        ("config-bad-linux-netdevice.json", "$.linux.netDevices[...].name"),
        ("config-bad-linux-rdma.json", "$.linux.resources.rdma[...].hcaHandles"),
    ],
)
def test_schema_bad_configs(name: str, jsonpath: str) -> None:
    with pytest.raises(InvalidSpec) as info:
        codec.load_config(str(SCHEMA_TESTS / name))
    assert info.value.jsonpath == jsonpath


def test_schema_features() -> None:
    runc = codec.decode((SCHEMA_TESTS / "features-good-runc.json").read_bytes(), Features)
    assert runc.oci_version_max == "1.0.2-dev"
    assert runc.linux is not None and runc.linux.seccomp is not None
    assert "SCMP_ACT_NOTIFY" in (runc.linux.seccomp.actions or [])
    assert runc.annotations is not None
    with pytest.raises(InvalidSpec) as info:
        codec.decode((SCHEMA_TESTS / "features-bad-missing-ociVersionMax.json").read_bytes(), Features)
    assert info.value.jsonpath == "$.ociVersionMax"
