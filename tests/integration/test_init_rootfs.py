"""The container's init as runc's bats suite checks it: read-only /dev and tmpfs, proc on a
symlink, who owns the terminal, bind sources only the host's root can reach in a user
namespace, the hooks' working directories, and --no-pivot without the host's /proc."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_exec_console_hooks import start_sleeper

pytestmark = pytest.mark.root

UNSAFE_KEEP_HOST_PROC = "HUTCH_RUNTIME_UNSAFE_NO_PIVOT_KEEP_HOST_PROC"


def run(runtime: Any, bundle: Any, unique_id: Any, args: list[str], *flags: str,
        env: dict[str, str] | None = None) -> Any:
    bundle.config["process"]["args"] = args
    bundle.write()
    return runtime("run", *flags, "--bundle", str(bundle.path), unique_id(), check=False, env=env)


def mount_line(mounts: str, dest: str) -> str:
    lines = [ln for ln in mounts.splitlines() if ln.split()[1:2] == [dest]]
    assert lines, f"{dest} not in {mounts}"
    return lines[-1]


def test_readonly_dev_is_made_readonly_after_its_contents(runtime: Any, bundle: Any,
                                                          unique_id: Any) -> None:
    """runc issue 3248: /dev "ro" used to make mounting devpts and creating devices fail."""
    for m in bundle.config["mounts"]:
        if m["destination"] == "/dev":
            m["options"].append("ro")
    r = run(runtime, bundle, unique_id,
            ["sh", "-c", "cat /proc/mounts; ls /dev; touch /dev/x 2>&1; echo hi > /dev/null && echo ok"])
    assert r.returncode == 0, r.stderr
    dev = mount_line(r.stdout, "/dev")
    assert dev.split()[3].startswith("ro,") and "nosuid" in dev
    assert mount_line(r.stdout, "/dev/pts").split()[2] == "devpts"
    assert mount_line(r.stdout, "/dev/shm").split()[3].startswith("rw,")
    for name in ("null", "zero", "urandom", "tty", "pts", "shm"):
        assert name in r.stdout.split(), name
    assert "Read-only file system" in r.stdout
    assert r.stdout.rstrip().endswith("ok")


def test_readonly_tmpfs_keeps_its_mode_and_options(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["mounts"].append({"destination": "/mnt", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["ro", "nodev", "nosuid", "noexec", "mode=711"]})
    r = run(runtime, bundle, unique_id, ["sh", "-c", "grep ' /mnt ' /proc/mounts; stat -c %a /mnt"])
    assert r.returncode == 0, r.stderr
    line, mode = r.stdout.splitlines()
    opts = line.split()[3].split(",")
    assert opts[0] == "ro" and {"nodev", "nosuid", "noexec"} <= set(opts)
    assert mode == "711"


@pytest.mark.parametrize("fstype, dest", [("proc", "proc"), ("sysfs", "sys")])
def test_proc_and_sysfs_refuse_a_symlink(runtime: Any, bundle: Any, unique_id: Any,
                                         fstype: str, dest: str) -> None:
    os.rmdir(bundle.rootfs / dest)
    (bundle.rootfs / dest).symlink_to("/symlink")
    r = run(runtime, bundle, unique_id, ["true"])
    assert r.returncode != 0
    assert f'filesystem "{fstype}" must be mounted on ordinary directory' in r.stderr, r.stderr
    assert not (bundle.rootfs / "symlink").exists()


def _non_root(bundle: Any) -> None:
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 100}


def test_terminal_belongs_to_the_process_user(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """The pty's owner is the process's uid; its group stays devpts's gid=5 (tty)."""
    _non_root(bundle)
    bundle.config["process"]["terminal"] = True
    r = run(runtime, bundle, unique_id, ["sh", "-c", "stat -c %u:%g $(tty); id -u"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1000:5", "1000"]


def test_exec_terminal_belongs_to_the_process_user(runtime: Any, bundle: Any, unique_id: Any) -> None:
    _non_root(bundle)
    cid = unique_id()
    start_sleeper(runtime, bundle, cid)
    r = runtime("exec", "-t", cid, "sh", "-c", "stat -c %u:%g $(tty)")
    assert r.stdout.split() == ["1000:5"]
    r = runtime("exec", "-t", "--user", "1001:1001", cid, "sh", "-c", "stat -c %u:%g $(tty)")
    assert r.stdout.split() == ["1001:5"]
    runtime("delete", "--force", cid)


def test_stdio_belongs_to_the_process_user(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """As runc does: a non-root process may reopen its stdout (/dev/stdout), here a file of
    root's with mode 0600 (the test's capture file)."""
    _non_root(bundle)
    cid = unique_id()
    bundle.config["process"]["args"] = ["sh", "-c", "echo via-dev-stdout > /dev/stdout"]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), cid, input="", check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "via-dev-stdout"


def _userns(bundle: Any) -> None:
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65534}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65534}]
    bundle.chown(100000, 100000)


