# ruff: noqa: F811  (the imported `hutch` fixture is every test's parameter)
"""docker's everyday run/create flags on real containers, checked from inside: the
environment docker gives (HOSTNAME, HOME, TERM), -m's swap, the namespace modes (--ipc,
--pid, --uts, --cgroupns), --shm-size, --sysctl, --device, --group-add, --domainname, the
resource flags, --cidfile, --volumes-from, -a, the detach keys, --platform.

docker's behaviour is the reference throughout (its defaults and its error words); each bad
value gives one line on stderr, exit status 125, and leaves no container behind.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.integration.test_engine import HUTCH, Hutch, _import, clean_up, hutch  # noqa: F401
from tests.integration.test_engine_flags import _bad

pytestmark = pytest.mark.root

V1 = not os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def _env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.replace("\r", "").splitlines() if "=" in line)


def _ns(kind: str) -> str:
    return os.readlink(f"/proc/self/ns/{kind}")


def _cgroup_file(h: Hutch, flags: list[str], v1: str, v2: str) -> str:
    """A cgroup file of the container's, read from inside (v1 or v2 name)."""
    r = h("run", "--rm", "--network", "none", *flags, "hbox:1", "sh", "-c",
          f"cat /sys/fs/cgroup/{v1} 2>/dev/null || cat /sys/fs/cgroup/{v2}")
    return r.stdout.strip()


# ---- the environment ----------------------------------------------------------------------


def test_environment_as_docker_gives_it(hutch: Hutch) -> None:
    """docker: PATH, HOSTNAME (the container's), TERM=xterm with -t, HOME from the user's
    passwd entry (/ without one); with --network host the host's name."""
    _import(hutch)
    env = _env(hutch("run", "--rm", "--network", "none", "hbox:1", "env").stdout)
    assert env["HOME"] == "/root" and "TERM" not in env and len(env["HOSTNAME"]) == 12, env
    env = _env(hutch("run", "--rm", "--network", "none", "-t", "-u", "user", "-h", "box", "hbox:1",
                     "env").stdout)
    assert env["HOME"] == "/home/user" and env["TERM"] == "xterm" and env["HOSTNAME"] == "box", env
    env = _env(hutch("run", "--rm", "--network", "none", "-u", "4242", "-e", "HOME=/mine", "hbox:1",
                     "env").stdout)
    assert env["HOME"] == "/mine", env
    env = _env(hutch("run", "--rm", "--network", "none", "-u", "4242", "hbox:1", "env").stdout)
    assert env["HOME"] == "/", env
    # exec: the container's environment; HOME that of exec's user
    hutch("run", "-d", "--name", "rf-env", "--network", "none", "-u", "user", "hbox:1", "sleep", "100")
    env = _env(hutch("exec", "rf-env", "env").stdout)
    assert env["HOME"] == "/home/user" and len(env["HOSTNAME"]) == 12 and "TERM" not in env, env
    env = _env(hutch("exec", "-u", "root", "rf-env", "env").stdout)
    assert env["HOME"] == "/root", env
    env = _env(hutch("exec", "-u", "root", "-e", "HOME=/x", "rf-env", "env").stdout)
    assert env["HOME"] == "/x", env
    hutch("rm", "-f", "rf-env")
    r = hutch("run", "--rm", "--network", "host", "hbox:1", "sh", "-c", "echo $HOSTNAME; hostname")
    assert r.stdout.split() == [socket.gethostname()] * 2, r.stdout


# ---- -m's swap ------------------------------------------------------------------------------


def test_memory_alone_gives_twice_as_much_memory_and_swap(hutch: Hutch) -> None:
    """docker's daemon: -m without --memory-swap sets memory+swap to twice the memory."""
    _import(hutch)
    got = _cgroup_file(hutch, ["-m", "32m"], "memory/memory.memsw.limit_in_bytes", "memory.swap.max")
    assert got == str((64 if V1 else 32) << 20), got


# ---- namespaces -----------------------------------------------------------------------------


