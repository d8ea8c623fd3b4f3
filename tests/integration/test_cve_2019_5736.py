"""CVE-2019-5736 for a Python runtime: a container that makes the runtime's own
interpreter run inside it (an entrypoint or exec'd program starting ``#!/proc/self/exe``)
must not be able to overwrite that interpreter on the host.

The attack, for real, against a throw-away copy of the interpreter (never a binary the
machine uses): hutch-runtime runs from a launcher whose interpreter is the copy; the
container's program is a Python script whose interpreter line is ``#!/proc/self/exe``, so
the kernel runs the runtime's interpreter (the copy) as the container's process. The
script keeps an fd of /proc/self/exe, hands it to a shell and exits; the shell then opens
the fd's /proc/self/fd link for writing and writes a marker into the binary. The host's
/usr is bound read-only into the container so that the copy finds its standard library.

With hutch-runtime's protection (the interpreter that enters a container runs from a
read-only bind mount of itself, so /proc/self/exe cannot be opened for writing), the
write fails with EROFS. With it turned off (the test-only switch), the same attack
succeeds: that is what makes the test able to fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RUNTIME, Runtime

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


@pytest.fixture
def victim(tmp_path: Path) -> tuple[Path, Path]:
    """(a throw-away copy of the interpreter, a hutch-runtime launcher that runs on it)."""
    real = Path(os.path.realpath(RUNTIME.parent / "python3"))
    copy = tmp_path / "python-copy"
    shutil.copy2(real, copy)
    launcher = tmp_path / "hutch-runtime"
    lines = RUNTIME.read_text().splitlines()
    assert lines[0].startswith("#!")
    flags = lines[0].split(None, 1)[1] if " " in lines[0] else ""
    launcher.write_text("\n".join([f"#!{copy} {flags}".rstrip(), *lines[1:]]) + "\n")
    launcher.chmod(0o755)
    return copy, launcher


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
                                               victim: tuple[Path, Path]) -> None:
    copy, launcher = victim
    before = copy.read_bytes()
    out = _attack_via_exec(_runtime(launcher, runtime), bundle, unique_id(), {})
    assert "written" not in out and "Read-only file system" in out, out
    assert copy.read_bytes() == before


def test_create_cannot_overwrite_the_interpreter(runtime: Runtime, bundle: Any, unique_id: Any,
                                                 victim: tuple[Path, Path]) -> None:
    """The same through the container's own entrypoint (the init's exec)."""
    copy, launcher = victim
    before = copy.read_bytes()
    rt = _runtime(launcher, runtime)
    _bundle_with_host_usr(bundle, ["/bin/evil"])
    cid = unique_id()
    rt("create", "--bundle", str(bundle.path), cid)
    rt("start", cid)
    out = _result(bundle)
    assert "written" not in out and "Read-only file system" in out, out
    assert copy.read_bytes() == before


def test_the_attack_works_without_the_protection(runtime: Runtime, bundle: Any, unique_id: Any,
                                                 victim: tuple[Path, Path]) -> None:
    copy, launcher = victim
    out = _attack_via_exec(_runtime(launcher, runtime), bundle, unique_id(), {UNSAFE: "1"})
    assert "written" in out, out
    assert copy.read_bytes().startswith(MARKER)  # the throw-away copy is overwritten
