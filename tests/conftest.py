"""Fixtures for tests that run real containers.

- ``hutch_runtime_bin``: Path of <repo>/.venv/bin/hutch-runtime (skips the test if missing).
- ``runtime``: a `Runtime` bound to a private ``--root`` (/run/hutch-test-<hex>, on tmpfs).
  ``runtime("state", cid)`` runs ``hutch-runtime --root ROOT state cid``;
  ``runtime.run_container(bundle)`` runs a container in the foreground. At teardown, also
  when the test failed, every container of that root is deleted with ``delete --force``, the
  root is removed, and the test errors if anything was left behind (state, cgroups
  ``hutch/<id>``, processes); see tests/support/leaks.py.
- ``bundle``: a `Bundle` (tests/support/bundles.py) in tmp_path running ``true``.
- ``unique_id``: a callable giving ``hutch-test-<8 hex>`` ids (checked for leaks at teardown).
- ``no_leaks``: ``no_leaks(cid)`` asserts, mid-test, that ``cid`` left no cgroup or process.

Tests marked ``root`` are skipped unless pytest runs as root.
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

from tests.support import sandbox
from tests.support import unique_id as new_id
from tests.support.bundles import Bundle
from tests.support.bundles import rootfs_template as build_rootfs_template
from tests.support.leaks import Tracker, find_leaks, leftover_cgroups, leftover_processes

pytest_plugins = ["tests.support.registry"]  # registry, auth_registry, token_registry, tls_registry, proxy

REPO = Path(__file__).resolve().parent.parent
RUNTIME = REPO / ".venv" / "bin" / "hutch-runtime"
# Every public registry is blocked for the tests and what they run (hutch, podman, skopeo
# read this variable): a short name pulled by mistake is a one-line error, never traffic.
os.environ["CONTAINERS_REGISTRIES_CONF"] = str(REPO / "tests" / "data" / "registries.conf")
# hutch refuses to make bridges, veths or firewall rules in the machine's own network namespace
# (hutch.engine.netattach.SANDBOX_ONLY); the session runs in namespaces of its own, made here,
# before any test (tests/support/sandbox.py): the default network is a bridge, as docker's
os.environ["HUTCH_NETWORK_SANDBOX_ONLY"] = "1"
sandbox.enter()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root (namespaces, mounts, cgroups)")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def hutch_runtime_bin() -> Path:
    if not RUNTIME.exists():
        pytest.skip(f"{RUNTIME} is missing: run scripts/setup.sh")
    return RUNTIME


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The busybox rootfs, built once per session; bundles get a copy of it."""
    return build_rootfs_template(tmp_path_factory.mktemp("rootfs-template"))


@pytest.fixture
def leak_tracker() -> Tracker:
    """Container ids, markers and pids of this test, for the leak check at teardown."""
    return Tracker()


@pytest.fixture
def unique_id(leak_tracker: Tracker) -> Callable[[], str]:
    def make() -> str:
        cid = new_id()
        leak_tracker.ids.add(cid)
        return cid

    return make


@pytest.fixture
def bundle(tmp_path: Path, rootfs_template: Path) -> Bundle:
    return Bundle(tmp_path / "bundle", ["true"], template=rootfs_template)


class Runtime:
    """hutch-runtime bound to one ``--root``: ``runtime(*args)`` runs a command."""

    def __init__(self, binary: Path, root: str, tracker: Tracker | None = None) -> None:
        self.bin = str(binary)
        self.root = root
        self.tracker = tracker if tracker is not None else Tracker()
        self.tracker.markers.add(root)

    def __call__(self, *args: str, input: str | None = None, timeout: float = 30,
                 check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """``hutch-runtime --root ROOT *args``: text output captured; with `check`, an
        AssertionError showing stderr if it exits non-zero."""
        if ("create" in args or "run" in args) and args and not args[-1].startswith("-"):
            self.tracker.ids.add(args[-1])
        # Files, not pipes: a created container's init inherits the runtime's stdio and
        # would hold a pipe open long after hutch-runtime itself has exited.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.run([self.bin, "--root", self.root, *args], stdout=out, stderr=err,
                                  input=input.encode() if input is not None else None,
                                  stdin=None if input is not None else subprocess.DEVNULL,
                                  env={**os.environ, **env} if env else None,
                                  timeout=timeout, check=False)
            out.seek(0)
            err.seek(0)
            r = subprocess.CompletedProcess(proc.args, proc.returncode,
                                            out.read().decode(errors="replace"),
                                            err.read().decode(errors="replace"))
        if check and r.returncode != 0:
            raise AssertionError(
                f"hutch-runtime {' '.join(args)} exited {r.returncode}:\n{r.stderr}{r.stdout}")
        return r

    def run_container(self, bundle: Bundle, cid: str | None = None, *, check: bool = False,
                      timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """``run --bundle B cid`` in the foreground (config.json written first); the
        result's returncode is the container's exit status, so `check` is off by default."""
        bundle.write()
        if cid is None:
            cid = new_id()
        self.tracker.ids.add(cid)
        return self("run", "--bundle", str(bundle.path), cid, check=check, timeout=timeout)

    def ids(self) -> list[str]:
        """The ids `list --format json` shows for this root ([] if it fails)."""
        r = self("list", "--format", "json", check=False)
        if r.returncode != 0:
            return []
        return [c["id"] for c in json.loads(r.stdout or "[]") or []]

    def state(self, cid: str) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(self("state", cid).stdout)
        return out


def _teardown(rt: Runtime) -> list[str]:
    """Delete every container of the root, remove the root, and report what was left."""
    leaks: list[str] = []
    for cid in rt.ids():
        rt.tracker.ids.add(cid)
        st = rt("state", cid, check=False)
        if st.returncode == 0:
            pid = json.loads(st.stdout).get("pid") or 0
            if pid > 0:
                rt.tracker.add_pid(pid)
        r = rt("delete", "--force", cid, check=False)
        if r.returncode != 0 and "does not exist" not in r.stderr:
            leaks.append(f"delete --force {cid} failed: {r.stderr.strip()}")
    if os.path.isdir(rt.root):
        from hutch.container.create import SECCOMP_CACHE  # (compiled programs: no container's)

        leaks += [f"state of {name} in {rt.root}" for name in os.listdir(rt.root)
                  if os.path.isdir(os.path.join(rt.root, name)) and name != SECCOMP_CACHE]
    leaks += find_leaks(rt.tracker.ids, rt.tracker.markers, rt.tracker.pids)
    shutil.rmtree(rt.root, ignore_errors=True)
    return leaks


@pytest.fixture
def runtime(hutch_runtime_bin: Path, leak_tracker: Tracker) -> Iterator[Runtime]:
    rt = Runtime(hutch_runtime_bin, f"/run/hutch-test-{secrets.token_hex(4)}", leak_tracker)
    try:
        yield rt
    finally:
        leaks = _teardown(rt)
        if leaks:
            pytest.fail("left behind:\n  " + "\n  ".join(leaks), pytrace=False)


@pytest.fixture
def no_leaks(leak_tracker: Tracker) -> Callable[[str], None]:
    """``no_leaks(cid)``: assert that container `cid` has no cgroup and no process left."""

    def check(cid: str) -> None:
        cgroups = leftover_cgroups([cid])
        procs = leftover_processes([cid], (), None)
        assert not cgroups and not procs, [*cgroups, *procs.values()]

    return check
