"""linux.seccomp on real containers: the filter the init installs, checked from inside
(/proc/self/status, the errno or signal a denied syscall gets), for the init and for exec,
with and without no_new_privs, argument conditions, every kind of action that can be
shown safely, seccomp notify through a real agent, and bad profiles refused."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import struct
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_cgroup_ops import one_line_error
from tests.support.elfprobe import SUPPORTED

pytestmark = pytest.mark.root

ALLOW = "SCMP_ACT_ALLOW"


def profile(*syscalls: dict[str, Any], default: str = ALLOW, **extra: Any) -> dict[str, Any]:
    return {"defaultAction": default, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            "syscalls": list(syscalls), **extra}


def deny(*names: str, action: str = "SCMP_ACT_ERRNO", **extra: Any) -> dict[str, Any]:
    return {"names": list(names), "action": action, **extra}


def run(runtime: Any, bundle: Any, cid: str, script: str, seccomp: dict[str, Any] | None,
        nnp: bool = True) -> tuple[int, str]:
    bundle.config["process"]["args"] = ["sh", "-c", "{ " + script.rstrip("; ") + "; } > /tmp/out 2>&1"]
    bundle.config["process"]["noNewPrivileges"] = nnp
    bundle.config["root"]["readonly"] = False
    if seccomp is not None:
        bundle.config["linux"]["seccomp"] = seccomp
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), cid, check=False)
    out = bundle.rootfs / "tmp" / "out"
    return r.returncode, out.read_text() if out.exists() else r.stderr


STATUS = "grep -E '^(Seccomp|Seccomp_filters|NoNewPrivs):' /proc/self/status; "


def test_errno_rule_with_and_without_errno_ret(runtime: Any, bundle: Any, unique_id: Any) -> None:
    sec = profile(deny("mkdir", "mkdirat", errnoRet=errno.EACCES), deny("rmdir", "unlinkat"))
    code, out = run(runtime, bundle, unique_id(),
                    STATUS + "mkdir /tmp/d; echo mkdir=$?; rmdir /tmp; echo rmdir=$?; echo ok", sec)
    assert code == 0, out
    assert "Seccomp:\t2" in out and "Seccomp_filters:\t1" in out, out
    assert "Permission denied" in out and "mkdir=1" in out, out  # EACCES, from errnoRet
    assert "Operation not permitted" in out and "rmdir=1" in out, out  # EPERM, the default
    assert not (bundle.rootfs / "tmp" / "d").exists()


def test_without_a_filter_there_is_none(runtime: Any, bundle: Any, unique_id: Any) -> None:
    code, out = run(runtime, bundle, unique_id(), STATUS, None)
    assert code == 0 and "Seccomp:\t0" in out, out


def test_filter_without_no_new_privs(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """Installed while the init still has CAP_SYS_ADMIN (before the capability drop)."""
    code, out = run(runtime, bundle, unique_id(), STATUS + "mkdir /tmp/d; echo mkdir=$?",
                    profile(deny("mkdir", "mkdirat")), nnp=False)
    assert code == 0, out
    assert "NoNewPrivs:\t0" in out and "Seccomp:\t2" in out and "mkdir=1" in out, out
    caps = bundle.config["process"]["capabilities"]["bounding"]
    assert "CAP_SYS_ADMIN" not in caps  # the container itself could not have installed it


@pytest.mark.parametrize("nnp", [True, False])
def test_getcwd_denied(runtime: Any, bundle: Any, unique_id: Any, nnp: bool) -> None:
    """runtime-tools' linux_seccomp: getcwd refused. Without no_new_privs the filter is in
    place before the init checks its cwd, which then does without getcwd (runc fails here)."""
    bundle.config["process"]["cwd"] = "/tmp"
    code, out = run(runtime, bundle, unique_id(), "/bin/pwd; echo pwd=$?", profile(deny("getcwd")), nnp=nnp)
    assert code == 0, out
    assert "Operation not permitted" in out and "pwd=1" in out, out


def test_default_errno_with_an_allow_list(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """An allow-list profile as docker's: every syscall this libseccomp knows but the
    *mkdir* family is allowed; the rest gets defaultErrnoRet."""
    from hutch._sys import libseccomp

    lib = libseccomp.lib()
    lib.seccomp_syscall_resolve_num_arch.restype = __import__("ctypes").c_char_p
    names = []
    for nr in range(600):
        name = lib.seccomp_syscall_resolve_num_arch(0, nr)  # 0: the native arch
        if name and not name.decode().startswith("mkdir"):
            names.append(name.decode())
    sec = profile({"names": names, "action": ALLOW}, default="SCMP_ACT_ERRNO",
                  defaultErrnoRet=errno.ENOSPC)
    code, out = run(runtime, bundle, unique_id(), "mkdir /tmp/d; echo mkdir=$?; echo fine", sec)
    assert code == 0, out
    assert "No space left on device" in out and "mkdir=1" in out and "fine" in out, out


def strict_allowlist() -> dict[str, Any]:
    """runtime-tools' default profile: an allowlist older than faccessat2 and close_range."""
    text = (Path(__file__).parent.parent / "data" / "seccomp-allowlist.txt").read_text()
    names = [w for line in text.splitlines() if not line.startswith("#") for w in line.split()]
    assert "faccessat" in names and "faccessat2" not in names and "close_range" not in names
    no_namespaces = 0x7E020000  # CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP
    clone = {"names": ["clone"], "action": ALLOW,  # its rule for a process without CAP_SYS_ADMIN
             "args": [{"index": 0, "value": no_namespaces, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}
    return profile({"names": names, "action": ALLOW}, {"names": ["arch_prctl"], "action": ALLOW}, clone,
                   default="SCMP_ACT_ERRNO")


@pytest.mark.parametrize("nnp", [False, True])
def test_a_strict_allowlist_runs_the_container(runtime: Any, bundle: Any, unique_id: Any, nnp: bool) -> None:
    """Without no_new_privs the filter goes in before the credentials change: what the init
    does after it (find the program, close the fds, enter the cwd) must need nothing such a
    profile lacks (issue 12: faccessat2 made every exec fail, close_range's absence made the
    fd sweep close 2^20 fds one by one)."""
    cid = unique_id()
    bundle.config["process"]["cwd"] = "/tmp"
    code, out = run(runtime, bundle, cid, STATUS + "echo ran in $(pwd)", strict_allowlist(), nnp=nnp)
    assert code == 0, out
    assert "ran in /tmp" in out and "Seccomp:\t2" in out, out
    # and exec, with the same profile, as a user, by a relative name through PATH
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    r = runtime("exec", "--user", "1000:1000", cid, "sh", "-c", "echo exec as $(id -u)", check=False)
    runtime("delete", "--force", cid)
    assert r.returncode == 0 and r.stdout == "exec as 1000\n", r


def put_probe(bundle: Any, name: str, syscall: str | int) -> int:
    """/NAME in the rootfs: a program that makes syscall ``syscall`` (a name, or a number)
    and exits with its errno. Returns the number."""
    from hutch._sys import libseccomp
    from tests.support.elfprobe import syscall_probe

    nr = syscall if isinstance(syscall, int) else libseccomp.syscall_number(syscall)
    probe = bundle.rootfs / name
    probe.write_bytes(syscall_probe(nr))
    probe.chmod(0o755)
    return nr


@pytest.mark.skipif(not SUPPORTED, reason="the probe is an x86-64 program")
@pytest.mark.parametrize("nnp", [True, False])
def test_syscalls_newer_than_the_profile_get_enosys(runtime: Any, bundle: Any, unique_id: Any,
                                                    nnp: bool) -> None:
    """runc's -ENOSYS stub: under an allowlist (default EPERM), a syscall numbered above every
    one the profile names gets ENOSYS, so that glibc can fall back; one the profile leaves
    out below that still gets EPERM. The same for an exec'd process."""
    put_probe(bundle, "new", 1000)
    put_probe(bundle, "old", "ptrace")
    sec = strict_allowlist()
    assert "ptrace" not in sec["syscalls"][0]["names"]
    script = "/new; echo new=$?; /old; echo old=$?"
    code, out = run(runtime, bundle, unique_id(), script, sec, nnp=nnp)
    assert code == 0, out
    assert f"new={errno.ENOSYS}" in out and f"old={errno.EPERM}" in out, out
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    r = runtime("exec", cid, "sh", "-c", script, check=False)
    runtime("delete", "--force", cid)
    assert f"new={errno.ENOSYS}" in r.stdout and f"old={errno.EPERM}" in r.stdout, r


@pytest.mark.skipif(not SUPPORTED, reason="the probe is an x86-64 program")
def test_a_permissive_default_keeps_its_own_answer(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """SCMP_ACT_LOG as the default: no stub, a syscall the kernel lacks gets the kernel's
    ENOSYS, and an old one the profile does not name goes through (ptrace(TRACEME) works)."""
    put_probe(bundle, "new", 1000)
    put_probe(bundle, "old", "ptrace")
    code, out = run(runtime, bundle, unique_id(), "/new; echo new=$?; /old; echo old=$?",
                    profile(deny("mkdir"), default="SCMP_ACT_LOG"))
    assert code == 0 and f"new={errno.ENOSYS}" in out and "old=0" in out, out


def test_a_start_container_hook_killed_by_seccomp(runtime: Any, bundle: Any, unique_id: Any,
                                                  no_leaks: Any) -> None:
    """The startContainer hook runs in the container under its filter: a syscall that kills
    it is reported in runc's words (seccomp.bats checks them)."""
    cid = unique_id()
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.config["linux"]["seccomp"] = profile(deny("mkdir", "mkdirat", action="SCMP_ACT_KILL"))
    bundle.config["hooks"] = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "mkdir /tmp/d"]}]}
    bundle.config["root"]["readonly"] = False
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), cid, check=False)
    one_line_error(r, "startContainer hook /bin/sh", "error running hook: signal: bad system call")
    assert not (bundle.rootfs / "tmp" / "d").exists()
    assert runtime.ids() == []
    no_leaks(cid)