def test_host_namespaces(hutch: Hutch) -> None:
    _import(hutch)
    script = "for n in ipc pid uts cgroup; do readlink /proc/self/ns/$n; done; hostname"
    own = hutch("run", "--rm", "--network", "none", "--cgroupns", "private", "hbox:1", "sh", "-c",
                script).stdout.split()
    assert not set(own[:4]) & {_ns(n) for n in ("ipc", "pid", "uts", "cgroup")}, own
    # docker's default cgroup namespace: the container's own on cgroup v2, the host's on v1
    default = hutch("run", "--rm", "--network", "none", "hbox:1", "readlink", "/proc/self/ns/cgroup").stdout
    assert (default.strip() == _ns("cgroup")) == V1, default
    host = hutch("run", "--rm", "--network", "none", "--ipc", "host", "--pid", "host", "--uts", "host",
                 "--cgroupns", "host", "hbox:1", "sh", "-c", script).stdout.split()
    assert host == [_ns("ipc"), _ns("pid"), _ns("uts"), _ns("cgroup"), socket.gethostname()], host
    r = hutch("run", "--rm", "--network", "none", "--uts", "host", "hbox:1", "cat", "/etc/hostname")
    assert r.stdout == socket.gethostname() + "\n"
    # --pid host: the host's processes are seen (this test's own among them)
    r = hutch("run", "--rm", "--network", "none", "--pid", "host", "hbox:1", "cat",
              f"/proc/{os.getpid()}/comm")
    assert r.stdout.strip() != ""
    # --ipc host: the host's /dev/shm; private (docker's default): a tmpfs of its own
    shm = hutch("run", "--rm", "--network", "none", "--ipc", "host", "hbox:1", "ls", "-di", "/dev/shm").stdout
    assert shm.split()[0] == str(os.stat("/dev/shm").st_ino), shm


def test_ipc_and_pid_of_another_container(hutch: Hutch) -> None:
    """--ipc container:X (X shareable, as docker requires) shares X's IPC namespace and
    /dev/shm; --pid container:X sees X's processes."""
    _import(hutch)
    hutch("run", "-d", "--name", "rf-donor", "--network", "none", "--ipc", "shareable", "hbox:1", "sh", "-c",
          "echo shared > /dev/shm/note; exec sleep 1000")
    donor_ipc = hutch("exec", "rf-donor", "readlink", "/proc/self/ns/ipc").stdout.strip()
    r = hutch("run", "--rm", "--network", "none", "--ipc", "container:rf-donor", "--pid",
              "container:rf-donor", "hbox:1", "sh", "-c",
              "readlink /proc/self/ns/ipc; cat /dev/shm/note; ps -o comm | grep -c sleep")
    assert r.stdout.split() == [donor_ipc, "shared", "1"], r.stdout
    hutch("run", "-d", "--name", "rf-private", "--network", "none", "hbox:1", "sleep", "1000")
    r1 = hutch("run", "--rm", "--network", "none", "--ipc", "container:rf-private", "hbox:1", "true",
               check=False)
    assert r1.returncode == 125 and r1.stderr == \
        "Error: non-shareable IPC (hint: use IpcMode:shareable for the donor container)\n", r1
    hutch("stop", "-t", "0", "rf-donor")
    r2 = hutch("run", "--rm", "--network", "none", "--pid", "container:rf-donor", "hbox:1", "true",
               check=False)
    assert r2.returncode == 125 and "cannot join PID of a non running container: rf-donor" in r2.stderr
    hutch("rm", "-f", "rf-donor", "rf-private")
    # a donor with the host's IPC namespace: the joiner has the host's /dev/shm too
    hutch("run", "-d", "--name", "rf-hostipc", "--network", "none", "--ipc", "host", "hbox:1", "sleep",
          "1000")
    r = hutch("run", "--rm", "--network", "none", "--ipc", "container:rf-hostipc", "hbox:1", "sh", "-c",
              "readlink /proc/self/ns/ipc; ls -di /dev/shm")
    assert r.stdout.split()[:2] == [_ns("ipc"), str(os.stat("/dev/shm").st_ino)], r.stdout
    hutch("rm", "-f", "rf-hostipc")


@pytest.mark.parametrize(("args", "words"), [
    (["--ipc", "bogus"], "--ipc: invalid IPC mode"),
    (["--pid", "bogus"], "--pid: invalid PID mode"),
    (["--uts", "private"], "--uts: invalid UTS mode"),
    (["--cgroupns", "bogus"], "--cgroupns: invalid CGROUP mode"),
    (["--userns", "bogus"], "--userns: invalid USER mode"),
    (["--uts", "host", "-h", "x"], "conflicting options: hostname and the UTS mode"),
    (["--ipc", "container:nosuch"], "No such container: nosuch"),
])
def test_bad_namespace_modes(hutch: Hutch, args: list[str], words: str) -> None:
    _import(hutch)
    _bad(hutch, ["--network", "none", *args, "hbox:1", "true"], words)


