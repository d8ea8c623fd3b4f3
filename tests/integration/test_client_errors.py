"""The error texts and exit statuses clients match in a runtime's output, in runc's words,
on real containers: containerd's runc shim (pkg/process checkKillError, Init.delete, and
the last error of ``--log FILE --log-format json``), go-runc, podman (libpod
oci_util.getOCIRuntimeError, the state check) and docker (libcontainerd wrapError,
daemon translateContainerdStartErr). The README's "Error texts clients match" lists them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_lifecycle import wait_status

pytestmark = pytest.mark.root

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def logged(runtime: Any, log: Path, *args: str) -> tuple[int, str, str]:
    """Run with containerd's flags: (exit status, stderr, the last error's msg in the log),
    after checking that last line's shape."""
    if log.exists():
        log.unlink()
    r = runtime("--log", str(log), "--log-format", "json", *args, check=False)
    errors = [json.loads(line) for line in log.read_text().splitlines() if '"error"' in line]
    assert errors, (r, log.read_text())
    last = errors[-1]
    assert set(last) == {"level", "msg", "time"} and last["level"] == "error", last
    assert RFC3339.match(last["time"]), last
    assert json.loads(log.read_text().splitlines()[-1]) == last  # the error is the last line
    assert last["msg"] in r.stderr, (r, last)
    return r.returncode, r.stderr, str(last["msg"])


def check_kill_error(msg: str) -> str:
    """containerd 1.6 pkg/process/utils.go checkKillError, as it reads a kill's failure."""
    if "os: process already finished" in msg or "container not running" in msg \
            or "no such process" in msg.lower():
        return "process already finished"
    if "does not exist" in msg:
        return "no such container"
    return "unknown error after kill"


def test_a_container_that_does_not_exist(runtime: Any, tmp_path: Path) -> None:
    """runc's ErrNotExist for every command; containerd (kill, delete), podman (state) and
    docker (wrapError: "container does not exist") take the container for gone."""
    log = tmp_path / "log.json"
    for args in (["state"], ["kill"], ["delete"], ["start"], ["pause"], ["resume"], ["ps"],
                 ["events", "--stats"], ["update", "--pids-limit", "10"]):
        code, _, msg = logged(runtime, log, *args, "hutch-nosuch")
        assert (code, msg) == (1, "container does not exist"), args
    assert check_kill_error(logged(runtime, log, "kill", "hutch-nosuch", "9")[2]) == "no such container"
    code, _, msg = logged(runtime, log, "exec", "hutch-nosuch", "true")
    assert (code, msg) == (255, "exec failed: container does not exist")
    assert runtime("delete", "--force", "hutch-nosuch", check=False).returncode == 0


def test_a_stopped_container(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path) -> None:
    log = tmp_path / "log.json"
    cid = unique_id()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    wait_status(runtime, cid, "stopped")
    code, _, msg = logged(runtime, log, "kill", cid, "KILL")
    assert (code, msg) == (1, "container not running")
    assert check_kill_error(msg) == "process already finished"  # containerd: gone, not an error
    assert logged(runtime, log, "start", cid)[2] == "cannot start a container that has stopped"
    assert logged(runtime, log, "pause", cid)[2] == "container not running"
    assert logged(runtime, log, "events", "--stats", cid)[2] == f"container with id {cid} is not running"
    code, _, msg = logged(runtime, log, "exec", cid, "true")
    assert (code, msg) == (255, "exec failed: cannot exec in a stopped container")
    runtime("delete", cid)


def test_running_and_paused_containers(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path) -> None:
    log = tmp_path / "log.json"
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    code, _, msg = logged(runtime, log, "create", "--bundle", str(bundle.path), cid)
    assert (code, msg) == (1, "container with given ID already exists")
    runtime("start", cid)
    assert logged(runtime, log, "start", cid)[2] == "cannot start an already running container"
    assert logged(runtime, log, "resume", cid)[2] == "container not paused"
    code, _, msg = logged(runtime, log, "delete", cid)
    assert (code, msg) == (1, f"cannot delete container {cid} that is not stopped: running")
    assert logged(runtime, log, "kill", cid, "SIGFOO")[2] == 'unknown signal "SIGFOO"'
    runtime("pause", cid)
    try:
        assert logged(runtime, log, "pause", cid)[2] == "container not running"
        code, _, msg = logged(runtime, log, "exec", cid, "true")
        assert (code, msg) == (255, "exec failed: cannot exec in a paused container "
                                    "(use --ignore-paused to override)")
        assert logged(runtime, log, "start", cid)[2] == "cannot start a container in the paused state"
    finally:
        runtime("delete", "--force", cid)


@pytest.mark.parametrize(("command", "words", "docker"), [
    ("nosuchcmd", 'exec: "nosuchcmd": executable file not found in $PATH', 127),
    ("/nosuch", 'exec: "/nosuch": stat /nosuch: no such file or directory', 127),
    ("/etc/passwd", 'exec: "/etc/passwd": permission denied', 126),
])
def test_a_command_that_cannot_run(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path,
                                   command: str, words: str, docker: int) -> None:
    """runc's words for a process that cannot be started, which docker (127/126), podman
    (the same) and hutch's own engine read as the exit status; for exec, status 255."""
    log = tmp_path / "log.json"
    bundle.config["process"]["args"] = [command]
    bundle.write()
    code, _, msg = logged(runtime, log, "run", "--bundle", str(bundle.path), unique_id())
    assert code == 1 and msg.endswith(words), msg
    assert docker_start_error_code(msg) == docker
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    runtime("run", "--detach", "--bundle", str(bundle.path), cid)
    try:
        code, _, msg = logged(runtime, log, "exec", cid, command)
        assert code == 255 and msg.startswith("exec failed: ") and msg.endswith(words), msg
    finally:
        runtime("delete", "--force", cid)


def docker_start_error_code(msg: str) -> int:
    """moby 20.10 daemon/errors.go translateContainerdStartErr's exit statuses."""
    low = msg.lower()
    code = 0
    if any(w in low for w in ("executable file not found", "no such file or directory",
                              "system cannot find the file specified",
                              "failed to run runc create/exec call")):
        code = 127
    if "permission denied" in low:
        code = 126
    return code


def test_kill_of_an_init_gone_since_the_status_check() -> None:
    """The init exited between the status check and the signal: runc's ErrNotRunning too,
    not a silent success (containerd then takes the process for gone)."""
    import os

    from hutch.container.kill import signal_init

    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    assert signal_init({"pid": pid, "starttime": 0}, 0) is False
    assert signal_init({"pid": os.getpid(), "starttime": 0}, 0) is True
