"""Fixtures: a busybox bundle, and hutch-runtime bound to a private state root.

Every container a test makes is deleted at teardown (also when the test fails),
and the teardown checks that nothing of it is left: no state, no cgroup.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.bundles import Bundle, make_rootfs

REPO = Path(__file__).resolve().parent.parent
RUNTIME = REPO / ".venv" / "bin" / "hutch-runtime"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rootfs-template") / "rootfs"
    make_rootfs(path)
    return path


@pytest.fixture
def bundle(tmp_path: Path, rootfs_template: Path) -> Bundle:
    path = tmp_path / "bundle"
    path.mkdir()
    return Bundle(path, rootfs_template, ["true"])


@pytest.fixture
def unique_id() -> Callable[[], str]:
    return lambda: f"hutch-test-{secrets.token_hex(4)}"


class Runtime:
    """``runtime("state", cid)`` runs ``hutch-runtime --root ROOT state cid``."""

    def __init__(self, root: str) -> None:
        self.bin = str(RUNTIME)
        self.root = root

    def __call__(self, *args: str, check: bool = True, input: str | None = None,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
        # Files, not pipes: a created container's init inherits the runtime's stdio and
        # would hold a pipe open long after hutch-runtime itself has exited.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.run([self.bin, "--root", self.root, *args], stdout=out, stderr=err,
                                  input=input.encode() if input is not None else None,
                                  stdin=None if input is not None else subprocess.DEVNULL,
                                  timeout=timeout, check=False)
            out.seek(0)
            err.seek(0)
            r = subprocess.CompletedProcess(proc.args, proc.returncode, out.read().decode(),
                                            err.read().decode())
        if check and r.returncode != 0:
            raise AssertionError(f"hutch-runtime {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r

    def ids(self) -> list[str]:
        r = self("list", "--format", "json", check=False)
        return [c["id"] for c in json.loads(r.stdout or "[]")] if r.returncode == 0 else []


def leftover_cgroups(cid: str) -> list[str]:
    base = "/sys/fs/cgroup"
    found = []
    for h in os.listdir(base):
        path = os.path.join(base, h, "hutch", cid)
        if os.path.isdir(path):
            found.append(path)
    return found


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    if not RUNTIME.exists():
        pytest.skip(f"{RUNTIME} is missing: run scripts/setup.sh")
    root = f"/run/hutch-test-{secrets.token_hex(4)}"
    rt = Runtime(root)
    try:
        yield rt
    finally:
        leaks = []
        for cid in rt.ids():
            rt("delete", "--force", cid, check=False)
        if os.path.isdir(root):
            leaks += [f"state of {name}" for name in os.listdir(root)]
            shutil.rmtree(root, ignore_errors=True)
        if leaks:
            pytest.fail(f"left behind: {leaks}")


@pytest.fixture
def no_leaks(unique_id: Callable[[], str]) -> Callable[[str], None]:
    """Assert that container ``cid`` left no cgroup behind."""

    def check(cid: str) -> None:
        assert not leftover_cgroups(cid), leftover_cgroups(cid)

    return check


def pytest_configure(config: pytest.Config) -> None:
    _ = Any