# ---- /dev/shm, sysctls, devices, groups, domain name ------------------------------------


def test_shm_size(hutch: Hutch) -> None:
    _import(hutch)
    script = "grep ' /dev/shm ' /proc/self/mountinfo"
    assert "size=65536k" in hutch("run", "--rm", "--network", "none", "hbox:1", "sh", "-c", script).stdout
    r = hutch("run", "--rm", "--network", "none", "--shm-size", "8m", "hbox:1", "sh", "-c", script)
    assert "size=8192k" in r.stdout, r.stdout
    _bad(hutch, ["--shm-size", "lots", "hbox:1", "true"], "invalid argument \"lots\" for \"--shm-size\" flag")


def test_sysctl(hutch: Hutch) -> None:
    _import(hutch)
    r = hutch("run", "--rm", "--network", "none", "--sysctl", "net.ipv4.ip_forward=1",
              "--sysctl", "kernel.shmmni=1234", "--sysctl", "fs.mqueue.msg_max=20", "hbox:1", "cat",
              "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmni", "/proc/sys/fs/mqueue/msg_max")
    assert r.stdout.split() == ["1", "1234", "20"], r.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["--sysctl", "kernel.hostname=x"], "sysctl 'kernel.hostname=x' is not allowed"),
    (["--sysctl", "vm.swappiness=1"], "is not allowed"),
    (["--sysctl", "net.ipv4.ip_forward"], "is not allowed"),
    (["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"], "not allowed in host network namespace"),
    (["--ipc", "host", "--sysctl", "kernel.shmmax=1"], "not allowed in host ipc namespace"),
])
def test_bad_sysctl(hutch: Hutch, args: list[str], words: str) -> None:
    _import(hutch)
    _bad(hutch, [*args, "hbox:1", "true"], words)


def test_device(hutch: Hutch) -> None:
    """--device: the node (its major and minor) and the cgroup's rule (its permissions: a
    device that is not among the defaults, /dev/loop-control, read-only)."""
    _import(hutch)
    r = hutch("run", "--rm", "--network", "none", "--device", "/dev/null:/dev/rfnull", "--device",
              "/dev/loop-control:/dev/rfloop:r", "hbox:1", "sh", "-c",
              "stat -c '%t:%T' /dev/rfnull; echo hi > /dev/rfnull && echo wrote; "
              ": < /dev/rfloop && echo read; (: > /dev/rfloop) 2>/dev/null || echo refused")
    assert r.stdout.split() == ["1:3", "wrote", "read", "refused"], r.stdout
    r = hutch("run", "--rm", "--network", "none", "hbox:1", "sh", "-c", "ls /dev/rfloop 2>/dev/null; true")
    assert r.stdout == ""
    if os.path.exists("/dev/net/tun"):  # a directory: the nodes below it (docker's)
        r = hutch("run", "--rm", "--network", "none", "--device", "/dev/net:/dev/rfnet", "hbox:1", "stat",
                  "-c", "%n %t:%T", "/dev/rfnet/tun")
        assert r.stdout.split() == ["/dev/rfnet/tun", "a:c8"], r.stdout


@pytest.mark.parametrize(("value", "words"), [
    ("/dev/null:rel", "bad format for path: /dev/null:rel"),
    ("/dev/null:/dev/x:rwx", "bad mode specified: rwx"),
    ("/dev/nosuch-rf", 'error gathering device information while adding custom device "/dev/nosuch-rf"'),
])
def test_bad_device(hutch: Hutch, value: str, words: str) -> None:
    _import(hutch)
    _bad(hutch, ["--device", value, "hbox:1", "true"], words)


def test_group_add_and_domainname(hutch: Hutch) -> None:
    _import(hutch)
    r = hutch("run", "--rm", "--network", "none", "--group-add", "user", "--group-add", "4242",
              "--domainname", "example.org", "hbox:1", "sh", "-c", "id -G; cat /proc/sys/kernel/domainname")
    assert r.stdout.split() == ["0", "1000", "4242", "example.org"], r.stdout
    _bad(hutch, ["--group-add", "nosuch", "hbox:1", "true"], "Unable to find group nosuch")