def _inaccessible_sources(bundle: Any) -> list[Path]:
    """Two bind sources under directories only the host's root may enter (mode 0700)."""
    dirs = []
    for n in (1, 2):
        top = bundle.path / f"source-inaccessible-{n}"
        (top / "dir").mkdir(parents=True)
        (top / "dir" / "foo.txt").write_text(f"foo{n}\n")
        top.chmod(0o700)
        bundle.config["mounts"].append({"source": f"source-inaccessible-{n}/dir",
                                        "destination": f"/tmp/mount-{n}", "options": ["bind"]})
        dirs.append(top)
    return dirs


def test_userns_bind_sources_root_of_the_namespace_cannot_reach(runtime: Any, bundle: Any,
                                                                unique_id: Any) -> None:
    """The runtime opens them (as the host's root, in the container's mount namespace)."""
    _userns(bundle)
    _inaccessible_sources(bundle)
    r = run(runtime, bundle, unique_id,
            ["sh", "-c", "cat /tmp/mount-1/foo.txt /tmp/mount-2/foo.txt; ls /proc/self/fd"])
    assert r.returncode == 0, r.stderr
    out = r.stdout.split()
    assert out[:2] == ["foo1", "foo2"]
    assert out[2:] == ["0", "1", "2", "3"], "no source fd reaches the process (3: ls's own)"


def test_userns_inaccessible_binds_then_exec(runtime: Any, bundle: Any, unique_id: Any) -> None:
    _userns(bundle)
    _inaccessible_sources(bundle)
    cid = unique_id()
    start_sleeper(runtime, bundle, cid)
    r = runtime("exec", cid, "cat", "/tmp/mount-1/foo.txt", "/tmp/mount-2/foo.txt")
    assert r.stdout.split() == ["foo1", "foo2"]
    runtime("delete", "--force", cid)


def test_userns_missing_bind_source_names_the_mount(runtime: Any, bundle: Any, unique_id: Any) -> None:
    _userns(bundle)
    bundle.config["mounts"].append({"source": "nonexistent", "destination": "/tmp/x", "options": ["bind"]})
    r = run(runtime, bundle, unique_id, ["true"])
    assert r.returncode != 0
    assert "mount nonexistent to /tmp/x" in r.stderr and "No such file or directory" in r.stderr


