"""exec into running containers, terminals through a console socket, and OCI hooks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.leaks import cgroup_dirs

pytestmark = pytest.mark.root


def start_sleeper(runtime: Any, bundle: Any, cid: str) -> dict[str, Any]:
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.config["process"]["env"].append("FROM_CONFIG=1")
    bundle.write()
    runtime("run", "--detach", "--bundle", str(bundle.path), cid)
    st: dict[str, Any] = json.loads(runtime("state", cid).stdout)
    return st


def test_exec_joins_every_namespace(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    st = start_sleeper(runtime, bundle, cid)
    r = runtime("exec", cid, "sh", "-c",
                "hostname; echo $FROM_CONFIG; for n in ipc mnt net pid uts cgroup user; do "
                "readlink /proc/self/ns/$n; done; ps -o pid,comm | grep -c sleep")
    lines = r.stdout.splitlines()
    assert lines[0] == "hutch" and lines[1] == "1"
    init_ns = {n: os.readlink(f"/proc/{st['pid']}/ns/{n}")
               for n in ("ipc", "mnt", "net", "pid", "uts", "cgroup", "user")}
    assert lines[2:9] == list(init_ns.values())
    assert lines[9] == "1", "the container's pid namespace: its sleep is visible"
    # the exec'd process was in the container's cgroup while it ran
    runtime("delete", "--force", cid)


def test_exec_exit_status_env_cwd_user(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    start_sleeper(runtime, bundle, cid)
    r = runtime("exec", "--env", "A=b", "--cwd", "/tmp", "--user", "1000:1000", cid,
                "sh", "-c", "echo $A; pwd; id -u; id -g; exit 5", check=False)
    assert r.returncode == 5
    assert r.stdout.split() == ["b", "/tmp", "1000", "1000"]
    r = runtime("exec", cid, "/nonexistent", check=False)
    assert r.returncode != 0 and "nonexistent" in r.stderr
    runtime("delete", "--force", cid)


def test_exec_exit_codes_are_runcs(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path) -> None:
    """The process's status, or 255 when the exec itself fails (runc's exec.bats "exit codes");
    1 for a command line urfave/cli would refuse."""
    cid = unique_id()
    start_sleeper(runtime, bundle, cid)
    assert runtime("exec", cid, "false", check=False).returncode == 1
    assert runtime("exec", cid, "sh", "-c", "exit 42", check=False).returncode == 42
    for argv, words in (
        (["--pid-file", str(tmp_path / "no/dir"), cid, "sleep", "999"], "No such file"),
        ([cid, "no-such-binary"], "executable file not found"),
        (["hutch-no-such-container", "true"], "does not exist"),
        ([cid], "a command is required"),
    ):
        r = runtime("exec", *argv, check=False)
        assert r.returncode == 255 and "exec failed: " in r.stderr and words in r.stderr, r
        assert len(r.stderr.splitlines()) == 1, r.stderr  # one error line, the runtime's
    # the process whose pid could not be recorded was killed, as runc does
    ps = runtime("exec", cid, "ps", "-o", "args").stdout
    assert "sleep 1000" in ps and "sleep 999" not in ps
    assert runtime("exec", "--bogus", cid, "true", check=False).returncode == 1
    assert runtime("exec", check=False).returncode == 1
    runtime("pause", cid)
    r = runtime("exec", cid, "true", check=False)
    assert r.returncode == 255 and "cannot exec in a paused container" in r.stderr, r
    runtime("resume", cid)
    runtime("delete", "--force", cid)


def test_exec_process_json_detach_pid_file(runtime: Any, bundle: Any, unique_id: Any,
                                           tmp_path: Path) -> None:
    cid = unique_id()
    start_sleeper(runtime, bundle, cid)
    process = {
        "args": ["sh", "-c",
                 "echo $WHO > /dev/shm/out; grep CapEff /proc/self/status >> /dev/shm/out; sleep 1000"],
        "env": ["PATH=/bin", "WHO=json"], "cwd": "/", "user": {"uid": 0, "gid": 0},
        "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]},
    }
    pf = tmp_path / "process.json"
    pf.write_text(json.dumps(process))
    pid_file = tmp_path / "exec.pid"
    runtime("exec", "--process", str(pf), "--detach", "--pid-file", str(pid_file), cid)
    pid = int(pid_file.read_text())
    ps = json.loads(runtime("ps", "--format", "json", cid).stdout)
    assert pid in ps
    deadline = time.monotonic() + 5
    out = ""
    while time.monotonic() < deadline and "CapEff" not in out:
        out = runtime("exec", cid, "cat", "/dev/shm/out", check=False).stdout
        time.sleep(0.05)
    assert out.splitlines()[0] == "json"
    assert int(out.split()[-1], 16) == 1 << 5
    runtime("delete", "--force", cid)
    assert not os.path.exists(f"/proc/{pid}")


def test_exec_into_stopped_container_fails(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    deadline = time.monotonic() + 5
    while json.loads(runtime("state", cid).stdout)["status"] != "stopped":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    r = runtime("exec", cid, "true", check=False)
    assert r.returncode != 0 and "stopped" in r.stderr
    runtime("delete", cid)


class ConsoleReceiver:
    """The receiving end of --console-socket, as containerd's shim or conmon run it."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.master = -1
        self.name = b""
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 1)
            self.name, self.master = msg, fds[0]

    def read_all(self, timeout: float = 10) -> str:
        self.thread.join(timeout)
        assert self.master >= 0, "no pty master was received"
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: the container side closed
                break
            if not chunk:
                break
            out += chunk
        return out.decode(errors="replace")

    def close(self) -> None:
        if self.master >= 0:
            os.close(self.master)
        self.sock.close()