# ---- resources ----------------------------------------------------------------------------


def test_resource_flags(hutch: Hutch) -> None:
    """--memory-reservation, --cpu-period/--cpu-quota, --oom-score-adj and --oom-kill-disable,
    read from inside: v1's files here; on cgroup v2 (scripts/test-v2.sh) memory.low and cpu.max,
    and --oom-kill-disable dropped with docker daemon's warning (v2 has no such switch)."""
    _import(hutch)
    flags = ["--memory-reservation", "32m", "--cpu-period", "50000", "--cpu-quota", "25000",
             "--oom-score-adj", "500", "--oom-kill-disable", "-m", "64m", "hbox:1"]
    if V1:
        r = hutch("run", "--rm", "--network", "none", *flags,
                  "sh", "-c", "cd /sys/fs/cgroup; cat memory/memory.soft_limit_in_bytes "
                  "cpu/cpu.cfs_period_us cpu/cpu.cfs_quota_us /proc/self/oom_score_adj; "
                  "grep oom_kill_disable memory/memory.oom_control")
        assert r.stdout.split() == [str(32 << 20), "50000", "25000", "500", "oom_kill_disable", "1"], r.stdout
        assert "WARNING" not in r.stderr, r.stderr
        return
    r = hutch("run", "--rm", "--network", "none", *flags,
              "sh", "-c", "cd /sys/fs/cgroup; cat memory.low cpu.max /proc/self/oom_score_adj")
    assert r.stdout.split() == [str(32 << 20), "25000", "50000", "500"], r.stdout
    assert "WARNING: Your kernel does not support OomKillDisable. OomKillDisable discarded." in r.stderr


def test_oom_kill_disable_without_a_memory_limit_warns(hutch: Hutch) -> None:
    """docker's CLI: "Disabling the OOM killer on containers without setting a '-m/--memory'
    limit may be dangerous." (the container runs all the same)."""
    _import(hutch)
    r = hutch("run", "--rm", "--network", "none", "--oom-kill-disable", "hbox:1", "echo", "ran")
    assert r.stdout == "ran\n"
    assert "WARNING: Disabling the OOM killer on containers without setting a '-m/--memory' limit may " \
        "be dangerous." in r.stderr, r.stderr


def test_cgroup_parent(hutch: Hutch) -> None:
    _import(hutch)
    parent = f"hutch-rf-parent-{os.getpid()}"
    try:
        r = hutch("run", "--rm", "--network", "none", "--cgroupns", "host", "--cgroup-parent", parent,
                  "hbox:1", "cat", "/proc/self/cgroup")
        assert f":/{parent}/" in r.stdout, r.stdout
    finally:
        for d in Path("/sys/fs/cgroup").glob(f"*/{parent}"):
            for sub in sorted(d.glob("*"), reverse=True):
                if sub.is_dir():
                    sub.rmdir()
            d.rmdir()
        if Path(f"/sys/fs/cgroup/{parent}").is_dir():
            Path(f"/sys/fs/cgroup/{parent}").rmdir()


@pytest.mark.parametrize(("args", "words"), [
    (["--memory-reservation", "1m"], "Minimum memory reservation allowed is 6MB"),
    (["-m", "16m", "--memory-reservation", "32m"],
     "Minimum memory limit can not be less than memory reservation"),
    (["--cpu-period", "10"], "CPU cfs period can not be less than 1ms"),
    (["--cpu-quota", "10"], "CPU cfs quota can not be less than 1ms"),
    (["--cpus", "1", "--cpu-period", "50000"], "Conflicting options: Nano CPUs and CPU Period"),
    (["--blkio-weight", "5"], "Range of blkio weight is from 10 to 1000"),
    (["--oom-score-adj", "1001"], "range for oom score adj is [-1000, 1000]"),
])
def test_bad_resources(hutch: Hutch, args: list[str], words: str) -> None:
    _import(hutch)
    _bad(hutch, [*args, "hbox:1", "true"], words)


