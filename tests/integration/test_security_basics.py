"""Security properties the runtime core has by design (the full escape suite is issue 4's)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.root


def test_created_init_does_not_expose_the_host_interpreter(runtime: Any, bundle: Any,
                                                           unique_id: Any) -> None:
    """CVE-2019-5736: while `created`, pid 1 is hutch's init (the host's python). It is
    non-dumpable, so a process in the container cannot open /proc/1/exe."""
    cid = unique_id()
    runtime("create", "--bundle", str(bundle.path), cid)
    try:
        r = runtime("exec", cid, "sh", "-c",
                    "cat /proc/1/exe > /dev/null && echo OPENED; readlink /proc/1/exe || echo DENIED",
                    check=False)
        assert "OPENED" not in r.stdout
        assert "DENIED" in r.stdout
    finally:
        runtime("delete", "--force", cid)


def test_cwd_outside_the_container_is_refused(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """CVE-2024-21626: no inherited fd can serve as a way out through cwd."""
    bundle.config["process"]["cwd"] = "/proc/self/fd/7"
    bundle.write()
    cid = unique_id()
    r = runtime("create", "--bundle", str(bundle.path), cid, check=False)
    assert r.returncode != 0 and "cwd" in r.stderr


def test_cwd_check_without_getcwd(tmp_path: Any) -> None:
    """The cwd check's fallback when a seccomp filter refuses getcwd(2): climbing `..`
    meets the root from inside, never from a directory outside the root (a leaked fd)."""
    import os

    from hutch.init.execve import reaches_root

    (tmp_path / "root" / "a" / "b").mkdir(parents=True)
    (tmp_path / "outside" / "deep").mkdir(parents=True)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 1
        try:
            out_fd = os.open(tmp_path / "outside" / "deep", os.O_RDONLY | os.O_DIRECTORY)
            os.chroot(tmp_path / "root")
            os.chdir("/a/b")
            inside = reaches_root()
            os.fchdir(out_fd)
            outside = reaches_root()
            code = 0 if (inside, outside) == (True, False) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize(("field", "words"), [
    ("apparmorProfile", "AppArmor is not enabled on this host"),
    ("selinuxLabel", "SELinux is not enabled on this host"),
])
def test_an_lsm_the_host_lacks_is_refused(runtime: Any, bundle: Any, unique_id: Any, no_leaks: Any,
                                          field: str, words: str) -> None:
    from hutch.init import lsm

    if lsm.host_has("apparmor" if field == "apparmorProfile" else "selinux"):
        pytest.skip("this host has the LSM")
    cid = unique_id()
    bundle.config["process"][field] = "hutch-test-profile"
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), cid, check=False)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1 and words in r.stderr, r
    assert runtime.ids() == []
    no_leaks(cid)


def test_exec_with_an_lsm_the_host_lacks_is_refused(runtime: Any, bundle: Any, unique_id: Any) -> None:
    from hutch.init import lsm

    if lsm.host_has("apparmor"):
        pytest.skip("this host has AppArmor")
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    r = runtime("exec", "--apparmor", "hutch-test-profile", cid, "true", check=False)
    assert r.returncode != 0 and "AppArmor is not enabled" in r.stderr, r
    runtime("delete", "--force", cid)
