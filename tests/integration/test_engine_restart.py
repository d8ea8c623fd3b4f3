"""Restart policies (`run --restart`, `update --restart`) on real containers, docker's
behaviour the reference: on-failure[:N] restarts after non-zero exits at most N times,
always and unless-stopped after any exit, a container stopped or killed by the user is not
restarted, the wait between restarts doubles from 100 ms (docker's back-off), and the
supervisor's restarts survive its kill -9 (the keeper's hand-over)."""

from __future__ import annotations

import itertools
import json
import shutil
import time

import pytest

from tests.integration.test_engine import Hutch, _import, hutch  # noqa: F401
from tests.integration.test_engine_detached import _monitors, _state, _until
from tests.integration.test_engine_flags import _bad
from tests.integration.test_engine_supervisor import _kill

pytestmark = pytest.mark.root


def _inspect(h: Hutch, ref: str) -> dict[str, object]:
    doc: dict[str, object] = json.loads(h("inspect", ref).stdout)[0]
    return doc


def _runs(h: Hutch, ref: str, word: str = "run") -> int:
    return h("logs", ref, check=False).stdout.split().count(word)


def _exited(h: Hutch, ref: str) -> bool:
    return _state(h, ref)["Status"] == "exited"


def test_on_failure_restarts_at_most_n_times(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--restart", "on-failure:2", "--name", "c", "hbox:1", "sh", "-c", "echo run; exit 3")
    _until(lambda: _runs(hutch, "c") == 3 and _exited(hutch, "c"), what="three runs, then exited")
    time.sleep(1.0)  # it stays exited
    doc = _inspect(hutch, "c")
    assert doc["RestartCount"] == 2 and _runs(hutch, "c") == 3
    assert doc["State"]["Status"] == "exited" and doc["State"]["ExitCode"] == 3  # type: ignore[index]
    assert doc["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}  # type: ignore[index]
    # exit 0 is no failure: not restarted
    hutch("run", "-d", "--restart", "on-failure", "--name", "ok", "hbox:1", "sh", "-c", "echo run")
    _until(lambda: _exited(hutch, "ok"), what="ok to exit")
    time.sleep(0.5)
    assert _inspect(hutch, "ok")["RestartCount"] == 0 and _runs(hutch, "ok") == 1


def test_always_restarts_after_exit_0_until_stopped(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--restart", "always", "--name", "c", "hbox:1", "sh", "-c", "echo run; exit 0")
    # docker's ps while it waits: "Restarting (0) Less than a second ago"; inspect says Restarting
    seen: list[str] = []

    def restarting() -> bool:
        out = hutch("ps", "--format", "{{.Status}}").stdout.strip()
        seen.append(out)
        return out.startswith("Restarting (0) ")

    _until(restarting, what=f"a Restarting status in ps (saw {seen[-3:]})")
    assert _runs(hutch, "c") >= 1 and int(_inspect(hutch, "c")["RestartCount"]) >= 1  # type: ignore[call-overload]
    hutch("stop", "c")  # stopped by the user (here while it waits): not restarted
    assert _exited(hutch, "c")
    runs = _runs(hutch, "c")
    time.sleep(1.5)
    assert _exited(hutch, "c") and _runs(hutch, "c") == runs
    assert "Exited (0)" in hutch("ps", "-a").stdout


@pytest.mark.parametrize("verb", ["stop", "kill"])
def test_stop_or_kill_by_the_user_does_not_restart(hutch: Hutch, verb: str) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--restart", "always", "--name", "c", "hbox:1", "sh", "-c", "echo run; sleep 100")
    _until(lambda: _runs(hutch, "c") == 1, what="the first run")
    hutch(verb, *(["-t", "1"] if verb == "stop" else []), "c")
    _until(lambda: _exited(hutch, "c"), what="exited")
    time.sleep(1.0)
    doc = _inspect(hutch, "c")
    assert doc["State"]["Status"] == "exited" and doc["RestartCount"] == 0  # type: ignore[index]
    assert _runs(hutch, "c") == 1
    hutch("start", "c")  # the user's start: it runs again, and its policy applies again
    _until(lambda: _runs(hutch, "c") == 2, what="the second run")
    assert _state(hutch, "c")["Status"] == "running"
    hutch("rm", "-f", "c")


def test_unless_stopped(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--restart", "unless-stopped", "--name", "c", "hbox:1", "sh", "-c",
          "echo run; sleep 0.3; exit 5")
    _until(lambda: _runs(hutch, "c") >= 3, what="two restarts")
    assert _inspect(hutch, "c")["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"  # type: ignore[index]
    hutch("stop", "-t", "1", "c")
    runs = _runs(hutch, "c")
    time.sleep(1.5)
    assert _exited(hutch, "c") and _runs(hutch, "c") == runs
    hutch("start", "c")  # the user's start counts again from 0 (docker resets RestartCount)
    assert _inspect(hutch, "c")["RestartCount"] == 0
    _until(lambda: _runs(hutch, "c") >= runs + 2, what="restarts after start")
    hutch("rm", "-f", "c")


def test_update_restart(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--name", "c", "hbox:1", "sh", "-c", "echo run; sleep 1; exit 1")
    assert hutch("update", "--restart", "on-failure:1", "c").stdout == "c\n"
    assert _inspect(hutch, "c")["HostConfig"]["RestartPolicy"] == {  # type: ignore[index]
        "Name": "on-failure", "MaximumRetryCount": 1}
    _until(lambda: _runs(hutch, "c") == 2 and _exited(hutch, "c"), what="one restart, then exited")
    assert _inspect(hutch, "c")["RestartCount"] == 1
    r = hutch("update", "c", check=False)
    assert r.returncode == 1 and "you must provide one or more flags" in r.stderr
    r = hutch("update", "--restart", "sometimes", "c", check=False)
    assert r.returncode == 1 and "invalid restart policy" in r.stderr
    hutch("create", "--rm", "--name", "auto", "hbox:1", "true")
    r = hutch("update", "--restart", "always", "auto", check=False)
    assert r.returncode == 1 and "AutoRemove is enabled" in r.stderr
    r = hutch("update", "--restart", "always", "nosuch", check=False)
    assert r.returncode == 1 and "nosuch" in r.stderr


def test_wait_on_a_restarting_container_waits_for_its_next_end(hutch: Hutch) -> None:  # noqa: F811
    """docker's State: a container its policy restarts is Running (and Restarting), so `wait`
    returns at its next end, not with the status it had."""
    _import(hutch)
    hutch("run", "-d", "--restart", "on-failure:6", "--name", "c", "hbox:1", "sh", "-c",
          "echo run; sleep 0.2; exit 3")
    _until(lambda: _state(hutch, "c")["Restarting"] is True, timeout=20, what="a restarting state")
    runs = _runs(hutch, "c")
    assert hutch("wait", "c").stdout == "3\n"
    assert _runs(hutch, "c") >= runs + 1  # (it ran again before the wait returned)
    hutch("rm", "-f", "c")


def test_the_back_off_grows(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    # each run prints the machine's uptime (centiseconds; the same clock in every namespace)
    hutch("run", "-d", "--restart", "always", "--name", "c", "hbox:1", "sh", "-c",
          "echo run $(cut -d' ' -f1 /proc/uptime)")
    _until(lambda: _runs(hutch, "c") >= 6, timeout=30, what="six runs")
    hutch("stop", "c")
    times = [float(line.split()[1]) for line in hutch("logs", "c").stdout.splitlines()[:6]]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # docker's waits: 0.1, 0.2, 0.4, 0.8, 1.6 s (plus the start's own time each)
    assert gaps[4] > gaps[0] + 1.0 and gaps[3] > gaps[1] + 0.3, gaps
    assert gaps[4] >= 1.6


def test_a_restart_joins_the_network_again(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    # the default bridge network: released at each end, joined again at each start
    hutch("run", "-d", "--restart", "on-failure:1", "--name", "c", "hbox:1", "sh", "-c",
          "ip -4 addr show eth0 | grep -q inet && echo addressed; exit 1")
    _until(lambda: _exited(hutch, "c") and _runs(hutch, "c", "addressed") == 2,
           what="two runs on the network")
    assert _inspect(hutch, "c")["RestartCount"] == 1


@pytest.mark.parametrize("args, words", [
    (["--rm", "--restart", "always"], "Conflicting options: --restart and --rm"),
    (["--restart", "sometimes"], "invalid restart policy: unknown policy 'sometimes'"),
    (["--restart", "always:3"], "maximum retry count can only be used with 'on-failure'"),
    (["--restart", "on-failure:x"], "maximum retry count must be an integer"),
    (["--restart", "on-failure:-1"], "maximum retry count cannot be negative"),
])
def test_bad_restart_flags(hutch: Hutch, args: list[str], words: str) -> None:  # noqa: F811
    _import(hutch)
    _bad(hutch, [*args, "hbox:1", "true"], words, rm=False)


def test_restarts_survive_a_killed_supervisor(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    # a container running when the supervisor is killed: its exit, known from the proc
    # connector after the keeper's hand-over, is still restarted by its policy
    hutch("run", "-d", "--restart", "on-failure:2", "--name", "c", "hbox:1", "sh", "-c",
          "echo run; sleep 1; exit 2")
    _until(lambda: _runs(hutch, "c") == 1, what="the first run")
    [sup] = _monitors(hutch.root)
    _kill(sup)
    _until(lambda: _runs(hutch, "c") == 3 and _exited(hutch, "c"), timeout=30, what="two restarts")
    assert _inspect(hutch, "c")["RestartCount"] == 2
    # a container waiting for its restart when the supervisor is killed: the keeper hands
    # the pending restart over, and the new supervisor makes it
    hutch("run", "-d", "--restart", "always", "--name", "w", "hbox:1", "sh", "-c", "echo run")
    _until(lambda: _runs(hutch, "w") >= 5, timeout=30, what="the waits to grow")  # (0.8 s and more)
    _until(lambda: _state(hutch, "w")["Status"] == "restarting", what="a wait")
    runs = _runs(hutch, "w")
    [sup] = _monitors(hutch.root)
    _kill(sup)
    _until(lambda: _runs(hutch, "w") > runs, timeout=30, what="a restart by the new supervisor")
    assert _monitors(hutch.root) and _monitors(hutch.root) != [sup]
    hutch("stop", "w")


def test_restarts_with_runc(hutch: Hutch) -> None:  # noqa: F811
    """Another OCI runtime's container (through its CLI) is restarted the same way."""
    if not shutil.which("runc"):
        pytest.skip("runc is not installed")
    _import(hutch)
    hutch("run", "-d", "--restart", "on-failure:2", "--name", "c", "hbox:1", "sh", "-c", "echo run; exit 9",
          runtime="runc")
    _until(lambda: _runs(hutch, "c") == 3 and _exited(hutch, "c"), what="three runs, then exited")
    doc = _inspect(hutch, "c")
    assert doc["RestartCount"] == 2 and doc["State"]["ExitCode"] == 9  # type: ignore[index]
    assert doc["HostConfig"]["Runtime"].endswith("runc")  # type: ignore[index]


def test_a_pending_restart_is_dropped_when_supervisor_and_keeper_die(hutch: Hutch) -> None:  # noqa: F811
    """hutch has no daemon: with nobody left to make it (as after a reboot), a restart that was
    waiting is not made; the container reads as exited."""
    import os
    import signal

    from tests.integration.test_engine_detached import _keepers

    _import(hutch)
    hutch("run", "-d", "--restart", "always", "--name", "w", "hbox:1", "sh", "-c", "echo run")
    _until(lambda: _runs(hutch, "w") >= 5, timeout=30, what="the waits to grow")
    _until(lambda: _state(hutch, "w")["Status"] == "restarting", what="a wait")
    [sup], [keeper] = _monitors(hutch.root), _keepers(hutch.root)
    os.kill(keeper, signal.SIGSTOP)  # (so that it cannot hand over before it is killed)
    _kill(sup)
    _kill(keeper)
    runs = _runs(hutch, "w")
    assert _state(hutch, "w")["Status"] == "exited"
    time.sleep(2.0)
    assert _runs(hutch, "w") == runs and "Exited (0)" in hutch("ps", "-a").stdout