def test_blkio_weight_without_bfq(hutch: Hutch) -> None:
    """--blkio-weight needs a proportional I/O scheduler on cgroup v1: without BFQ (as this
    machine) the runtime says so, in one line. On v2 it is io.bfq.weight, else io.weight (the
    io controller's own weight, runc's conversion), read from inside."""
    from hutch.cgroups.translate.convert import weight_to_io

    _import(hutch)
    if not V1:
        r = hutch("run", "--rm", "--network", "none", "--blkio-weight", "300", "hbox:1", "sh", "-c",
                  "cat /sys/fs/cgroup/io.bfq.weight 2>/dev/null || cat /sys/fs/cgroup/io.weight")
        assert r.stdout.split()[:2] in (["default", "300"], ["default", str(weight_to_io(300))]), r.stdout
        return
    if any(Path("/sys/fs/cgroup/blkio").glob("blkio*weight")):
        r = hutch("run", "--rm", "--network", "none", "--blkio-weight", "300", "hbox:1", "true")
        assert r.returncode == 0
        return
    r = hutch("run", "--rm", "--network", "none", "--blkio-weight", "300", "hbox:1", "true", check=False)
    assert r.returncode != 0 and "BFQ" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r
    assert hutch("ps", "-a", "-q").stdout == ""


# ---- --cidfile, --volumes-from, -a --------------------------------------------------------


def test_cidfile(hutch: Hutch, tmp_path: Path) -> None:
    _import(hutch)
    f = tmp_path / "cid"
    cid = hutch("run", "-d", "--network", "none", "--cidfile", str(f), "hbox:1", "sleep",
                "100").stdout.strip()
    assert f.read_text() == cid
    hutch("rm", "-f", cid)
    _bad(hutch, ["--cidfile", str(f), "hbox:1", "true"], "container ID file found")  # docker's: it exists
    f2 = tmp_path / "cid2"
    out = hutch("create", "--network", "none", "--cidfile", str(f2), "hbox:1", "true").stdout.strip()
    assert f2.read_text() == out
    hutch("rm", out)
    f3 = tmp_path / "cid3"
    hutch("run", "--rm", "--network", "none", "--cidfile", str(f3), "hbox:1", "true")
    assert len(f3.read_text()) == 64


def test_volumes_from(hutch: Hutch, tmp_path: Path) -> None:
    _import(hutch)
    src = tmp_path / "bind"
    src.mkdir()
    (src / "f").write_text("bound\n")
    hutch("create", "--name", "rf-vols", "--network", "none", "-v", "rfdata:/data", "-v", f"{src}:/b",
          "--tmpfs", "/t", "hbox:1", "true")
    hutch("run", "--rm", "--network", "none", "--volumes-from", "rf-vols", "hbox:1", "sh", "-c",
          "echo in-volume > /data/v")
    r = hutch("run", "--rm", "--network", "none", "--volumes-from", "rf-vols:ro", "hbox:1", "sh", "-c",
              "cat /data/v /b/f; touch /data/x 2>/dev/null || echo ro; "
              "grep -c ' /t ' /proc/self/mountinfo; true")
    assert r.stdout.split() == ["in-volume", "bound", "ro", "0"], r.stdout
    hutch("rm", "rf-vols")
    hutch("volume", "rm", "rfdata")  # (no longer in use: --volumes-from's containers are gone)
    _bad(hutch, ["--volumes-from", "nosuch", "hbox:1", "true"], "No such container: nosuch")


def test_attach_streams(hutch: Hutch) -> None:
    _import(hutch)
    cmd = ["hbox:1", "sh", "-c", "echo out; echo err >&2"]
    r = hutch("run", "--rm", "--network", "none", "-a", "stdout", *cmd)
    assert (r.stdout, r.stderr) == ("out\n", ""), r
    r = hutch("run", "--rm", "--network", "none", "-a", "STDERR", *cmd)
    assert (r.stdout, r.stderr) == ("", "err\n"), r
    r = hutch("run", "--rm", "--network", "none", "-a", "stdin", "-a", "stdout", "hbox:1", "wc", "-l",
              input=b"1\n2\n3\n")
    assert r.stdout.strip() == "3", r
    r2 = hutch("run", "--rm", "-a", "stdfoo", *cmd, check=False)
    assert r2.returncode == 125 and "valid streams are STDIN, STDOUT and STDERR" in r2.stderr
    r2 = hutch("run", "--rm", "-d", "-a", "stdout", *cmd, check=False)
    assert r2.returncode == 125 and "conflicting options" in r2.stderr


