"""kill -9 of the store's supervisor or of its keeper loses no container: it keeps running,
`ps` shows it Up, its log resumes (lines written meanwhile included), and its exit status is
recorded (`hutch.engine.supervise.keeper`); the same for a `run --rm` in the foreground."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.test_engine import HUTCH, Hutch, _import, hutch  # noqa: F401
from tests.integration.test_engine_detached import _monitors, _state, _until

pytestmark = pytest.mark.root

SCRIPT = "i=0; while [ $i -lt 50 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done; exit 7"


def _keeper(h: Hutch) -> int:
    """The keeper's pid; 0 while there is none (a killed one reaped, its successor not yet
    forked: the pid file still names the dead one)."""
    try:
        pid, _start = (int(x) for x in (Path(h.runroot) / "hutch-keeper.pid").read_text().split())
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, ValueError):  # (ESRCH: reading the comm of a process being reaped)
        return 0
    return pid if comm == "hutch-keeper" else 0


def _ticks(h: Hutch, ref: str) -> int:
    return h("logs", ref, check=False).stdout.count("tick ")  # (0 before it exists)


def _dead(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:  # reaped (maybe between two looks; ESRCH while it is being reaped)
        return True


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    _until(lambda: _dead(pid), what=f"{pid} to die")


def _survives(h: Hutch, ref: str, kill: list[str]) -> None:
    _until(lambda: _ticks(h, ref) >= 3, what="the first lines")
    for which in kill:
        [sup] = _monitors(h.root)
        victim = sup if which == "supervisor" else _keeper(h)
        assert victim
        _kill(victim)
        at = _ticks(h, ref)
        assert " Up " in h("ps").stdout  # not lost: being handed over
        _until(lambda: _ticks(h, ref) >= at + 3, what="the log to resume")  # noqa: B023
        if which == "supervisor":
            assert _monitors(h.root) and _monitors(h.root) != [sup]
        else:
            _until(lambda: _keeper(h) not in (0, victim), what="a new keeper")  # noqa: B023
        assert _state(h, ref)["Status"] == "running"


@pytest.mark.parametrize("kill", [["supervisor"], ["keeper", "supervisor"]])
def test_killed_supervisor_or_keeper_loses_no_container(hutch: Hutch, kill: list[str]) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--name", "c", "hbox:1", "sh", "-c", SCRIPT)
    _survives(hutch, "c", kill)
    assert hutch("wait", "c").stdout == "7\n"
    assert "Exited (7)" in hutch("ps", "-a").stdout
    assert json.loads(hutch("inspect", "c").stdout)[0]["State"]["ExitCode"] == 7
    lines = hutch("logs", "c").stdout.split("\n")
    assert [x for x in lines if x] == [f"tick {i}" for i in range(50)]  # nothing lost, in order


def test_killed_supervisor_under_run_rm(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    cmd = [str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot]
    client = subprocess.Popen([*cmd, "run", "--rm", "--name", "r", "hbox:1", "sh", "-c", SCRIPT],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _survives(hutch, "r", ["supervisor"])
        assert client.wait(timeout=30) == 7
    finally:
        if client.poll() is None:
            client.kill()
        client.wait()
        if client.stderr:
            client.stderr.close()
    assert hutch("ps", "-a", "-q").stdout == ""


def test_a_killed_supervisor_leaves_an_interactive_containers_stdin_open(hutch: Hutch) -> None:  # noqa: F811
    """`run -d -i`: the container's stdin stays open through a hand-over (the keeper holds a
    copy of its write end), and closes when the input ends: `cat` neither sees an early end
    of its input nor waits forever."""
    _import(hutch)
    hutch("run", "-d", "-i", "--name", "i", "hbox:1", "sh", "-c", "cat; echo eof; exit 3")
    _until(lambda: _state(hutch, "i")["Status"] == "running", what="it to run")
    for which in ("keeper", "supervisor"):
        [sup] = _monitors(hutch.root)
        _kill(sup if which == "supervisor" else _keeper(hutch))
        _until(lambda: _keeper(hutch) != 0 and len(_monitors(hutch.root)) == 1,
               what="a supervisor and a keeper")
        time.sleep(0.5)  # an early end of input would have ended it by now
        assert _state(hutch, "i")["Status"] == "running", which
    r = hutch("attach", "i", input=b"hello\n", check=False)  # its input ends with ours
    assert r.returncode == 3 and r.stdout == "hello\neof\n", r


def _bridges() -> set[str]:
    out = subprocess.run(["ip", "-o", "link", "show", "type", "bridge"], capture_output=True, text=True,
                         check=True).stdout
    return {line.split(":")[1].strip() for line in out.splitlines()}


def test_commands_from_other_namespaces_work_where_the_supervisor_is(hutch: Hutch) -> None:  # noqa: F811
    """A `hutch` run from other mount and network namespaces than the store's supervisor's
    (`unshare -m -n`, as `ip netns exec` or a systemd unit with PrivateTmp=) prepares its
    containers where the supervisor is (hutch.engine.supervise.home): the root is mounted
    where the runtime looks, the network namespace is one it can join, the veth is on the
    store's bridge, `network connect`/`rm` work on the bridge the containers are on. Before,
    the container ran on an empty root (exit 127) or failed to join its network."""
    _import(hutch)
    hutch("run", "-d", "--name", "a", "hbox:1", "sleep", "60")  # the supervisor: here
    hutch("network", "create", "hutch-ns-other")

    def elsewhere(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = ["unshare", "--mount", "--net", "--propagation", "private", "--", str(HUTCH), "--root",
               str(hutch.root), "--runroot", hutch.runroot, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)

    r = elsewhere("run", "--rm", "--network", "none", "hbox:1", "head", "-1", "/etc/passwd")
    assert (r.returncode, r.stdout) == (0, "root:x:0:0:root:/root:/bin/sh\n"), r
    r = elsewhere("run", "--rm", "hbox:1", "sh", "-c", "ip -4 route | grep -c ^default")
    assert (r.returncode, r.stdout) == (0, "1\n"), r
    r = elsewhere("network", "connect", "hutch-ns-other", "a")
    assert r.returncode == 0, r
    assert "inet " in hutch("exec", "a", "ip", "-4", "addr", "show", "eth1").stdout
    before = _bridges()
    assert len(before) == 2, before  # (hutch0 and the new network's, here)
    assert elsewhere("network", "disconnect", "hutch-ns-other", "a").returncode == 0
    r = elsewhere("network", "rm", "hutch-ns-other")
    assert (r.returncode, r.stdout) == (0, "hutch-ns-other\n"), r
    assert len(_bridges()) == 1, (before, _bridges())  # (its bridge, here, is gone)
    hutch("rm", "-f", "a")
