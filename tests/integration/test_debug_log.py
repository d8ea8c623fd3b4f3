"""--debug: what the runtime and the container's processes do, step by step, in runc's log shapes.

runc's debug.bats and exec.bats grep these phrases; the children's lines reach the runtime's
log over the sync channel, so they land where the runtime's own lines go (stderr or --log).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.root

RUN_STEPS = ["nsexec container setup", "child process in init()",
             "init: closing the pipe to signal completion"]
EXEC_STEPS = ["nsexec container setup", "child process in init()", "setns_init: about to exec"]


def test_debug_to_stderr_as_text(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["process"]["args"] = ["echo", "Hello World"]
    bundle.write()
    r = runtime("--debug", "run", "--bundle", str(bundle.path), unique_id())
    assert r.stdout == "Hello World\n"
    lines = r.stderr.splitlines()
    assert lines and all(line.startswith('time="') and " level=debug msg=" in line for line in lines)
    for step in RUN_STEPS:
        assert any(step in line for line in lines), step
    # the order of the steps is the order they happen in
    where = [next(i for i, line in enumerate(lines) if step in line) for step in RUN_STEPS]
    assert where == sorted(where)
    assert 'msg="process exited: pid ' in lines[-1]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_debug_to_log_file(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path, fmt: str) -> None:
    log = tmp_path / "log.out"
    r = runtime("--log", str(log), "--log-format", fmt, "--debug", "run", "--bundle", str(bundle.path),
                unique_id())
    assert "level=debug" not in r.stderr and "debug" not in r.stderr
    text = log.read_text()
    if fmt == "json":
        docs = [json.loads(line) for line in text.splitlines()]
        assert all(d["level"] == "debug" and d["time"] for d in docs)
        text = "\n".join(d["msg"] for d in docs)
    for step in RUN_STEPS:
        assert step in text


def test_debug_exec(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path) -> None:
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    cid = unique_id()
    runtime("run", "--detach", "--bundle", str(bundle.path), cid)
    r = runtime("--debug", "exec", cid, "true")
    for step in EXEC_STEPS:
        assert step in r.stderr
    assert r.stderr.count("setns(0x") >= 5  # ipc, uts, net, pid, mnt at least
    log = tmp_path / "log.out"
    r = runtime("--debug", "--log", str(log), "exec", cid, "true")
    assert "level=debug" not in r.stderr
    for step in EXEC_STEPS:
        assert step in log.read_text()
    runtime("delete", "--force", cid)


def test_no_debug_lines_without_debug(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path) -> None:
    """containerd's way (--log FILE --log-format json on every call): no debug lines, and
    an error is still the log's last line."""
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    cid = unique_id()
    log = tmp_path / "log.json"
    flags = ["--log", str(log), "--log-format", "json"]
    r = runtime(*flags, "run", "--detach", "--bundle", str(bundle.path), cid)
    r2 = runtime(*flags, "exec", cid, "true")
    assert not r.stderr and not r2.stderr
    assert not log.exists() or not log.read_text()
    runtime(*flags, "exec", cid, "no-such-binary", check=False)
    last = json.loads(log.read_text().splitlines()[-1])
    assert last["level"] == "error" and "executable file not found" in last["msg"]
    runtime("delete", "--force", cid)