# ---- the detach keys ----------------------------------------------------------------------


def _typed(*chunks: bytes, pause: float = 2.0) -> str:
    """A shell command that types ``chunks``, ``pause`` seconds apart (script's input)."""
    def octal(chunk: bytes) -> str:
        return "".join("\\" + format(b, "03o") for b in chunk)

    return "; ".join(f"sleep {pause}; printf '{octal(c)}'" for c in chunks) + "; sleep 30"


def _in_script(hutch: Hutch, args: str, typing: str) -> subprocess.CompletedProcess[bytes]:
    cmd = f"{HUTCH} --root {hutch.root} --runroot {hutch.runroot} {args}"
    with subprocess.Popen(["sh", "-c", typing], stdout=subprocess.PIPE) as feeder:
        try:
            return subprocess.run(["script", "-eqc", cmd, "/dev/null"], stdin=feeder.stdout,
                                  capture_output=True, timeout=60, check=False)
        finally:
            feeder.kill()


def _running(h: Hutch, name: str) -> bool:
    return bool(json.loads(h("inspect", name).stdout)[0]["State"]["Running"])


def test_detach_keys(hutch: Hutch) -> None:
    """Ctrl-P Ctrl-Q detaches `run -it` (docker's default keys), --detach-keys others; the
    container runs on; `attach` detaches the same way."""
    _import(hutch)
    r = _in_script(hutch, "run -it --name rf-it --network none hbox:1 sh",
                   _typed(b"echo one-$((1+1))\n", b"\x10\x11"))
    assert r.returncode == 0 and b"one-2" in r.stdout, r
    assert _running(hutch, "rf-it")
    r = _in_script(hutch, "attach --detach-keys ctrl-x,y rf-it", _typed(b"echo two-$((1+2))\n", b"\x18y"))
    assert r.returncode == 0 and b"two-3" in r.stdout, r
    assert _running(hutch, "rf-it")
    # a Ctrl-P not followed by Ctrl-Q goes on to the container; the shell's exit ends the run
    r = _in_script(hutch, "attach rf-it", _typed(b"\x10echo three\n", b"exit 4\n"))
    assert r.returncode == 4 and b"three" in r.stdout, r
    hutch("rm", "-f", "rf-it")
    r2 = hutch("run", "--rm", "--detach-keys", "ctrl-1", "hbox:1", "true", check=False)
    assert r2.returncode == 125 and "Invalid detach keys (ctrl-1) provided" in r2.stderr


# ---- --platform ---------------------------------------------------------------------------


def test_platform(hutch: Hutch) -> None:
    _import(hutch)
    import platform as host_platform

    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(host_platform.machine(), host_platform.machine())
    r = hutch("run", "--rm", "--network", "none", "--platform", f"linux/{arch}", "hbox:1", "echo", "ok")
    assert r.stdout == "ok\n"
    other = "linux/s390x" if arch != "s390x" else "linux/amd64"
    r2 = hutch("run", "--rm", "--network", "none", "--pull", "never", "--platform", other, "hbox:1", "true",
               check=False)
    assert r2.returncode == 125, r2
    assert "image with reference hbox:1 was found but does not match the specified platform: wanted " \
           f"{other}, actual: linux/{arch}" in r2.stderr, r2.stderr


def test_help_describes_the_flags(hutch: Hutch) -> None:
    out = hutch("run", "--help").stdout
    for flag in ("--device", "--shm-size", "--sysctl", "--group-add", "--domainname", "--ipc", "--pid",
                 "--uts", "--cgroupns", "--userns", "--cgroup-parent", "--oom-score-adj",
                 "--oom-kill-disable", "--memory-reservation", "--cpu-period", "--cpu-quota",
                 "--blkio-weight", "--cidfile",
                 "--volumes-from", "--attach", "--detach-keys", "--platform"):
        line = next(li for li in out.splitlines() if flag in li)
        assert len(line.split(flag, 1)[1].strip()) > 8, line


