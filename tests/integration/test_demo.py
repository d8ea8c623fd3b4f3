"""The README's first command, `scripts/demo.sh`, runs and shows what it says it shows."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.root


def test_demo() -> None:
    r = subprocess.run(["bash", str(REPO / "scripts" / "demo.sh")], capture_output=True, text=True,
                       timeout=300, check=False)
    assert r.returncode == 0, r.stderr + r.stdout
    out = r.stdout
    for line in ("hostname: hutch", "pid: 1", "memory limit: 67108864", "Seccomp:\t2",
                 "demo-ticker: Exited (137)", "80/tcp -> 0.0.0.0:8080"):
        assert line in out, (line, out)
    assert " / / " not in out or "overlay" in out  # the engine's container is on its overlay root
    assert "exec in the running container: pid" in out and "tick " in out
    assert "hello from " in out and ", 10.88.0." in out  # served from the default network, on 127.0.0.1:8080
