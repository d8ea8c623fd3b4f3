"""What a container gets from config.json, checked from inside real containers."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

import pytest

pytestmark = pytest.mark.root


def run_in(runtime: Any, bundle: Any, unique_id: Any, script: str, code: int = 0) -> str:
    bundle.config["process"]["args"] = ["sh", "-c", script]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), unique_id(), check=False)
    assert r.returncode == code, f"exit {r.returncode}, stderr: {r.stderr}"
    return str(r.stdout)


def status_field(out: str, name: str) -> str:
    m = re.search(rf"^{name}:\s*(\S+)", out, re.M)
    assert m, f"{name} not in {out!r}"
    return m.group(1)


def test_isolation_hostname_pid1_namespaces(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["hostname"] = "hutch-box"
    out = run_in(runtime, bundle, unique_id,
                 "hostname; echo pid=$$; for n in ipc mnt net pid uts cgroup; do "
                 "readlink /proc/self/ns/$n; done; ps -o pid,comm")
    lines = out.splitlines()
    assert lines[0] == "hutch-box"
    assert lines[1] == "pid=1"
    for link in lines[2:8]:
        assert link != os.readlink(f"/proc/self/ns/{link.split(':')[0]}"), link
    # ps sees only the container's processes
    assert [ln.split()[0] for ln in lines[9:]] == ["1", "2"] or len(lines[9:]) <= 2


def test_root_is_the_bundle_rootfs_and_readonly(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["root"]["readonly"] = True
    out = run_in(runtime, bundle, unique_id,
                 "awk '$5 == \"/\"' /proc/self/mountinfo; touch /x 2>&1; ls /")
    root_line = out.splitlines()[0]
    assert " ro" in root_line.split(" - ")[0]
    assert "Read-only file system" in out
    assert "bin" in out.split()


def test_mounts_options_and_tmpfs(runtime: Any, bundle: Any, unique_id: Any, tmp_path: Any) -> None:
    src = tmp_path / "data"
    src.mkdir()
    (src / "hello").write_text("hi\n")
    bundle.config["mounts"] += [
        {"destination": "/data", "type": "bind", "source": str(src), "options": ["rbind", "ro"]},
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=700"]},
    ]
    out = run_in(runtime, bundle, unique_id,
                 "cat /data/hello; touch /data/x 2>&1; grep -E ' /(data|scratch) ' /proc/self/mountinfo;"
                 " stat -c %a /scratch")
    assert "hi" in out and "Read-only file system" in out
    data = next(ln for ln in out.splitlines() if " /data " in ln)
    scratch = next(ln for ln in out.splitlines() if " /scratch " in ln)
    assert " ro," in data or " ro " in data
    assert "nosuid" in scratch and "nodev" in scratch and "noexec" in scratch
    assert "size=1024k" in scratch
    assert out.splitlines()[-1] == "700"


def test_dev_populated(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/kmsg-test", "type": "c", "major": 1, "minor": 11, "fileMode": 0o600,
         "uid": 0, "gid": 0},
    ]
    out = run_in(runtime, bundle, unique_id,
                 "for d in null zero full random urandom tty ptmx kmsg-test; do stat -c '%n %t:%T %F' "
                 "/dev/$d; done; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done;"
                 " grep -E ' /dev/(pts|shm|mqueue) ' /proc/self/mountinfo | wc -l;"
                 " head -c 4 /dev/zero | wc -c")
    for dev, rdev in [("null", "1:3"), ("zero", "1:5"), ("full", "1:7"), ("random", "1:8"),
                      ("urandom", "1:9"), ("tty", "5:0"), ("kmsg-test", "1:b")]:
        assert f"/dev/{dev} {rdev} character special file" in out
    assert "/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\npts/ptmx" in out
    assert out.splitlines()[-2:] == ["3", "4"]


def test_masked_and_readonly_paths(runtime: Any, bundle: Any, unique_id: Any) -> None:
    # paths this kernel has: a file and a directory to mask, a file and a directory to protect
    bundle.config["linux"]["maskedPaths"] = ["/proc/timer_list", "/proc/acpi", "/nonexistent"]
    bundle.config["linux"]["readonlyPaths"] = ["/proc/sys", "/proc/keys"]
    out = run_in(runtime, bundle, unique_id,
                 "wc -c < /proc/timer_list; ls /proc/acpi | wc -l; grep -c . /proc/acpi/../keys;"
                 " echo 1 > /proc/sys/kernel/ostype; grep -E ' /proc/(sys|keys|acpi|timer_list) '"
                 " /proc/self/mountinfo")
    lines = out.splitlines()
    assert lines[0] == "0" and lines[1] == "0"
    mounts = {ln.split()[4]: ln for ln in lines if ln.count(" ") > 5}
    assert " ro," in mounts["/proc/sys"] and " ro," in mounts["/proc/keys"]
    assert mounts["/proc/acpi"].split(" - ")[1].startswith("tmpfs")
    assert " ro," in mounts["/proc/acpi"]


def test_masked_path_replaced_by_symlink_is_not_followed(
    runtime: Any, bundle: Any, unique_id: Any
) -> None:
    """CVE-2025-31133: a masked path that is a symlink in the image must not mask its target."""
    (bundle.rootfs / "etc/secret").write_text("visible\n")
    (bundle.rootfs / "etc/link").symlink_to("/etc/secret")
    bundle.config["linux"]["maskedPaths"] = ["/etc/link"]
    bundle.config["root"]["readonly"] = False
    out = run_in(runtime, bundle, unique_id, "cat /etc/secret; grep -c ' /etc/' /proc/self/mountinfo; true")
    assert out.split() == ["visible", "0"]


def test_process_user_env_cwd_umask(runtime: Any, bundle: Any, unique_id: Any) -> None:
    p = bundle.config["process"]
    p["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5, 6], "umask": 0o027}
    p["env"] = ["PATH=/bin", "FOO=bar baz"]
    p["cwd"] = "/tmp"
    out = run_in(runtime, bundle, unique_id, "id -u; id -g; id -G; echo $FOO; pwd; umask")
    assert out.splitlines() == ["1000", "1000", "1000 5 6", "bar baz", "/tmp", "0027"]


def test_capabilities_all_sets(runtime: Any, bundle: Any, unique_id: Any) -> None:
    caps = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    bundle.config["process"]["capabilities"] = {
        "bounding": [*caps, "CAP_SYS_ADMIN"], "effective": caps, "permitted": caps,
        "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"],
    }
    out = run_in(runtime, bundle, unique_id, "grep Cap /proc/self/status")
    want = (1 << 0) | (1 << 5) | (1 << 10)
    assert int(status_field(out, "CapEff"), 16) == want
    assert int(status_field(out, "CapPrm"), 16) == want
    assert int(status_field(out, "CapBnd"), 16) == want | (1 << 21)
    assert int(status_field(out, "CapInh"), 16) == 1 << 5
    assert int(status_field(out, "CapAmb"), 16) == 1 << 5


def test_nonroot_user_keeps_listed_capabilities(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    # A non-root process keeps capabilities across exec only through the ambient set.
    cap = ["CAP_NET_BIND_SERVICE"]
    bundle.config["process"]["capabilities"] = {
        "bounding": cap, "effective": cap, "permitted": cap, "inheritable": cap, "ambient": cap,
    }
    out = run_in(runtime, bundle, unique_id, "id -u; grep CapEff /proc/self/status")
    assert out.splitlines()[0] == "1000"
    assert int(status_field(out, "CapEff"), 16) == 1 << 10


def test_rlimits_nnp_oom_signals(runtime: Any, bundle: Any, unique_id: Any) -> None:
    p = bundle.config["process"]
    p["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 768},
                    {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
    p["noNewPrivileges"] = True
    p["oomScoreAdj"] = 123
    out = run_in(runtime, bundle, unique_id,
                 "ulimit -n; ulimit -H -n; ulimit -c; cat /proc/self/oom_score_adj")
    assert out.splitlines() == ["512", "768", "0", "123"]
    # read by the container's process itself (a shell would set its own dispositions)
    bundle.config["process"]["args"] = ["cat", "/proc/self/status"]
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), unique_id())
    out = r.stdout
    assert status_field(out, "NoNewPrivs") == "1"
    assert int(status_field(out, "SigIgn"), 16) == 0, "SIGPIPE/SIGXFSZ must not stay ignored"
    assert int(status_field(out, "SigBlk"), 16) == 0


def test_only_stdio_fds_reach_the_process(runtime: Any, bundle: Any, unique_id: Any) -> None:
    out = run_in(runtime, bundle, unique_id, "ls /proc/self/fd | sort -n | tr '\\n' ' '")
    # 0 1 2, and the fd ls itself opens on /proc/self/fd
    assert out.split() == ["0", "1", "2", "3"]


def test_preserve_fds(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["process"]["args"] = ["sh", "-c", "echo through-fd3 >&3; ls /proc/self/fd | wc -l"]
    bundle.write()
    r_fd, w_fd = os.pipe()
    try:
        # hand the pipe to hutch-runtime as its fd 3, as containerd/podman pass extra fds
        cmd = (f"exec 3>&{w_fd} {w_fd}>&-; exec {runtime.bin} --root {runtime.root} run "
               f"--preserve-fds 1 --bundle {bundle.path} {unique_id()}")
        proc = subprocess.run(["bash", "-c", cmd], pass_fds=(w_fd,), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=30, check=False)
        os.close(w_fd)
        w_fd = -1
        assert proc.returncode == 0, proc.stderr
        assert os.read(r_fd, 100) == b"through-fd3\n"
        assert proc.stdout.split() == ["5"]  # 0 1 2 3, and ls's own
    finally:
        os.close(r_fd)
        if w_fd >= 0:
            os.close(w_fd)


def test_user_namespace_mappings(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    bundle.chown(200000, 200000)  # also opens the path to it for the namespace's root
    out = run_in(runtime, bundle, unique_id,
                 "cat /proc/self/uid_map /proc/self/gid_map; id -u; readlink /proc/self/ns/user")
    lines = out.split("\n")
    assert lines[0].split() == ["0", "200000", "65536"]
    assert lines[1].split() == ["0", "200000", "65536"]
    assert lines[2] == "0"
    assert lines[3] != os.readlink("/proc/self/ns/user")


def test_time_namespace_offsets(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    day = 86400
    bundle.config["linux"]["timeOffsets"] = {"boottime": {"secs": 1000 * day, "nanosecs": 0},
                                              "monotonic": {"secs": 1000 * day}}
    out = run_in(runtime, bundle, unique_id, "cut -d' ' -f1 /proc/uptime; readlink /proc/self/ns/time")
    assert float(out.split()[0]) > 1000 * day
    assert out.split()[1] != os.readlink("/proc/self/ns/time")


def test_join_namespace_by_path(runtime: Any, bundle: Any, unique_id: Any) -> None:
    holder = subprocess.Popen(["unshare", "--uts", "sh", "-c", "hostname hutch-joined; exec sleep 1000"])
    try:
        ns = f"/proc/{holder.pid}/ns/uts"
        deadline = 50
        while os.readlink(ns) == os.readlink("/proc/self/ns/uts") and deadline:
            import time

            time.sleep(0.05)
            deadline -= 1
        bundle.config.pop("hostname", None)
        nss = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "uts"]
        bundle.config["linux"]["namespaces"] = [*nss, {"type": "uts", "path": ns}]
        out = run_in(runtime, bundle, unique_id, "hostname; readlink /proc/self/ns/uts")
        assert out.split() == ["hutch-joined", os.readlink(ns)]
        # a hostname in the config is set in the joined namespace (as runc does)
        bundle.config["hostname"] = "hutch-renamed"
        out = run_in(runtime, bundle, unique_id, "hostname")
        assert out.split() == ["hutch-renamed"]
    finally:
        holder.kill()
        holder.wait()


def test_sysctl_and_domainname(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}
    bundle.config["domainname"] = "hutch.test"
    bundle.config["linux"]["readonlyPaths"] = []
    out = run_in(runtime, bundle, unique_id,
                 "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni /proc/sys/kernel/domainname")
    assert out.split() == ["1", "1234", "hutch.test"]


def test_network_namespace_has_loopback_up(runtime: Any, bundle: Any, unique_id: Any) -> None:
    out = run_in(runtime, bundle, unique_id, "cat /sys/class/net/lo/operstate; ls /sys/class/net")
    assert out.split()[1:] == ["lo"]
    assert out.split()[0] in ("unknown", "up")


def test_no_pivot(runtime: Any, bundle: Any, unique_id: Any) -> None:
    bundle.config["process"]["args"] = ["sh", "-c", "ls /; echo pid=$$"]
    bundle.write()
    r = runtime("run", "--no-pivot", "--bundle", str(bundle.path), unique_id(), check=False)
    assert r.returncode == 0, r.stderr
    assert "bin" in r.stdout.split() and "pid=1" in r.stdout


def test_cgroup_mount_shows_the_container_cgroup(runtime: Any, bundle: Any, unique_id: Any) -> None:
    out = run_in(runtime, bundle, unique_id, "cat /proc/self/cgroup; ls /sys/fs/cgroup")
    assert out.strip()
    assert "hutch" in out or "0::/" in out


def test_rootfs_propagation(runtime: Any, bundle: Any, unique_id: Any) -> None:
    script = "awk '$5 == \"/\"' /proc/self/mountinfo"
    default = run_in(runtime, bundle, unique_id, script)
    assert "shared:" not in default
    bundle.config["linux"]["rootfsPropagation"] = "rshared"
    shared = run_in(runtime, bundle, unique_id, script)
    assert "shared:" in shared
    bundle.config["linux"]["rootfsPropagation"] = "unbindable"  # runc 1.1 fails this one
    unbindable = run_in(runtime, bundle, unique_id, script)
    assert "unbindable" in unbindable



def test_no_mount_namespace_leaves_the_callers_root_alone(runtime: Any, bundle: Any,
                                                          unique_id: Any) -> None:
    """Without a mount namespace the container is a chroot; its mounts land in the caller's
    namespace (so this runs inside a private one, as the brief requires), but the caller's /
    keeps its propagation and stays writable even with root.readonly."""
    bundle.config["linux"]["namespaces"] = [
        n for n in bundle.config["linux"]["namespaces"] if n["type"] not in ("mount", "cgroup")]
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] == "/proc"]
    bundle.config["linux"]["maskedPaths"] = []
    bundle.config["linux"]["readonlyPaths"] = []
    bundle.config["root"]["readonly"] = True
    bundle.config["process"]["args"] = ["sh", "-c", "ls /; echo pid=$$"]
    bundle.write()
    # / shared within the private namespace only (a peer group of its own), to see a change
    script = (f"mount --make-shared /; findmnt -no PROPAGATION,OPTIONS /; "
              f"{runtime.bin} --root {runtime.root} run "
              f"--bundle {bundle.path} {unique_id()}; findmnt -no PROPAGATION,OPTIONS /")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == lines[-1], "the caller's / changed"
    assert "bin" in lines and "pid=1" in lines