def test_hooks_working_directories(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Path) -> None:
    """As runc: prestart and createRuntime hooks run in the bundle directory, createContainer
    hooks in the rootfs (in the container's mount namespace, before pivot_root), and
    startContainer hooks in the process's cwd inside the container."""
    out = tmp_path / "hook-cwd"
    out.mkdir()

    def hook(name: str, target: str) -> dict[str, Any]:
        return {"path": "/bin/sh", "args": ["sh", "-c", f"pwd > {target}/{name}"]}

    bundle.config["process"]["cwd"] = "/tmp"
    bundle.config["hooks"] = {
        "prestart": [hook("prestart", str(out))],
        "createRuntime": [hook("createRuntime", str(out))],
        "createContainer": [hook("createContainer", str(out))],
        "startContainer": [hook("startContainer", "/dev/shm")],
    }
    # the startContainer hook writes inside the container, where `cat` finds it
    r = run(runtime, bundle, unique_id, ["cat", "/dev/shm/startContainer"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "/tmp"
    assert (out / "prestart").read_text().strip() == str(bundle.path)
    assert (out / "createRuntime").read_text().strip() == str(bundle.path)
    assert (out / "createContainer").read_text().strip() == str(bundle.rootfs)


def test_create_container_hook_mounts_into_the_rootfs(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """The bats test's use: a relative path in a createContainer hook lands in the rootfs."""
    (bundle.path / "lib.so").write_text("from the host\n")
    (bundle.rootfs / "lib").mkdir()
    bundle.config["hooks"] = {"createContainer": [
        {"path": "/bin/sh", "args": ["sh", "-c", f"touch ./lib/x.so && mount --bind {bundle.path}/lib.so "
                                                 "./lib/x.so"]}]}
    r = run(runtime, bundle, unique_id, ["cat", "/lib/x.so"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from the host\n"


def _proc_escape(bundle: Any) -> list[str]:
    """Mount a fresh procfs from a new user namespace: possible only if a full, uncovered
    proc mount is anywhere in the container's mount namespace."""
    for caps in ("bounding", "permitted", "effective"):
        bundle.config["process"]["capabilities"][caps].append("CAP_SETFCAP")  # root maps itself
    return ["unshare", "-mrpf", "sh", "-c",
            "mount -t proc none /proc && echo MOUNTED && cat /proc/sys/kernel/ostype"]


def test_no_pivot_does_not_expose_the_hosts_proc(runtime: Any, bundle: Any, unique_id: Any) -> None:
    r = run(runtime, bundle, unique_id, _proc_escape(bundle), "--no-pivot")
    assert r.returncode == 1
    assert "mount: permission denied" in r.stdout + r.stderr
    assert "MOUNTED" not in r.stdout


def test_no_pivot_proc_escape_works_without_the_protection(runtime: Any, bundle: Any,
                                                           unique_id: Any) -> None:
    """The same attack, with the host's proc and sysfs left in the namespace: a fresh,
    unmasked procfs (here only read: /proc/sys would be writable in it)."""
    r = run(runtime, bundle, unique_id, _proc_escape(bundle), "--no-pivot", env={UNSAFE_KEEP_HOST_PROC: "1"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["MOUNTED", "Linux"]


def test_no_pivot_in_a_user_namespace_covers_what_it_cannot_unmount(runtime: Any, bundle: Any,
                                                                    unique_id: Any) -> None:
    _userns(bundle)
    r = run(runtime, bundle, unique_id, _proc_escape(bundle), "--no-pivot")
    assert "mount: permission denied" in r.stdout + r.stderr
    assert r.returncode == 1


def test_no_pivot_container_still_has_its_proc_and_sys(runtime: Any, bundle: Any, unique_id: Any) -> None:
    r = run(runtime, bundle, unique_id,
            ["sh", "-c", "cat /proc/self/mountinfo; ls /sys/fs/cgroup | head -1"], "--no-pivot")
    assert r.returncode == 0, r.stderr
    mounts = {ln.split()[4]: ln.split(" - ")[1].split()[0] for ln in r.stdout.splitlines() if " - " in ln}
    assert mounts["/proc"] == "proc" and mounts["/sys"] == "sysfs"
    # the host's own /proc and /sys are untouched
    with open("/proc/self/mountinfo") as f:
        host = {ln.split()[4] for ln in f}
    assert {"/proc", "/sys"} <= host