def setuid_bit(index: int) -> dict[str, Any]:
    return {"index": index, "value": 0o7000, "valueTwo": 0o4000, "op": "SCMP_CMP_MASKED_EQ"}


def test_argument_conditions(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """kill(2) with signal 10 or 12 (two conditions on one argument: either matches, as
    runc does) gets EPERM; signal 0 still works. A masked comparison refuses chmod to a
    setuid mode and lets a plain one through."""
    sec = profile(
        deny("kill", args=[{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"},
                           {"index": 1, "value": 12, "op": "SCMP_CMP_EQ"}]),
        # setuid bit set: mode & 0o7000 == 0o4000 (chmod's mode is argument 1, fchmodat's 2)
        deny("chmod", args=[setuid_bit(1)]),
        deny("fchmodat", args=[setuid_bit(2)]),
    )
    script = ("trap 'echo got-usr1' USR1; trap 'echo got-usr2' USR2; "
              "kill -0 $$; echo k0=$?; kill -USR1 $$; echo k10=$?; kill -USR2 $$; echo k12=$?; "
              "touch /tmp/f; chmod 4755 /tmp/f; echo suid=$?; chmod 0755 /tmp/f; echo plain=$?")
    code, out = run(runtime, bundle, unique_id(), script, sec)
    assert code == 0, out
    assert "k0=0" in out and "k10=1" in out and "k12=1" in out and "got-usr" not in out, out
    assert "suid=1" in out and "plain=0" in out, out


def test_kill_process_action(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """SCMP_ACT_KILL_PROCESS: the process that calls mkdir dies of SIGSYS (128+31)."""
    code, out = run(runtime, bundle, unique_id(), "(mkdir /tmp/d); echo rc=$?",
                    profile(deny("mkdir", "mkdirat", action="SCMP_ACT_KILL_PROCESS")))
    assert code == 0 and "rc=159" in out, out


def test_trap_and_log_actions(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """SCMP_ACT_TRAP sends SIGSYS (a shell dies of it); SCMP_ACT_LOG lets the call through."""
    sec = profile(deny("rmdir", action="SCMP_ACT_TRAP"), deny("mkdir", "mkdirat", action="SCMP_ACT_LOG"))
    code, out = run(runtime, bundle, unique_id(),
                    "(rmdir /tmp/none); echo trap=$?; mkdir /tmp/l; echo log=$?", sec)
    assert code == 0 and "trap=159" in out and "log=0" in out, out


def test_flags_are_accepted(runtime: Any, bundle: Any, unique_id: Any) -> None:
    flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"]
    sec = profile(deny("mkdir", "mkdirat"), flags=flags)
    code, out = run(runtime, bundle, unique_id(), "mkdir /tmp/d; echo mkdir=$?", sec)
    assert code == 0 and "mkdir=1" in out, out


def test_unknown_syscalls_and_archs_are_skipped_with_a_warning(runtime: Any, bundle: Any,
                                                               unique_id: Any) -> None:
    sec = profile(deny("mkdir", "mkdirat", "hutch_no_such_call"))
    sec["architectures"].append("SCMP_ARCH_SHEB")
    bundle.config["process"]["args"] = ["sh", "-c", "mkdir /tmp/d; echo mkdir=$? > /tmp/out"]
    bundle.config["root"]["readonly"] = False
    bundle.config["linux"]["seccomp"] = sec
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), unique_id(), check=False)
    assert r.returncode == 0, r.stderr
    assert "hutch_no_such_call" in r.stderr and "SCMP_ARCH_SHEB" in r.stderr, r.stderr
    assert (bundle.rootfs / "tmp" / "out").read_text() == "mkdir=1\n"


def test_exec_gets_the_filter(runtime: Any, bundle: Any, unique_id: Any) -> None:
    cid = unique_id()
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.config["linux"]["seccomp"] = profile(deny("mkdir", "mkdirat"))
    bundle.config["root"]["readonly"] = False
    bundle.write()
    runtime("create", "--bundle", str(bundle.path), cid)
    runtime("start", cid)
    r = runtime("exec", cid, "sh", "-c", STATUS + "mkdir /tmp/e; echo mkdir=$?", check=False)
    assert "Seccomp:\t2" in r.stdout and "mkdir=1" in r.stdout, r
    runtime("delete", "--force", cid)


# ---- seccomp notify -------------------------------------------------------------------------------

# struct seccomp_notif is 80 bytes, seccomp_notif_resp 24 (include/uapi/linux/seccomp.h)
NOTIF_RECV = 0xC0502100  # _IOWR('!', 0, struct seccomp_notif)
NOTIF_SEND = 0xC0182101  # _IOWR('!', 1, struct seccomp_notif_resp)


class Agent:
    """A seccomp agent on a unix socket: takes the listener fd and the process state, then
    answers every notification with ``-answer`` (an errno), recording the syscall numbers."""

    def __init__(self, path: Path | str, answer: int) -> None:
        self.path, self.answer = path, answer
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        self.server.settimeout(30)
        self.state: dict[str, Any] = {}
        self.syscalls: list[int] = []
        self.error: BaseException | None = None
        self.listener = -1
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.server.accept()
            with conn:
                msg, fds, _flags, _addr = socket.recv_fds(conn, 65536, 4)
            self.state = json.loads(msg)
            self.listener = fds[0]
            while True:
                buf = bytearray(80)
                try:
                    fcntl.ioctl(self.listener, NOTIF_RECV, buf, True)
                except OSError:
                    return  # the filter's last process is gone
                notif_id, _pid, _flags, nr = struct.unpack_from("=QIIi", buf)
                self.syscalls.append(nr)
                resp = bytearray(struct.pack("=QqiI", notif_id, 0, -self.answer, 0))
                fcntl.ioctl(self.listener, NOTIF_SEND, resp, True)
        except BaseException as err:
            self.error = err

    def close(self) -> None:
        self.server.close()
        if self.listener >= 0:
            os.close(self.listener)
        self.thread.join(5)


def test_notify_hands_the_listener_to_the_agent(runtime: Any, bundle: Any, unique_id: Any,
                                                tmp_path: Path) -> None:
    agent = Agent(tmp_path / "agent.sock", errno.EROFS)
    cid = unique_id()
    try:
        sec = profile(deny("mkdir", "mkdirat", action="SCMP_ACT_NOTIFY"),
                      listenerPath=str(agent.path), listenerMetadata="hutch-test-metadata")
        code, out = run(runtime, bundle, cid, "mkdir /tmp/d; echo mkdir=$?", sec)
        assert code == 0, out
        assert "Read-only file system" in out and "mkdir=1" in out, out  # the agent's answer
    finally:
        agent.close()
    assert agent.error is None, agent.error
    assert agent.state["fds"] == ["seccompFd"] and agent.state["metadata"] == "hutch-test-metadata"
    assert agent.state["state"]["id"] == cid and agent.state["state"]["status"] == "creating"
    assert agent.state["pid"] == agent.state["state"]["pid"] > 0
    assert set(agent.syscalls) & {83, 258}, agent.syscalls  # mkdir, mkdirat (x86_64)


def test_notify_to_an_abstract_socket(runtime: Any, bundle: Any, unique_id: Any) -> None:
    """listenerPath ``@NAME`` is the abstract socket NAME, as runc (Go's net.Dial) reads it."""
    name = f"hutch-agent-{os.getpid()}-{unique_id()}"
    agent = Agent("\0" + name, errno.EROFS)
    try:
        sec = profile(deny("mkdir", "mkdirat", action="SCMP_ACT_NOTIFY"), listenerPath="@" + name)
        code, out = run(runtime, bundle, unique_id(), "mkdir /tmp/d; echo mkdir=$?", sec)
        assert code == 0 and "Read-only file system" in out and "mkdir=1" in out, out
    finally:
        agent.close()
    assert agent.error is None and agent.state["fds"] == ["seccompFd"], agent.error


# ---- bad profiles -----------------------------------------------------------------------------------

BAD = [
    (profile(deny("mkdir", action="SCMP_ACT_FOO")), "$.linux.seccomp.syscalls[0].action"),
    (profile(default="SCMP_ACT_NOTIFY"), "$.linux.seccomp.defaultAction"),
    (profile(deny("mkdir", action="SCMP_ACT_NOTIFY")), "$.linux.seccomp.listenerPath"),
    (profile(deny("write", action="SCMP_ACT_NOTIFY"), listenerPath="/tmp/x"),
     "$.linux.seccomp.syscalls[0].names"),
    (profile(deny("mkdir", errnoRet=5000)), "$.linux.seccomp.syscalls[0].action"),
    (profile(deny("mkdir", args=[{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}])),
     "$.linux.seccomp.syscalls[0].args[0].index"),
    (profile(deny("mkdir", args=[{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}])),
     "$.linux.seccomp.syscalls[0].args[0].op"),
    (profile(flags=["SECCOMP_FILTER_FLAG_NOPE"]), "$.linux.seccomp.flags[0]"),
]


@pytest.mark.parametrize(("sec", "words"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_profiles_are_refused(runtime: Any, bundle: Any, unique_id: Any, no_leaks: Any,
                                  sec: dict[str, Any], words: str) -> None:
    cid = unique_id()
    bundle.config["linux"]["seccomp"] = sec
    bundle.write()
    r = runtime("run", "--bundle", str(bundle.path), cid, check=False)
    one_line_error(r, words)
    assert runtime.ids() == []
    no_leaks(cid)


def test_an_unreachable_agent_fails_create_cleanly(runtime: Any, bundle: Any, unique_id: Any,
                                                   no_leaks: Any, tmp_path: Path) -> None:
    cid = unique_id()
    bundle.config["linux"]["seccomp"] = profile(deny("mkdir", action="SCMP_ACT_NOTIFY"),
                                                listenerPath=str(tmp_path / "nobody.sock"))
    bundle.write()
    r = runtime("create", "--bundle", str(bundle.path), cid, check=False)
    # runc's words (seccomp-notify.bats checks them)
    one_line_error(r, "failed to connect with seccomp agent specified in the seccomp profile: dial unix",
                   "nobody.sock: connect: no such file or directory")
    assert runtime.ids() == []
    no_leaks(cid)


def test_the_compiled_program_is_kept_and_a_bad_cache_file_is_a_miss(runtime: Any, bundle: Any,
                                                                     unique_id: Any) -> None:
    """create keeps the program in the state root's cache (no container id can name it, so
    `list` shows none); a file there that is garbage, or another profile's, only costs a
    compilation: the filter is the profile's all the same."""
    from hutch.container.create import SECCOMP_CACHE

    sec = profile(deny("mkdir", "mkdirat", errnoRet=errno.EACCES))
    code, out = run(runtime, bundle, unique_id(), "mkdir /tmp/d; echo mkdir=$?", sec)
    assert code == 0 and "mkdir=1" in out, out
    cache = Path(runtime.root) / SECCOMP_CACHE
    [entry] = list(cache.iterdir())
    assert cache.stat().st_mode & 0o777 == 0o700 and entry.stat().st_mode & 0o777 == 0o600
    assert json.loads(runtime("list", "--format", "json").stdout or "null") in (None, [])
    entry.write_text("not json at all")
    code, out = run(runtime, bundle, unique_id(), "mkdir /tmp/e; echo mkdir=$?", sec)
    assert code == 0 and "mkdir=1" in out and "Permission denied" in out, out
    assert json.loads(entry.read_text())["plan"]["program"]  # written again
