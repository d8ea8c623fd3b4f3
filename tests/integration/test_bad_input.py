"""Bad input: one line on stderr naming the problem, a non-zero exit, nothing left behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.leaks import cgroup_dirs

pytestmark = pytest.mark.root


def processes_of(cid: str) -> set[int]:
    out = subprocess.run(["pgrep", "-f", cid], capture_output=True, text=True, check=False)
    return {int(p) for p in out.stdout.split()}


def assert_clean_failure(r: Any, runtime: Any, cid: str, *words: str) -> None:
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, f"want one line, got: {r.stderr!r}"
    assert "Traceback" not in r.stderr
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    assert not os.path.exists(os.path.join(runtime.root, cid)), "a state dir was left"
    assert not cgroup_dirs(cid), "a cgroup was left"


def create(runtime: Any, bundle: Any, cid: str) -> Any:
    return runtime("create", "--bundle", str(bundle.path), cid, check=False)


def test_missing_bundle(runtime: Any, unique_id: Any, tmp_path: Path) -> None:
    cid = unique_id()
    r = runtime("create", "--bundle", str(tmp_path / "nope"), cid, check=False)
    assert_clean_failure(r, runtime, cid, "bundle", "nope")


def test_missing_config(runtime: Any, bundle: Any, unique_id: Any) -> None:
    (bundle.path / "config.json").unlink()
    cid = unique_id()
    assert_clean_failure(create(runtime, bundle, cid), runtime, cid, "config.json")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{", ["malformed JSON"]),
        ("[]", ["Expected `object`"]),
        ('{"ociVersion": "2.0.0"}', ["ociVersion", "2.0.0"]),
        ('{"ociVersion": "1.0.0", "root": {"path": "rootfs"}, "process": {"cwd": "/", '
         '"args": ["true"], "user": {"uid": "zero", "gid": 0}}}', ["$.process.user.uid"]),
        ('{"ociVersion": "1.0.0", "root": {"path": "rootfs"}, "process": {"cwd": "/", '
         '"args": ["true"]}, "linux": {"namespaces": [{"type": "bogus"}]}}',
         ["$.linux.namespaces[0].type"]),
    ],
)
def test_malformed_or_invalid_config(runtime: Any, bundle: Any, unique_id: Any, text: str,
                                     words: list[str]) -> None:
    (bundle.path / "config.json").write_text(text)
    cid = unique_id()
    assert_clean_failure(create(runtime, bundle, cid), runtime, cid, *words)


def test_unknown_config_properties_are_ignored(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["someFutureField"] = {"x": 1}
    bundle.config["process"]["newThing"] = True
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), unique_id())
    assert r.returncode == 0


def test_missing_rootfs(runtime: Any, bundle: Any, unique_id: Any) -> None:
    shutil.rmtree(bundle.rootfs)
    cid = unique_id()
    assert_clean_failure(create(runtime, bundle, cid), runtime, cid, "rootfs", "$.root.path")


def test_unknown_capability(runtime: Any, bundle: Any, unique_id: Any) -> None:
    caps = bundle.config["process"]["capabilities"]
    caps["effective"] = [*caps["effective"], "CAP_TELEPORT"]
    bundle.write()
    cid = unique_id()
    assert_clean_failure(create(runtime, bundle, cid), runtime, cid, "CAP_TELEPORT",
                         "$.process.capabilities.effective[3]")


def test_program_not_found(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["process"]["args"] = ["no-such-program"]
    bundle.write()
    cid = unique_id()
    assert_clean_failure(create(runtime, bundle, cid), runtime, cid, "no-such-program",
                         "not found")
    assert not processes_of(cid)


def test_bad_mount_fails_cleanly(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path) -> None:
    bundle.config["mounts"].append({"destination": "/x", "type": "bind",
                                    "source": str(tmp_path / "absent"), "options": ["bind"]})
    bundle.write()
    cid = unique_id()
    assert_clean_failure(create(runtime, bundle, cid), runtime, cid, "absent")


@pytest.mark.parametrize("cid", ["../x", "a/b", ".", "a b", ""])
def test_bad_ids(runtime: Any, bundle: Any, cid: str) -> None:
    r = create(runtime, bundle, cid)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1
    assert "id" in r.stderr
    assert not os.path.exists(os.path.join(os.path.dirname(runtime.root), "x"))
    assert not os.path.exists(os.path.join(runtime.root, "a"))


def test_duplicate_id(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    runtime("create", "--bundle", str(bundle.path), cid)
    r = create(runtime, bundle, cid)
    assert r.returncode != 0 and "already exists" in r.stderr
    assert json.loads(runtime("state", cid).stdout)["status"] == "created", "the first is untouched"
    runtime("delete", "--force", cid)


def test_unknown_signal_and_container(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    runtime("run", "--detach", "--bundle", str(bundle.path), cid)
    for sig in ("SIGNOPE", "99", "-3"):
        r = runtime("kill", cid, sig, check=False)
        assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1
    assert json.loads(runtime("state", cid).stdout)["status"] == "running"
    runtime("delete", "--force", cid)
    for args in (["state", "nope"], ["kill", "nope"], ["delete", "nope"], ["start", "nope"],
                 ["ps", "nope"], ["exec", "nope", "true"]):
        r = runtime(*args, check=False)
        assert r.returncode != 0 and "does not exist" in r.stderr, args


def test_bad_flags(runtime: Any, bundle: Any, unique_id: Any) -> None:
    for args in (["create", "--bogus", "x"], ["create", "--preserve-fds", "many", "x"],
                 ["--log-format", "xml", "list"], ["list", "--format", "yaml"], ["frobnicate"],
                 ["create"]):
        r = runtime(*args, check=False)
        assert r.returncode != 0, args
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr


def test_systemd_cgroup_is_a_clear_error(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    r = runtime("--systemd-cgroup", "create", "--bundle", str(bundle.path), cid, check=False)
    assert_clean_failure(r, runtime, cid, "systemd")


def test_cgroups_path_escaping(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["linux"]["cgroupsPath"] = "../../escape"
    bundle.write()
    cid = unique_id()
    assert_clean_failure(create(runtime, bundle, cid), runtime, cid, "..")


def test_preserve_fds_that_are_not_open(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    r = runtime("create", "--preserve-fds", "3", "--bundle", str(bundle.path), cid, check=False)
    assert_clean_failure(r, runtime, cid, "--preserve-fds", "not open")