def test_terminal_through_console_socket(runtime: Any, bundle: Any, unique_id: Any,
                                         tmp_path: Path) -> None:
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["consoleSize"] = {"height": 33, "width": 111}
    bundle.config["process"]["args"] = ["sh", "-c", "tty; stty size; readlink /proc/self/fd/0"]
    bundle.write()
    rx = ConsoleReceiver(tmp_path / "console.sock")
    try:
        cid = unique_id()
        runtime("create", "--bundle", str(bundle.path), "--console-socket", rx.path, cid)
        runtime("start", cid)
        out = rx.read_all()
        assert "/dev/pts/0" in out and "33 111" in out
    finally:
        rx.close()


def test_terminal_without_console_socket_is_refused(runtime: Any, bundle: Any,
                                                    unique_id: Any) -> None:
    bundle.config["process"]["terminal"] = True
    bundle.write()
    cid = unique_id()
    r = runtime("create", "--bundle", str(bundle.path), cid, check=False)
    assert r.returncode != 0 and "console socket" in r.stderr
    assert not os.path.exists(os.path.join(runtime.root, cid))


def test_run_foreground_with_terminal_forwards_the_pty(runtime: Any, bundle: Any,
                                                       unique_id: Any) -> None:
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["args"] = ["sh", "-c", "tty; echo done"]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), unique_id())
    assert "/dev/pts/0" in r.stdout and "done" in r.stdout


def test_exec_tty_through_console_socket(runtime: Any, bundle: Any, unique_id: Any,
                                         tmp_path: Path) -> None:
    cid = unique_id()
    start_sleeper(runtime, bundle, cid)
    rx = ConsoleReceiver(tmp_path / "exec.sock")
    try:
        runtime("exec", "--tty", "--detach", "--console-socket", rx.path, cid, "sh", "-c", "tty")
        assert "/dev/pts/" in rx.read_all()
    finally:
        rx.close()
        runtime("delete", "--force", cid)


HOOK = """#!/bin/sh
cat > {out}/$1.json
echo "$1 ns=$(readlink /proc/self/ns/mnt) env=$HOOK_ENV" >> {out}/order
exit ${{2:-0}}
"""


def write_hook(tmp_path: Path) -> Path:
    out = tmp_path / "hook-out"
    out.mkdir()
    hook = tmp_path / "hook.sh"
    hook.write_text(HOOK.format(out=out))
    hook.chmod(0o755)
    return hook


def test_all_hooks_run_in_order_with_state(runtime: Any, bundle: Any, unique_id: Any,
                                           tmp_path: Path) -> None:
    hook = write_hook(tmp_path)
    out = tmp_path / "hook-out"
    kinds = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
    bundle.config["hooks"] = {
        k: [{"path": str(hook), "args": ["hook.sh", k], "env": ["HOOK_ENV=x"], "timeout": 10}]
        for k in kinds
    }
    bundle.config["annotations"] = {"org.example": "yes"}
    # startContainer runs inside the container: show it the hook and its output at the same path
    bundle.config["mounts"].append({"destination": str(tmp_path), "type": "bind",
                                    "source": str(tmp_path), "options": ["rbind"]})
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    cid = unique_id()
    runtime("create", "--bundle", str(bundle.path), cid)
    order = (out / "order").read_text().split("\n")
    assert [ln.split()[0] for ln in order if ln] == ["prestart", "createRuntime", "createContainer"]
    state = json.loads((out / "prestart.json").read_text())
    assert state["id"] == cid and state["status"] == "creating" and state["pid"] > 0
    assert state["bundle"] == str(bundle.path) and state["annotations"] == {"org.example": "yes"}
    host_mnt = os.readlink("/proc/self/ns/mnt")
    lines = {ln.split()[0]: ln for ln in order if ln}
    assert f"ns={host_mnt}" in lines["prestart"], "prestart runs in the runtime's namespace"
    assert json.loads((out / "createContainer.json").read_text())["status"] == "creating"
    assert f"ns={host_mnt}" not in lines["createContainer"], "createContainer runs in the container's"
    assert "env=x" in lines["prestart"]
    runtime("start", cid)
    names = [ln.split()[0] for ln in (out / "order").read_text().splitlines()]
    assert names[3:] == ["startContainer", "poststart"]
    assert json.loads((out / "startContainer.json").read_text())["status"] == "created"
    runtime("delete", "--force", cid)
    names = [ln.split()[0] for ln in (out / "order").read_text().splitlines()]
    assert names[-1] == "poststop"
    assert json.loads((out / "poststop.json").read_text())["status"] == "stopped"


