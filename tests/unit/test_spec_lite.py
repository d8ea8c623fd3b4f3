"""The lite decoder (no msgspec) agrees with the msgspec codec on every document.

`create` decodes config.json with :mod:`hutch.spec.lite`; the msgspec model stays the
definition. These tests hold the two together: the generated tables are current, and
for valid documents and for thousands of one-field mutations of them both decoders
accept the same documents with the same content, or fail with the same message at the
same JSON path.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from hutch.errors import InvalidSpec
from hutch.spec import codec, lite, schema
from hutch.spec.defaults import default_spec
from tests.support.bundles import default_config

DATA = Path(__file__).parent / "data"
TABLES = Path(lite.__file__).with_name("_tables.py")

# Values that are wrong somewhere, or right somewhere else.
PROBES: list[object] = [
    "x", "", "RLIMIT_X", "0-1", "rwm", "2MB", "MB:0=10", -1, 0, 1, 2**31, 2**32, 2**63, 2**64,
    2**64 - 1, 2**70, 1.5, True, False, None, [], ["x"], [None], [1], {}, {"a": None}, {"a": "b"},
    {"type": "pid"}, {"monotonic": {}},
]


def _docs() -> list[dict[str, Any]]:
    docs = [
        json.loads((DATA / "example-config.json").read_text()),
        default_config(["sh"]),
        msgspec.to_builtins(default_spec(rootless=False)),
        msgspec.to_builtins(default_spec(rootless=True)),
    ]
    rich = default_config(["sh", "-c", "true"])
    rich["process"].update(
        consoleSize={"height": 24, "width": 80}, oomScoreAdj=-5, scheduler={"policy": "SCHED_OTHER"},
        ioPriority={"class": "IOPRIO_CLASS_BE"}, execCPUAffinity={"initial": "0-1"},
        rlimits=[{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    )
    rich["process"]["user"].update(umask=18, additionalGids=[5, 6])
    rich["hooks"] = {"prestart": [{"path": "/bin/true", "args": ["true"], "timeout": 3}]}
    rich["linux"].update(
        uidMappings=[{"containerID": 0, "hostID": 1000, "size": 10}],
        timeOffsets={"monotonic": {"secs": 1, "nanosecs": 0}},
        resources={
            "devices": [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 1}],
            "memory": {"limit": 1 << 20, "swappiness": 10}, "cpu": {"shares": 2, "cpus": "0"},
            "pids": {"limit": 10}, "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
            "blockIO": {"weight": 10, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1}]},
            "network": {"classID": 1, "priorities": [{"name": "lo", "priority": 1}]},
            "rdma": {"mlx": {"hcaHandles": 1}}, "unified": {"memory.high": "1"},
        },
        seccomp={"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{
            "names": ["read"], "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}],
        }]},
        intelRdt={"closID": "x", "memBwSchema": "MB:0=10"}, personality={"domain": "LINUX"},
        memoryPolicy={"mode": "MPOL_BIND", "nodes": "0"}, netDevices={"eth0": {"name": "x"}},
    )
    docs.append(rich)
    return docs


def _outcome(decode: Any, to_builtins: Any, data: bytes) -> tuple[str, object]:
    try:
        return "ok", to_builtins(decode(data))
    except InvalidSpec as err:
        return "error", str(err)


def _compare(data: bytes, process: bool = False) -> None:
    if process:
        want = _outcome(codec.decode_process, msgspec.to_builtins, data)
        got = _outcome(lite.decode_process, lite.to_builtins, data)
    else:
        want = _outcome(codec.decode_config, msgspec.to_builtins, data)
        got = _outcome(lite.decode_config, lite.to_builtins, data)
    assert got == want, data.decode()[:2000]


def _paths(obj: object, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*path, i))


def _replace(doc: object, path: tuple[Any, ...], value: object, delete: bool = False) -> object:
    doc = copy.deepcopy(doc)
    parent: Any = doc
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def test_tables_are_generated_from_the_current_model() -> None:
    assert TABLES.read_text() == schema.render(), f"run: .venv/bin/python -m hutch.spec.schema > {TABLES}"


def test_lite_decoder_imports_neither_msgspec_nor_typing() -> None:
    code = "import hutch.spec.lite, sys; print(' '.join(sys.modules))"
    mods = set(subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                              check=True).stdout.split())
    assert not mods & {"msgspec", "typing", "re", "json", "enum"}


@pytest.mark.parametrize("index", range(len(_docs())))
def test_valid_documents_decode_alike(index: int) -> None:
    doc = _docs()[index]
    _compare(json.dumps(doc).encode())
    assert _outcome(lite.decode_config, lite.to_builtins, json.dumps(doc).encode())[0] == "ok"


@pytest.mark.parametrize("index", range(len(_docs())))
def test_every_one_field_mutation_decodes_alike(index: int) -> None:
    doc = _docs()[index]
    count = 0
    for path in _paths(doc):
        if not path:
            continue
        _compare(json.dumps(_replace(doc, path, None, delete=True)).encode())
        for probe in PROBES:
            _compare(json.dumps(_replace(doc, path, probe)).encode())
            count += 1
    assert count > 100


@pytest.mark.parametrize("key", ["process", "linux", "hooks", "root", "mounts", "annotations"])
@pytest.mark.parametrize("probe", PROBES, ids=repr)
def test_new_and_replaced_top_level_fields_decode_alike(key: str, probe: object) -> None:
    doc = default_config(["sh"])
    doc[key] = probe
    _compare(json.dumps(doc).encode())


@pytest.mark.parametrize(
    "data",
    [b"[]", b"1", b'"x"', b"null", b'{"ociVersion": "2.0.0"}', b'{"ociVersion": "2.0.0", "root": 1}',
     b'{"ociVersion": "1.0.0", "root": {"path": "r"}}', b'{"ociVersion": "1.0.0"}',
     b'{"ociVersion": "1.2.0", "root": {"path": "r"}, "process": {"args": ["x"], "cwd": "/"}, "x": NaN}'],
)
def test_small_documents_decode_alike(data: bytes) -> None:
    want = _outcome(codec.decode_config, msgspec.to_builtins, data)
    got = _outcome(lite.decode_config, lite.to_builtins, data)
    assert got[0] == want[0]
    if want[0] == "ok" or "malformed" not in str(want[1]):
        assert got == want


def test_process_documents_decode_alike() -> None:
    proc = default_config(["sh"])["process"]
    _compare(json.dumps(proc).encode(), process=True)
    for path in _paths(proc):
        if path:
            for probe in PROBES:
                _compare(json.dumps(_replace(proc, path, probe)).encode(), process=True)


def test_malformed_json_is_one_clear_error() -> None:
    for data in (b"{", b'{"a": 1} x', b"\xff", b"", b'{"a": Infinity}'):
        with pytest.raises(InvalidSpec, match="malformed JSON"):
            lite.decode_config(data)