def test_oom_score_adj_below_the_current_one(hutch: Hutch) -> None:
    """Lowering the score needs CAP_SYS_RESOURCE: where the host has none (these VMs) the
    runtime's one line, exit 126 (docker's for "permission denied"), as runc's."""
    _import(hutch)
    from hutch.engine.specgen import _has_sys_resource

    r = hutch("run", "--rm", "--network", "none", "--oom-score-adj", "-500", "hbox:1", "cat",
              "/proc/self/oom_score_adj", check=False)
    if _has_sys_resource():
        assert r.stdout.strip() == "-500", r
        return
    assert r.returncode == 126 and r.stderr == \
        "Error: write /proc/self/oom_score_adj (-500): permission denied\n", r
    assert hutch("ps", "-a", "-q").stdout == ""


def test_inspect_shows_the_host_flags(hutch: Hutch) -> None:
    """docker's HostConfig names for what was asked (its defaults: IpcMode private, ShmSize 64m)."""
    _import(hutch)
    cid = hutch("create", "--network", "none", "hbox:1", "true").stdout.strip()
    hc = json.loads(hutch("inspect", cid).stdout)[0]["HostConfig"]
    assert (hc["IpcMode"], hc["ShmSize"], hc["PidMode"]) == ("private", 64 << 20, "")
    cid2 = hutch("create", "--network", "none", "--ipc", "shareable", "--pid", "host", "--shm-size", "1m",
                 "--device", "/dev/null:/dev/n:r", "--sysctl", "net.core.somaxconn=7",
                 "--domainname", "d.org",
                 "--cpu-quota", "20000", "--memory-reservation", "8m", "--oom-score-adj", "9",
                 "--group-add", "42", "hbox:1", "true").stdout.strip()
    doc = json.loads(hutch("inspect", cid2).stdout)[0]
    hc = doc["HostConfig"]
    assert (hc["IpcMode"], hc["PidMode"], hc["ShmSize"]) == ("shareable", "host", 1 << 20)
    assert hc["Devices"] == [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/n",
                              "CgroupPermissions": "r"}]
    assert hc["Sysctls"] == {"net.core.somaxconn": "7"} and doc["Config"]["Domainname"] == "d.org"
    assert (hc["CpuQuota"], hc["NanoCpus"], hc["MemoryReservation"]) == (20000, 0, 8 << 20)
    assert hc["OomScoreAdj"] == 9
    assert hc["GroupAdd"] == ["42"] and not any(m["Destination"] == "/dev/shm" for m in doc["Mounts"])
    hutch("rm", cid, cid2)


def test_inspect_shows_entrypoint_privileged_and_binds(hutch: Hutch, tmp_path: Path) -> None:
    """docker's Config.Entrypoint and Cmd apart (and commit keeps them so), HostConfig.Privileged
    and Init, Binds for -v with a source (as SRC:DST[:MODES]), Mounts for --mount, Tmpfs."""
    _import(hutch)
    cid = hutch("create", "--network", "none", "--entrypoint", "/bin/echo", "--privileged", "--init",
                "-v", f"{tmp_path}:/a:ro", "-v", "hutch-rf-named:/b", "-v", "/anon",
                "--mount", f"type=bind,src={tmp_path},dst=/c,readonly", "--tmpfs", "/t:size=1m",
                "hbox:1", "hi").stdout.strip()
    try:
        doc = json.loads(hutch("inspect", cid).stdout)[0]
        assert (doc["Config"]["Entrypoint"], doc["Config"]["Cmd"]) == (["/bin/echo"], ["hi"]), doc["Config"]
        assert (doc["Path"], doc["Args"]) == ("/bin/echo", ["hi"])
        hc = doc["HostConfig"]
        assert (hc["Privileged"], hc["Init"]) == (True, True)
        assert hc["Binds"] == [f"{tmp_path}:/a:ro", "hutch-rf-named:/b"], hc["Binds"]
        assert hc["Mounts"] == [{"Type": "bind", "Source": str(tmp_path), "Target": "/c", "ReadOnly": True}]
        assert hc["Tmpfs"] == {"/t": "size=1m"}
        hutch("commit", cid, "hutch-rf-committed:1")
        cfg = json.loads(hutch("image", "inspect", "hutch-rf-committed:1").stdout)[0]["Config"]
        assert (cfg["Entrypoint"], cfg["Cmd"]) == (["/bin/echo"], ["hi"]), cfg
        plain = json.loads(hutch("inspect", "-f", "{{json .HostConfig}}", hutch(
            "create", "--network", "none", "hbox:1", "true").stdout.strip()).stdout)
        got = (plain["Privileged"], plain["Init"], plain["Binds"], plain["Mounts"])
        assert got == (False, None, None, None), plain
    finally:
        hutch("rm", "-f", "-v", *hutch("ps", "-a", "-q").stdout.split(), check=False)
        hutch("rmi", "hutch-rf-committed:1", check=False)
        hutch("volume", "rm", "hutch-rf-named", check=False)


