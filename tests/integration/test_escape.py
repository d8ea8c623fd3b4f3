"""The escape suite: from inside a container with a default-like config, each way out
must fail; where it is safe, the same attack first succeeds with the protection off, so
that these tests can fail.

Default-like: runc's default config (tests/support/bundles.py: three capabilities,
no_new_privs, masked and read-only paths, a read-only root, every namespace but user)
with the seccomp profile podman would give it (Debian's containers-common template,
resolved by hutch.engine.seccomp_profile). The attacks are a Python probe (the host's /usr bound
read-only into the container, so the host's python3 runs there; ctypes for raw syscalls).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.bundles import _CAPS

pytestmark = pytest.mark.root

ALL_CAPS = [f"CAP_{c}" for c in (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "NET_BIND_SERVICE", "NET_ADMIN", "NET_RAW", "SYS_MODULE", "SYS_RAWIO",
    "SYS_CHROOT", "SYS_PTRACE", "SYS_ADMIN", "MKNOD", "AUDIT_WRITE", "SETFCAP")]

PROBE = r'''
import ctypes, errno, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
HOST_PID = int(os.environ["HOST_PID"])
SKIP = set(os.environ.get("SKIP", "").split(","))
NR = {"init_module": 175, "finit_module": 313, "bpf": 321, "open_by_handle_at": 304}  # x86_64
out = {}

def c(ret):
    if ret == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return ret

def attempt(name, fn):
    if name in SKIP:
        return
    try:
        fn()
        out[name] = "ok"
    except OSError as e:
        out[name] = errno.errorcode.get(e.errno, str(e.errno))

def masked_file():
    # /proc/kcore where the kernel has it (host memory), else another masked file
    path = os.environ["MASKED_FILE"]
    with open(path, "rb") as f:
        if not f.read(16):
            raise OSError(errno.ENODATA, "masked: empty")

def masked_dir():
    if not os.listdir(os.environ["MASKED_DIR"]):
        raise OSError(errno.ENODATA, "masked: empty")

def write(path, data):
    with open(path, "w") as f:
        f.write(data)

MS_REMOUNT, MS_BIND = 0x20, 0x1000
attempt("mount", lambda: c(libc.mount(b"tmpfs", b"/mnt", b"tmpfs", 0, None)))
attempt("remount_root_rw", lambda: c(libc.mount(None, b"/", None, MS_REMOUNT | MS_BIND, None)))
attempt("write_root", lambda: write("/hutch-escape-probe", "x"))
attempt("sysrq_trigger", lambda: write("/proc/sysrq-trigger", "h"))
attempt("proc_sys", lambda: write("/proc/sys/kernel/domainname", "hutch-escape"))
attempt("init_module", lambda: c(libc.syscall(NR["init_module"], None, 0, b"")))
attempt("finit_module", lambda: c(libc.syscall(NR["finit_module"], -1, b"", 0)))
attempt("masked_file", masked_file)
attempt("masked_dir", masked_dir)
attempt("mknod", lambda: os.mknod("/dev/hutch-mem", 0o20600, os.makedev(1, 1)))
attempt("ptrace_outside", lambda: c(libc.ptrace(16, HOST_PID, None, None)))  # PTRACE_ATTACH
attempt("signal_outside", lambda: os.kill(HOST_PID, 0))
attempt("bpf", lambda: c(libc.syscall(NR["bpf"], 0, None, 0)))
attempt("unshare_mount_ns", lambda: c(libc.unshare(0x20000)))
attempt("open_by_handle_at", lambda: c(libc.syscall(NR["open_by_handle_at"], -100, None, 0)))
fds = [f for f in os.listdir("/proc/self/fd") if int(f) > 2]
out["fds_beyond_stdio"] = len(fds) - 1  # minus the one listing the directory
print(json.dumps(out))
'''


def _host_usr(bundle: Any) -> None:
    for name in ("lib", "lib64"):
        if not (bundle.rootfs / name).exists():
            (bundle.rootfs / name).symlink_to(f"usr/{name}")
    (bundle.rootfs / "usr").mkdir(exist_ok=True)
    (bundle.rootfs / "mnt").mkdir(exist_ok=True)
    bundle.config["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr",
                                    "options": ["rbind", "ro", "nosuid", "nodev"]})


def default_seccomp(caps: list[str]) -> dict[str, Any]:
    from hutch.engine.seccomp_profile import CONTAINERS_COMMON, from_template

    if not os.path.exists(CONTAINERS_COMMON):
        pytest.skip(f"{CONTAINERS_COMMON} (containers-common) is missing")
    with open(CONTAINERS_COMMON) as f:
        return from_template(json.load(f), caps)


def probe(runtime: Any, bundle: Any, cid: str, skip: str = "") -> dict[str, Any]:
    _host_usr(bundle)
    (bundle.rootfs / "probe.py").write_text(PROBE)
    proc = bundle.config["process"]
    proc["args"] = ["/usr/bin/python3", "-I", "-S", "/probe.py"]
    masked_file = "/proc/kcore" if os.path.exists("/proc/kcore") else "/proc/timer_list"
    proc["env"] = [*proc["env"], f"HOST_PID={os.getpid()}", f"SKIP={skip}", f"MASKED_FILE={masked_file}",
                   "MASKED_DIR=/sys/firmware"]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), cid, check=False)
    assert r.returncode == 0, r.stderr + r.stdout
    results: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    return results


def test_a_default_container_cannot_get_out(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["linux"]["seccomp"] = default_seccomp(_CAPS)
    got = probe(runtime, bundle, unique_id())
    sysrq = "EROFS" if os.path.exists("/proc/sysrq-trigger") else "ENOENT"  # this VM's kernel has none
    assert got == {
        "mount": "EPERM",  # no CAP_SYS_ADMIN
        "remount_root_rw": "EPERM",
        "write_root": "EROFS",  # root.readonly
        "sysrq_trigger": sysrq,  # readonlyPaths
        "proc_sys": "EROFS",
        "init_module": "EPERM",  # seccomp (and no CAP_SYS_MODULE)
        "finit_module": "EPERM",
        "masked_file": "ENODATA",  # maskedPaths: /dev/null over a file
        "masked_dir": "ENODATA",  # and an empty read-only tmpfs over a directory
        "mknod": "EPERM",  # no CAP_MKNOD
        "ptrace_outside": "ESRCH",  # the pid namespace: no process outside has a pid here
        "signal_outside": "ESRCH",
        "bpf": "EPERM",  # seccomp
        "unshare_mount_ns": "EPERM",
        "open_by_handle_at": "EPERM",  # seccomp: the "shocker" escape
        "fds_beyond_stdio": 0,  # CVE-2024-21626: no host fd
    }, got


def test_the_same_probe_gets_through_without_the_protections(runtime: Any, bundle: Any,
                                                             unique_id: Any) -> None:
    """Every capability, no seccomp, no masks, a writable root, the host's pid namespace:
    the harmless attacks now work (or reach the kernel's own argument checks), which shows
    the probe can see the difference. Writing sysrq-trigger and ptrace of the test itself
    are never tried."""
    cfg = bundle.config
    cfg["process"]["capabilities"] = {s: ALL_CAPS for s in ("bounding", "effective", "permitted")}
    cfg["root"]["readonly"] = False
    cfg["linux"]["maskedPaths"] = []
    cfg["linux"]["readonlyPaths"] = []
    cfg["linux"]["namespaces"] = [ns for ns in cfg["linux"]["namespaces"] if ns["type"] != "pid"]
    cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/proc"] + [
        {"destination": "/proc", "type": "proc", "source": "proc"}]
    got = probe(runtime, bundle, unique_id(), skip="sysrq_trigger,ptrace_outside,proc_sys")
    assert got["mount"] == "ok" and got["remount_root_rw"] == "ok" and got["write_root"] == "ok", got
    assert got["mknod"] == "ok" and got["unshare_mount_ns"] == "ok" and got["signal_outside"] == "ok", got
    assert got["masked_file"] == "ok" and got["masked_dir"] == "ok", got
    # reached the kernel, which refuses the empty arguments (not EPERM)
    # (ENOSYS for init_module where the kernel has no modules, as this VM's)
    assert got["init_module"] not in ("EPERM", "ok") and got["bpf"] not in ("EPERM", "ok"), got
    assert got["open_by_handle_at"] not in ("EPERM", "ok"), got


def _suid_python(bundle: Any) -> None:
    target = bundle.rootfs / "suid-python"
    shutil.copy2(os.path.realpath("/usr/bin/python3"), target)
    os.chown(target, 0, 0)
    target.chmod(0o4755)


@pytest.mark.parametrize(("nnp", "euid"), [(True, "1000"), (False, "0")])
def test_setuid_escalation_needs_no_new_privs_off(runtime: Any, bundle: Any, unique_id: Any,
                                                  nnp: bool, euid: str) -> None:
    """A setuid-root binary in the image run by uid 1000: with no_new_privs the kernel
    ignores the setuid bit; without it, the attack works (euid 0)."""
    _host_usr(bundle)
    _suid_python(bundle)
    proc = bundle.config["process"]
    proc["user"] = {"uid": 1000, "gid": 1000}
    proc["noNewPrivileges"] = nnp
    proc["args"] = ["/suid-python", "-I", "-S", "-c", "import os; print(os.geteuid())"]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), unique_id(), check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == euid, r


# ---- CVE-2021-30465: a mount target that is (or becomes) a symlink out of the rootfs ----------------


def _volume(bundle: Any, tmp_path: Path) -> Path:
    src = tmp_path / "volume"
    src.mkdir()
    (src / "marker").write_text("volume\n")
    host = tmp_path / "host-target"
    host.mkdir()
    bundle.config["mounts"].append({"destination": "/vol", "type": "bind", "source": str(src),
                                    "options": ["rbind"]})
    bundle.config["process"]["args"] = ["cat", "/vol/marker"]
    bundle.config["root"]["readonly"] = False
    bundle.write()
    return host


def test_a_symlinked_mount_target_resolves_inside_the_rootfs(runtime: Any, bundle: Any,
                                                             unique_id: Any, tmp_path: Path) -> None:
    """rootfs/vol -> an absolute path on the host: the bind lands inside the rootfs (where
    the link leads when / is the rootfs), so the container sees the volume at /vol."""
    host = _volume(bundle, tmp_path)
    (bundle.rootfs / "vol").symlink_to(f"/../../../../../../../../..{host}")
    inside = bundle.rootfs / str(host).lstrip("/")
    inside.mkdir(parents=True)  # where the link leads inside the rootfs
    r = runtime("run", "--bundle", str(bundle.path), unique_id(), check=False)
    assert r.returncode == 0 and r.stdout == "volume\n", r
    assert list(host.iterdir()) == []


def test_a_mount_target_swapped_for_a_symlink_meanwhile(runtime: Any, bundle: Any, unique_id: Any,
                                                        tmp_path: Path) -> None:
    """A thread keeps swapping (rename(2), atomic) rootfs/vol between a link to a directory
    inside the rootfs and a link out of it to a host directory, while containers are
    created: in every one the volume is in one of the two directories inside the rootfs,
    and the host directory stays untouched."""
    host = _volume(bundle, tmp_path)
    (bundle.rootfs / "vol.dir").mkdir()
    (bundle.rootfs / str(host).lstrip("/")).mkdir(parents=True)
    vol = bundle.rootfs / "vol"
    targets = ["vol.dir", f"/../../../../..{host}"]
    vol.symlink_to(targets[0])
    # /vol itself keeps changing inside too: look where the mount can have landed
    bundle.config["process"]["args"] = ["sh", "-c", f"cat /vol.dir/marker 2>/dev/null || cat {host}/marker"]
    bundle.write()
    stop = threading.Event()
    errors: list[BaseException] = []

    def swap() -> None:
        spare = bundle.rootfs / "vol.next"
        i = 0
        try:
            while not stop.is_set():
                i += 1
                os.symlink(targets[i % 2], spare)
                os.rename(spare, vol)
                time.sleep(0.0002)
        except BaseException as err:
            errors.append(err)

    t = threading.Thread(target=swap, daemon=True)
    t.start()
    try:
        for _ in range(12):
            r = runtime("run", "--bundle", str(bundle.path), unique_id(), check=False)
            assert r.returncode == 0 and r.stdout == "volume\n", r
    finally:
        stop.set()
        t.join(5)
    assert not errors, errors
    assert list(host.iterdir()) == []