def test_failing_prestart_hook_fails_create_and_leaves_nothing(
    runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path
) -> None:
    hook = write_hook(tmp_path)
    bundle.config["hooks"] = {"prestart": [{"path": str(hook), "args": ["hook.sh", "prestart", "3"]}]}
    bundle.write()
    cid = unique_id()
    r = runtime("create", "--bundle", str(bundle.path), cid, check=False)
    assert r.returncode != 0
    assert "prestart hook" in r.stderr and "exit status 3" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not os.path.exists(os.path.join(runtime.root, cid))
    assert not cgroup_dirs(cid)


def test_failing_start_container_hook_fails_start(
    runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path
) -> None:
    hook = write_hook(tmp_path)
    bundle.config["mounts"].append({"destination": str(tmp_path), "type": "bind",
                                    "source": str(tmp_path), "options": ["rbind"]})
    bundle.config["hooks"] = {"startContainer": [{"path": str(hook),
                                                  "args": ["hook.sh", "startContainer", "4"]}]}
    bundle.config["process"]["args"] = ["sh", "-c", "echo user-process-ran > /dev/stderr"]
    bundle.write()
    cid = unique_id()
    runtime("create", "--bundle", str(bundle.path), cid)
    r = runtime("start", cid, check=False)
    assert r.returncode != 0
    assert "startContainer hook" in r.stderr and "exit status 4" in r.stderr
    assert "user-process-ran" not in r.stderr
    runtime("delete", "--force", cid)


def test_hook_timeout(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path) -> None:
    slow = tmp_path / "slow.sh"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    bundle.config["hooks"] = {"createRuntime": [{"path": str(slow), "timeout": 1}]}
    bundle.write()
    t0 = time.monotonic()
    r = runtime("create", "--bundle", str(bundle.path), unique_id(), check=False)
    assert r.returncode != 0 and "hook ran past specified timeout of 1.0s" in r.stderr
    assert time.monotonic() - t0 < 10


def test_failing_poststart_and_poststop_hooks_only_warn(
    runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path
) -> None:
    hook = write_hook(tmp_path)
    bundle.config["hooks"] = {
        "poststart": [{"path": str(hook), "args": ["hook.sh", "poststart", "1"]}],
        "poststop": [{"path": str(hook), "args": ["hook.sh", "poststop", "1"]}],
    }
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    cid = unique_id()
    runtime("create", "--bundle", str(bundle.path), cid)
    r = runtime("start", cid)
    assert "poststart hook" in r.stderr
    assert json.loads(runtime("state", cid).stdout)["status"] == "running"
    r = runtime("delete", "--force", cid)
    assert "poststop hook" in r.stderr
    assert runtime("state", cid, check=False).returncode != 0


def test_seeds_unshare_style_isolated_network(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """Seed 000's first demo: a new network namespace holds only lo."""
    bundle.config["process"]["args"] = ["sh", "-c", "ls /sys/class/net; echo $$"]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), unique_id())
    assert r.stdout.split() == ["lo", "1"]


def test_keeping_a_namespace_alive_with_a_bind_mount(runtime: Any, bundle: Any, unique_id: Any,
                                                     tmp_path: Path) -> None:
    """Seeds 001/003: a bind mount of /proc/PID/ns/X keeps the namespace after its processes."""
    cid = unique_id()
    st = start_sleeper(runtime, bundle, cid)
    keep = tmp_path / "uts"
    keep.touch()
    cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
           f"mount --bind /proc/{st['pid']}/ns/uts {keep}; "
           f"kill -9 {st['pid']}; sleep 0.3; nsenter --uts={keep} hostname; umount {keep}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.strip() == "hutch"
    runtime("delete", "--force", cid)


def test_exec_bad_process_json(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path) -> None:
    cid = unique_id()
    start_sleeper(runtime, bundle, cid)
    pf = tmp_path / "p.json"
    pf.write_text('{"args": ["true"], "cwd": "/", "user": {"uid": "root"}}')
    r = runtime("exec", "--process", str(pf), cid, check=False)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1
    assert "--process" in r.stderr and "$.user.uid" in r.stderr
    runtime("delete", "--force", cid)


def test_state_is_creating_during_create(runtime: Any, bundle: Any, unique_id: Any,
                                         tmp_path: Path) -> None:
    cid = unique_id()
    out = tmp_path / "state-during-create.json"
    hook = tmp_path / "ask-state.sh"
    hook.write_text(f"#!/bin/sh\n{runtime.bin} --root {runtime.root} state {cid} > {out}\n")
    hook.chmod(0o755)
    bundle.config["hooks"] = {"createRuntime": [{"path": str(hook)}]}
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    assert json.loads(out.read_text())["status"] == "creating"
    assert json.loads(runtime("state", cid).stdout)["status"] == "created"
    runtime("delete", "--force", cid)
