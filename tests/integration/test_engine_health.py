"""Health checks (`--health-*`, `--no-healthcheck`, the image's HEALTHCHECK) on real
containers, docker's behaviour the reference: the check is exec'd in the container every
interval; State.Health goes starting -> healthy, and -> unhealthy after Retries failures in a
row (failures in the start period do not count; a check past its timeout is one, exit -1);
the last 5 results are kept; ps says "(health: starting)", "(healthy)", "(unhealthy)"."""

from __future__ import annotations

import json
import shutil
import time
from typing import Any

import pytest

from tests.integration.test_engine import Hutch, _import, hutch  # noqa: F401
from tests.integration.test_engine_detached import _monitors, _until
from tests.integration.test_engine_flags import _bad
from tests.integration.test_engine_supervisor import _kill

pytestmark = pytest.mark.root

FAST = ["--health-interval", "300ms", "--health-timeout", "2s"]


def _health(h: Hutch, ref: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(h("inspect", ref).stdout)[0]["State"].get("Health") or {}
    return doc


def _ps_status(h: Hutch, ref: str) -> str:
    rows = h("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout.splitlines()
    return next((line.partition(" ")[2] for line in rows if line.partition(" ")[0] == ref), "")


def test_starting_healthy_unhealthy(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--name", "c", *FAST, "--health-retries", "2", "--health-start-period", "30s",
          "--health-cmd", "cat /tmp/ok", "hbox:1", "sh", "-c", "sleep 1.5; echo fine > /tmp/ok; sleep 100")
    h = _health(hutch, "c")
    assert h["Status"] == "starting" and h["FailingStreak"] == 0
    assert _ps_status(hutch, "c").endswith(" (health: starting)")
    _until(lambda: len(_health(hutch, "c").get("Log", [])) >= 2, what="two checks")
    h = _health(hutch, "c")  # failures in the start period do not count
    assert h["Status"] == "starting" and h["FailingStreak"] == 0 and h["Log"][0]["ExitCode"] == 1
    _until(lambda: _health(hutch, "c")["Status"] == "healthy", what="healthy")
    last = _health(hutch, "c")["Log"][-1]
    assert last["ExitCode"] == 0 and last["Output"] == "fine\n"  # what the check printed, inside
    assert last["Start"] <= last["End"]
    assert _ps_status(hutch, "c").startswith("Up ") and _ps_status(hutch, "c").endswith(" (healthy)")
    assert hutch("ps", "--filter", "health=healthy", "--format", "{{.Names}}").stdout == "c\n"
    assert hutch("ps", "--filter", "health=none", "-q").stdout == ""  # (docker's ps --filter health=)
    hutch("exec", "c", "rm", "/tmp/ok")
    _until(lambda: _health(hutch, "c")["Status"] == "unhealthy", what="unhealthy")
    h = _health(hutch, "c")
    assert h["FailingStreak"] >= 2 and h["Log"][-1]["ExitCode"] == 1 and len(h["Log"]) <= 5
    assert _ps_status(hutch, "c").endswith(" (unhealthy)")
    hutch("exec", "c", "sh", "-c", "echo again > /tmp/ok")  # a success ends the streak
    _until(lambda: _health(hutch, "c")["Status"] == "healthy", what="healthy again")
    assert _health(hutch, "c")["FailingStreak"] == 0
    _until(lambda: len(_health(hutch, "c")["Log"]) == 5, what="five results")
    time.sleep(0.7)
    assert len(_health(hutch, "c")["Log"]) == 5  # the last five are kept
    hutch("stop", "-t", "1", "c")
    assert _health(hutch, "c")["Status"] == "unhealthy"  # docker's, once its checks stop


def test_a_timeout_is_a_failure(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--name", "c", "--health-interval", "200ms", "--health-timeout", "300ms",
          "--health-retries", "1", "--health-cmd", "sleep 5", "hbox:1", "sleep", "100")
    _until(lambda: _health(hutch, "c")["Status"] == "unhealthy", what="unhealthy")
    last = _health(hutch, "c")["Log"][-1]
    assert last["ExitCode"] == -1 and last["Output"] == "Health check exceeded timeout (300ms)"


def test_the_images_healthcheck_and_no_healthcheck(hutch: Hutch) -> None:  # noqa: F811
    hutch("import", "-c", "HEALTHCHECK --interval=300ms --retries=1 CMD test -f /tmp/ok",
          str(hutch.tarball), "checked:1")  # type: ignore[attr-defined]
    [img] = json.loads(hutch("image", "inspect", "checked:1").stdout)
    assert img["Config"]["Healthcheck"] == {"Test": ["CMD-SHELL", "test -f /tmp/ok"], "Interval": 300_000_000,
                                            "Retries": 1}
    hutch("run", "-d", "--name", "c", "checked:1", "sh", "-c", "touch /tmp/ok; sleep 100")
    _until(lambda: _health(hutch, "c").get("Status") == "healthy", what="healthy by the image's check")
    [doc] = json.loads(hutch("inspect", "c").stdout)
    assert doc["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", "test -f /tmp/ok"]
    # a flag overrides what it names; the rest is the image's (docker's merge)
    hutch("run", "-d", "--name", "d", "--health-cmd", "false", "checked:1", "sleep", "100")
    _until(lambda: _health(hutch, "d").get("Status") == "unhealthy", what="unhealthy by the flag's check")
    [doc] = json.loads(hutch("inspect", "d").stdout)
    assert doc["Config"]["Healthcheck"]["Interval"] == 300_000_000
    hutch("run", "-d", "--name", "e", "--no-healthcheck", "checked:1", "sleep", "100")
    time.sleep(1.0)
    [doc] = json.loads(hutch("inspect", "e").stdout)
    assert "Health" not in doc["State"] and doc["Config"]["Healthcheck"]["Test"] == ["NONE"]
    assert _ps_status(hutch, "e").startswith("Up ") and "health" not in _ps_status(hutch, "e")
    for name in ("c", "d", "e"):
        hutch("rm", "-f", name)


def test_health_checks_with_runc(hutch: Hutch) -> None:  # noqa: F811
    """Another OCI runtime's container is checked through its CLI's exec."""
    if not shutil.which("runc"):
        pytest.skip("runc is not installed")
    _import(hutch)
    hutch("run", "-d", "--name", "c", *FAST, "--health-retries", "1",
          "--health-cmd", "cat /tmp/ok && hostname",
          "-h", "inside", "hbox:1", "sh", "-c", "echo fine > /tmp/ok; sleep 100", runtime="runc")
    _until(lambda: _health(hutch, "c").get("Status") == "healthy", what="healthy")
    assert _health(hutch, "c")["Log"][-1]["Output"] == "fine\ninside\n"
    hutch("exec", "c", "rm", "/tmp/ok")
    _until(lambda: _health(hutch, "c").get("Status") == "unhealthy", what="unhealthy")
    hutch("rm", "-f", "c")


@pytest.mark.parametrize("args, words", [
    (["--health-interval", "10"], 'time: missing unit in duration "10"'),
    (["--health-timeout", "-1s"], "--health-timeout cannot be negative"),
    (["--health-retries", "-1"], "--health-retries cannot be negative"),
    (["--no-healthcheck", "--health-cmd", "true"], "--no-healthcheck conflicts with --health-* options"),
])
def test_bad_health_flags(hutch: Hutch, args: list[str], words: str) -> None:  # noqa: F811
    _import(hutch)
    _bad(hutch, [*args, "hbox:1", "true"], words, rm=False)


def test_health_checks_go_on_after_a_killed_supervisor(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--name", "c", *FAST, "--health-cmd", "echo x >> /tmp/n; wc -l < /tmp/n", "hbox:1",
          "sleep", "100")
    _until(lambda: _health(hutch, "c").get("Status") == "healthy", what="healthy")
    [sup] = _monitors(hutch.root)
    _kill(sup)
    count = int(_health(hutch, "c")["Log"][-1]["Output"])
    # the adopting supervisor checks it on (and keeps what was recorded)
    _until(lambda: int(_health(hutch, "c")["Log"][-1]["Output"]) >= count + 3, timeout=30,
           what="checks by the new supervisor")
    assert _monitors(hutch.root) != [sup] and _health(hutch, "c")["Status"] == "healthy"
    hutch("rm", "-f", "c")