# ---- --uidmap / --gidmap (podman's) --------------------------------------------------------


def test_uidmap(hutch: Hutch) -> None:
    """A user namespace with the mappings; the image's layers idmapped (no chown): its root
    owns / and /etc and may write there; what it writes is the mapped uid's on the host. The
    store must be reachable by the mapped root (pytest's tmp dirs are 0700: a clear error)."""
    _import(hutch)
    args = ["--network", "none", "--uidmap", "0:100000:65536", "hbox:1"]
    r = hutch("run", "--rm", *args, "true", check=False)
    assert r.returncode == 125 and "is not searchable by others (chmod o+x" in r.stderr, r
    assert hutch("ps", "-a", "-q").stdout == ""
    top = Path(tempfile.mkdtemp(prefix="hutch-rf-uidmap-", dir="/tmp"))
    os.chmod(top, 0o711)
    h = Hutch(top / "store", f"/run/hutch-rf-uidmap-{os.getpid()}")
    try:
        h("import", str(hutch.tarball), "hbox:1")  # type: ignore[attr-defined]
        h("run", "--name", "rf-map", *args, "sh", "-c",
          "cat /proc/self/uid_map /proc/self/gid_map; stat -c %u:%g / /etc/passwd; echo x >> /etc/passwd; "
          "touch /made; id -u")
        cid = json.loads(h("inspect", "rf-map").stdout)[0]["Id"]
        out = h("logs", "rf-map").stdout.split()
        assert out == ["0", "100000", "65536", "0", "100000", "65536", "0:0", "0:0", "0"], out
        upper = h.root / "containers" / cid / "upper"
        assert (os.stat(upper / "made").st_uid, os.stat(upper / "etc/passwd").st_uid) == (100000, 100000)
        h("rm", "rf-map")
        # volumes are seen through the mappings too (what the container's root writes is
        # root's on the host); a bind only with podman's idmap option
        bind = top / "bind"
        bind.mkdir()
        (bind / "old").write_text("o")
        script = ("stat -c %u:%g /vol /b /plain; touch /vol/f /b/f; stat -c %u /vol/f /b/f; "
                  "echo x > /plain/f 2>/dev/null || echo refused")
        r = h("run", "--rm", "-v", "hutch-rf-vol:/vol", "-v", f"{bind}:/b:idmap", "-v", f"{bind}:/plain",
              *args, "sh", "-c", script)
        assert r.stdout.split() == ["0:0", "0:0", "65534:65534", "0", "0", "refused"], r.stdout
        data = Path(json.loads(h("volume", "inspect", "hutch-rf-vol").stdout)[0]["Mountpoint"])
        assert (os.stat(data / "f").st_uid, os.stat(bind / "f").st_uid) == (0, 0)
        # cp reaches a stopped container's idmapped volume (the volume's own directory)
        h("create", "--name", "rf-cp", "-v", "hutch-rf-vol:/vol", *args, "true")
        h("cp", str(bind / "old"), "rf-cp:/vol/copied")
        assert (data / "copied").read_text() == "o"
        h("rm", "rf-cp")
        with open("/proc/self/mountinfo") as f:
            assert str(top) not in f.read()
        r = h("run", "--rm", "-v", f"{bind}:/b:idmap", "--network", "none", "hbox:1", "true", check=False)
        assert r.returncode == 125 and "the idmap volume option needs --uidmap" in r.stderr, r.stderr
    finally:
        clean_up(h, top, h.runroot)
        shutil.rmtree(top, ignore_errors=True)
    _bad(hutch, ["--userns", "host", "--uidmap", "0:1:1", "hbox:1", "true"], "use one or the other")
    _bad(hutch, ["--uidmap", "0:100000", "hbox:1", "true"], 'for "--uidmap" flag')
