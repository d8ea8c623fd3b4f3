"""CVE-2019-5736 for a Python runtime: a container that makes the runtime's own
interpreter run inside it (an entrypoint or exec'd program starting ``#!/proc/self/exe``)
must not be able to overwrite that interpreter on the host.

The attack, for real, against a throw-away copy of the interpreter (never a binary the
machine uses): hutch-runtime runs from hutch's launcher (hutch/process/launcher.py) made for
the copy, with the copy's read-only interpreter (its seal) under the test's temp dir; the
container's program is a Python script whose interpreter line is ``#!/proc/self/exe``, so
the kernel runs the runtime's interpreter (the copy) as the container's process. The
script keeps an fd of /proc/self/exe, hands it to a shell and exits; the shell then opens
the fd's /proc/self/fd link for writing and writes a marker into the binary. The host's
/usr is bound read-only into the container so that the copy finds its standard library.

With hutch-runtime's protection (the interpreter that enters a container runs from a
read-only bind mount of it, so /proc/self/exe cannot be opened for writing), the write
fails with EROFS. With it turned off (the test-only switch), the same attack
succeeds: that is what makes the test able to fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from hutch.process import exeseal, launcher
from tests.conftest import RUNTIME, Runtime

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.root

MARKER = b"HUTCH-PWNED"
UNSAFE = "HUTCH_RUNTIME_UNSAFE_NO_EXE_SEAL"

EVIL = """#!/proc/self/exe
import os
fd = os.open("/proc/self/exe", os.O_RDONLY)
os.set_inheritable(fd, True)
print("evil ran as", os.readlink("/proc/self/exe"), flush=True)
# become a shell: the interpreter no longer runs here, so only the mount can stop the write
os.execv("/bin/sh", ["sh", "-c",
    "i=0; while [ $i -lt 100 ]; do "
    "  if printf HUTCH-PWNED 2>/tmp/err 1<> /proc/self/fd/%d; then echo written > /tmp/result; exit 0; fi; "
    "  grep -q Read-only /tmp/err && break; i=$((i+1)); sleep 0.05; "
    "done; cat /tmp/err > /tmp/result" % fd])
