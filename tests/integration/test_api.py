"""The Python API (`import hutch`) on real containers: the README's example, and what
docker-py users rely on (run's output and ContainerError, detach, exec_run, logs, wait,
stop, context managers that clean up)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import hutch
from tests.support.apiclient import api_client

pytestmark = pytest.mark.root


@pytest.fixture
def client(tmp_path: Path, rootfs_template: Path) -> Iterator[hutch.Client]:
    yield from api_client(tmp_path, rootfs_template, "apitest")


def test_import_is_lazy() -> None:
    """`import hutch` loads no engine code until the API is used (the runtime imports hutch.*)."""
    code = "import sys, hutch; print(any(m.startswith('hutch.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_run_in_the_foreground(client: hutch.Client) -> None:
    assert client.containers.run("box:1", ["echo", "hello"], remove=True) == b"hello\n"
    with pytest.raises(hutch.ContainerError) as err:
        client.containers.run("box:1", "sh -c 'echo bad >&2; exit 3'", remove=True)
    assert err.value.exit_status == 3 and err.value.output == b"bad\n"
    assert client.containers.list(all=True) == []  # remove=True
    out = client.containers.run("box:1", ["sh", "-c", "echo $A; hostname"], environment={"A": "b"},
                                hostname="apibox")
    assert out == b"b\napibox\n"
    assert [c.status for c in client.containers.list(all=True)] == ["exited"]


def test_detached_exec_logs_stop_and_cleanup(client: hutch.Client) -> None:
    with client.containers.run("box:1", ["sh", "-c", "echo started; sleep 1000"], detach=True,
                               name="api", mem_limit="64m") as c:
        assert c.status == "running" and c.name == "api" and len(c.id) == 64
        assert client.containers.get("api").id == c.id and client.containers.get(c.short_id).id == c.id
        r = c.exec_run(["sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                        "/sys/fs/cgroup/memory.max 2>/dev/null; exit 4"])
        assert r.exit_code == 4 and r.output.split()[0] in (b"67108864",)
        assert c.exec_run("cat", stdin=True, input=b"piped\n") == hutch.ExecResult(0, b"piped\n")
        assert c.logs() == b"started\n"
        assert c.attrs["State"]["Running"] is True
        c.stop(timeout=0)
        assert c.status == "exited" and c.exit_code == 137 and c.wait()["StatusCode"] == 137
        c.start()
        assert c.status == "running"
    with pytest.raises(hutch.ContainerNotFound):
        client.containers.get("api")  # the block removed it, running or not
    with pytest.raises(hutch.HutchError, match="blocked"):  # pulled: tests block docker.io
        client.containers.run("nosuch:1", ["true"])


def test_restart_policy_and_healthcheck(client: hutch.Client) -> None:
    """docker-py's restart_policy, healthcheck, Container.health and update(restart_policy=)."""
    c = client.containers.run("box:1", ["sh", "-c", "echo run; exit 4"], detach=True,
                              restart_policy={"Name": "on-failure", "MaximumRetryCount": 1})
    deadline = time.monotonic() + 20
    while c.reload().status != "exited" or c.logs().count(b"run") < 2:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert c.attrs["RestartCount"] == 1 and c.exit_code == 4
    c.update(restart_policy={"Name": "always"})
    assert c.reload().attrs["HostConfig"]["RestartPolicy"] == {"Name": "always", "MaximumRetryCount": 0}
    h = client.containers.run("box:1", ["sleep", "100"], detach=True,
                              healthcheck={"test": "true", "interval": 200_000_000, "retries": 1})
    assert h.health == "starting"
    while h.reload().health != "healthy":
        assert time.monotonic() < deadline + 20
        time.sleep(0.1)
    assert h.attrs["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", "true"]
    with pytest.raises(hutch.HutchError, match="Conflicting options: --restart and --rm"):
        client.containers.create("box:1", ["true"], auto_remove=True, restart_policy={"Name": "always"})
    h.remove(force=True)
    c.remove(force=True)