"""


class Victim:
    """A throw-away copy of the interpreter, its seal under the test's temp dir (not made
    yet: the first sealed command makes it) and a hutch-runtime launcher that runs on it."""

    def __init__(self, tmp_path: Path) -> None:
        venv = RUNTIME.parent.parent
        self.copy = tmp_path / "python-copy"
        shutil.copy2(os.path.realpath(venv / "bin" / "python3"), self.copy)
        self.seal = exeseal.Seal(str(tmp_path / "sealed"), str(self.copy), str(venv))
        self.launcher = tmp_path / "hutch-runtime"
        self.launcher.write_text(launcher.text("hutch-runtime", "hutch.cli.main", str(self.copy), self.seal,
                                               launcher.venv_paths(str(venv / "bin" / "python3"))))
        self.launcher.chmod(0o755)


@pytest.fixture
def victim(tmp_path: Path) -> Iterator[Victim]:
    v = Victim(tmp_path)
    try:
        yield v
    finally:
        exeseal.remove(v.seal)  # lazily: containers still running from it keep their binary


def _bundle_with_host_usr(bundle: Any, args: list[str]) -> None:
    rootfs = bundle.rootfs
    for name in ("lib", "lib64"):
        if not (rootfs / name).exists():
            (rootfs / name).symlink_to(f"usr/{name}")
    (rootfs / "usr").mkdir(exist_ok=True)
    (rootfs / "bin" / "evil").write_text(EVIL)
    (rootfs / "bin" / "evil").chmod(0o755)
    bundle.config["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr",
                                    "options": ["rbind", "ro", "nosuid", "nodev"]})
    bundle.config["process"]["args"] = args
    bundle.config["root"]["readonly"] = False
    bundle.write()


def _attack_via_exec(runtime: Runtime, bundle: Any, cid: str, env: dict[str, str]) -> str:
    _bundle_with_host_usr(bundle, ["sleep", "30"])
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    r = runtime("exec", "--detach", cid, "/bin/evil", check=False, env=env)
    assert r.returncode == 0, r
    return _result(bundle)  # the fixture's runtime deletes the container


def _result(bundle: Any) -> str:
    import time

    result = bundle.rootfs / "tmp" / "result"
    for _ in range(200):
        if result.exists() and result.read_text():
            return result.read_text()
        time.sleep(0.05)
    raise AssertionError("the attacker's shell reported nothing")


def _runtime(victim_launcher: Path, runtime: Runtime) -> Runtime:
    return Runtime(victim_launcher, runtime.root, runtime.tracker)


def test_exec_cannot_overwrite_the_interpreter(runtime: Runtime, bundle: Any, unique_id: Any,
                                               victim: Victim) -> None:
    before = victim.copy.read_bytes()
    out = _attack_via_exec(_runtime(victim.launcher, runtime), bundle, unique_id(), {})
    assert "written" not in out and "Read-only file system" in out, out
    assert victim.copy.read_bytes() == before


def test_create_cannot_overwrite_the_interpreter(runtime: Runtime, bundle: Any, unique_id: Any,
                                                 victim: Victim) -> None:
    """The same through the container's own entrypoint (the init's exec)."""
    before = victim.copy.read_bytes()
    rt = _runtime(victim.launcher, runtime)
    _bundle_with_host_usr(bundle, ["/bin/evil"])
    cid = unique_id()
    rt("create", "--bundle", str(bundle.path), cid)
    rt("start", cid)
    out = _result(bundle)
    assert "written" not in out and "Read-only file system" in out, out
    assert victim.copy.read_bytes() == before


def test_the_attack_works_without_the_protection(runtime: Runtime, bundle: Any, unique_id: Any,
                                                 victim: Victim) -> None:
    out = _attack_via_exec(_runtime(victim.launcher, runtime), bundle, unique_id(), {UNSAFE: "1"})
    assert "written" in out, out
    assert victim.copy.read_bytes().startswith(MARKER)  # the throw-away copy is overwritten


def _init_pid(rt: Runtime, cid: str) -> int:
    import json

    return int(json.loads(rt("state", cid).stdout)["pid"])


def _reexecuted(pid: int) -> bool:
    """Whether the process was exec'd again by exeseal: its first environment, which
    /proc/PID/environ shows (a forked child's too), has the marker of a re-execution."""
    return b"_HUTCH_EXESEAL_" in Path(f"/proc/{pid}/environ").read_bytes()


def _runs_sealed(pid: int, seal: exeseal.Seal) -> bool:
    exe = f"/proc/{pid}/exe"
    return os.readlink(exe) == seal.python and bool(os.statvfs(exe).f_flag & os.ST_RDONLY)


def test_run_needs_no_second_interpreter(runtime: Runtime, bundle: Any, unique_id: Any,
                                         victim: Victim) -> None:
    """With the seal made (by setup.sh), `run` executes the read-only interpreter at once:
    the runtime's own process runs from the seal and was never re-executed."""
    import subprocess
    import time

    exeseal.make(victim.seal)
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    cid = unique_id()
    rt = _runtime(victim.launcher, runtime)
    argv = [str(victim.launcher), "--root", rt.root, "run", "--bundle", str(bundle.path), cid]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if "running" in rt("state", cid, check=False).stdout:
                break
            time.sleep(0.05)
        assert _runs_sealed(proc.pid, victim.seal)  # the launcher's pid: sh exec'd the seal
        assert not _reexecuted(proc.pid)
    finally:
        rt("kill", cid, "KILL", check=False)
        proc.wait(timeout=30)


def test_missing_seal_is_made_by_the_first_sealed_command(runtime: Runtime, bundle: Any, unique_id: Any,
                                                         victim: Victim) -> None:
    """After a reboot (/run is empty) the launcher starts the plain interpreter; `create`
    makes the seal and re-executes itself through it, once; the next command needs none."""
    assert not os.path.exists(victim.seal.python)
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    rt = _runtime(victim.launcher, runtime)
    first, second = unique_id(), unique_id()
    rt("create", "--bundle", str(bundle.path), first)
    assert exeseal.is_current(victim.seal)
    pid = _init_pid(rt, first)  # created: pid 1 is still the runtime's fork
    assert _runs_sealed(pid, victim.seal) and _reexecuted(pid)
    rt("create", "--bundle", str(bundle.path), second)
    pid = _init_pid(rt, second)
    assert _runs_sealed(pid, victim.seal) and not _reexecuted(pid)


def test_stale_seal_is_made_again(runtime: Runtime, bundle: Any, unique_id: Any, victim: Victim) -> None:
    """The interpreter file replaced (an upgrade: a new inode): the seal still binds the old
    one, read-only; the next sealed command binds the new one."""
    exeseal.make(victim.seal)
    new = victim.copy.with_name("python-new")
    shutil.copy2(victim.copy, new)
    new.replace(victim.copy)
    assert not exeseal.is_current(victim.seal)
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    rt = _runtime(victim.launcher, runtime)
    cid = unique_id()
    rt("create", "--bundle", str(bundle.path), cid)
    pid = _init_pid(rt, cid)
    assert bool(os.statvfs(f"/proc/{pid}/exe").f_flag & os.ST_RDONLY) and not _reexecuted(pid)
    assert exeseal.is_current(victim.seal)
    assert os.stat(victim.seal.python).st_ino == os.stat(victim.copy).st_ino
