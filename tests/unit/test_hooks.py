"""hutch.hooks: fork/exec of OCI hooks with the state on stdin, timeouts and exec errors."""

from __future__ import annotations

import errno
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hutch import hooks
from hutch.errors import HookFailed

SH = "/bin/sh"
STATE = b'{"ociVersion":"1.2.0","id":"c1","status":"creating","pid":42,"bundle":"/b"}'


def sh(script: str, **extra: object) -> dict[str, object]:
    return {"path": SH, "args": ["sh", "-c", script], **extra}


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for its reaper)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


@pytest.fixture
def pids_to_reap() -> Iterator[list[int]]:
    """Pids a test learned about; whatever is still running at teardown is SIGKILLed."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_success_and_stdout_inherited(capfd: pytest.CaptureFixture[str]) -> None:
    hooks.run_hook(sh("echo out; echo err >&2"), STATE, "prestart")
    out, err = capfd.readouterr()
    assert (out, err) == ("out\n", "err\n")


def test_nonzero_exit() -> None:
    with pytest.raises(HookFailed) as info:
        hooks.run_hook(sh("exit 3"), STATE, "prestart")
    assert str(info.value) == f"prestart hook {SH} failed: error running hook: exit status 3"


def test_killed_by_signal() -> None:
    """In runc's words, which name the signal as Go does."""
    with pytest.raises(HookFailed) as info:
        hooks.run_hook(sh("kill -TERM $$"), STATE, "createRuntime")
    assert str(info.value) == "createRuntime hook /bin/sh failed: error running hook: signal: terminated"
    with pytest.raises(HookFailed, match="error running hook: signal: bad system call"):
        hooks.run_hook(sh("kill -SYS $$"), STATE, "startContainer")


@pytest.mark.parametrize("no_pidfd", [False, True], ids=["pidfd", "sleep-loop"])
def test_timeout_kills_the_hook_and_its_children(
    tmp_path: Path, pids_to_reap: list[int], monkeypatch: pytest.MonkeyPatch, no_pidfd: bool
) -> None:
    if no_pidfd:
        def enosys(_pid: int, _flags: int = 0) -> int:
            raise OSError(errno.ENOSYS, "pidfd_open")

        monkeypatch.setattr(os, "pidfd_open", enosys)
    script = f"echo $$ > {tmp_path}/sh; sleep 10 & echo $! > {tmp_path}/bg; wait"
    t0 = time.monotonic()
    with pytest.raises(HookFailed) as info:
        hooks.run_hook(sh(script, timeout=1), STATE, "prestart")
    took = time.monotonic() - t0
    pids = [int((tmp_path / name).read_text()) for name in ("sh", "bg")]
    pids_to_reap.extend(pids)
    assert str(info.value).endswith("failed: hook ran past specified timeout of 1.0s")
    assert 0.9 < took < 3
    deadline = time.monotonic() + 2  # the orphaned sleep is reaped by init, not by us
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not [p for p in pids if alive(p)]
    with pytest.raises(ChildProcessError):
        os.waitpid(pids[0], os.WNOHANG)  # already reaped


def test_direct_binary_timeout(pids_to_reap: list[int]) -> None:
    t0 = time.monotonic()
    with pytest.raises(HookFailed, match=r"hook ran past specified timeout of 1\.0s"):
        hooks.run_hook({"path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1}, STATE)
    assert time.monotonic() - t0 < 3
    assert not _children_running("sleep")  # killed and reaped: no process, no zombie


def _children_running(comm: str) -> list[int]:
    """Our child processes named ``comm`` (zombies too): other children of this process
    (the session's registry fixtures) do not count."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
            with open(f"/proc/{pid}/comm") as f:
                name = f.read().strip()
        except (OSError, ValueError):
            continue
        if int(fields[1]) == os.getpid() and name == comm:
            found.append(int(pid))
    return found


def test_missing_binary() -> None:
    with pytest.raises(HookFailed) as info:
        hooks.run_hook({"path": "/nonexistent/hook"}, STATE, "poststop")
    assert str(info.value) == "poststop hook /nonexistent/hook failed: no such file or directory"
    cause = info.value.__cause__
    assert isinstance(cause, OSError) and cause.errno == errno.ENOENT


def test_not_executable(tmp_path: Path) -> None:
    script = tmp_path / "hook"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)
    with pytest.raises(HookFailed, match="permission denied"):
        hooks.run_hook({"path": str(script)}, STATE)


def test_path_is_not_searched() -> None:
    with pytest.raises(HookFailed, match="no such file or directory"):
        hooks.run_hook({"path": "true"}, STATE)


def test_exact_args_env_stdin_and_closed_fds(tmp_path: Path) -> None:
    leaked = os.open("/dev/null", os.O_RDONLY)  # inheritable on purpose: must still be closed
    os.set_inheritable(leaked, True)
    script = (
        f"cat > {tmp_path}/stdin; cat /proc/$$/cmdline > {tmp_path}/argv; "
        f"cat /proc/$$/environ > {tmp_path}/env; "
        f"exec ls /proc/self/fd > {tmp_path}/fds"  # exec: no fd saved by the shell
    )
    hook = {"path": SH, "args": ["my-hook", "-c", script, "arg 1", ""], "env": ["A=1", "B=x=y", "EMPTY="]}
    try:
        hooks.run_hook(hook, STATE, "createContainer")
    finally:
        os.close(leaked)
    assert (tmp_path / "stdin").read_bytes() == STATE
    argv = (tmp_path / "argv").read_bytes().split(b"\0")
    assert argv == [b"my-hook", b"-c", script.encode(), b"arg 1", b"", b""]
    assert (tmp_path / "env").read_bytes() == b"A=1\0B=x=y\0EMPTY=\0"
    assert sorted((tmp_path / "fds").read_text().split()) == ["0", "1", "2", "3"]  # 3: ls's own dir fd


def test_signals_reset(capfd: pytest.CaptureFixture[str]) -> None:
    """What Python ignores (SIGPIPE, SIGXFSZ) is default again, and nothing is blocked. The hook
    is grep itself (a shell would block signals around its own forks)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
    try:
        hooks.run_hook({"path": "/bin/grep", "args": ["grep", "^Sig", "/proc/self/status"]}, STATE)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    sig = dict(line.split(":\t") for line in capfd.readouterr().out.splitlines())
    assert int(sig["SigIgn"], 16) & ((1 << (signal.SIGPIPE - 1)) | (1 << (signal.SIGXFSZ - 1))) == 0
    assert int(sig["SigBlk"], 16) == 0


def test_no_args_means_path_as_argv0_and_empty_env(tmp_path: Path) -> None:
    script = tmp_path / "hook"
    script.write_text(f"#!/bin/sh\necho \"$0\" > {tmp_path}/argv0\ncat /proc/$$/environ > {tmp_path}/env\n")
    script.chmod(0o755)
    hooks.run_hook({"path": str(script)}, STATE)
    assert (tmp_path / "argv0").read_text() == f"{script}\n"
    assert (tmp_path / "env").read_bytes() == b""


def test_large_state_is_streamed(tmp_path: Path) -> None:
    big = b'{"annotations":{"x":"' + b"a" * (1 << 20) + b'"}}'
    hooks.run_hook(sh(f"cat > {tmp_path}/stdin"), big)
    assert (tmp_path / "stdin").read_bytes() == big


def test_hook_that_ignores_stdin_is_fine() -> None:
    hooks.run_hook({"path": "/bin/true"}, b"x" * (1 << 20))


def test_large_state_to_a_stuck_hook_still_times_out() -> None:
    t0 = time.monotonic()
    with pytest.raises(HookFailed, match="ran past specified timeout"):
        hooks.run_hook({"path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1}, b"x" * (1 << 20))
    assert time.monotonic() - t0 < 3


@pytest.mark.parametrize(
    ("hook", "why"),
    [
        ({"path": ""}, "hook has no path"),
        ({"path": "/bin/true", "timeout": 0}, "invalid timeout"),
        ({"path": "/bin/true", "args": "true"}, "args must be a list"),
        ({"path": "/bin/true", "env": ["A=\0"]}, "NUL"),
    ],
)
def test_invalid_hooks(hook: dict[str, object], why: str) -> None:
    with pytest.raises(HookFailed, match=why):
        hooks.run_hook(hook, STATE)


def test_run_hooks_stops_at_first_failure(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    seq = [sh(f"echo 1 >> {ran}"), sh("exit 2"), sh(f"echo 3 >> {ran}")]
    warnings: list[str] = []
    with pytest.raises(HookFailed, match="prestart hook /bin/sh failed: error running hook: exit status 2"):
        hooks.run_hooks("prestart", seq, STATE, warn_only=False, warn=warnings.append)
    assert ran.read_text() == "1\n"
    assert warnings == []


def test_run_hooks_warn_only_continues(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    seq: list[dict[str, object]] = [{"path": "/nonexistent"}, sh("exit 2"), sh(f"echo 3 >> {ran}")]
    warnings: list[str] = []
    hooks.run_hooks("poststop", seq, STATE, warn_only=True, warn=warnings.append)
    assert ran.read_text() == "3\n"
    assert warnings == [
        "poststop hook /nonexistent failed: no such file or directory",
        "poststop hook /bin/sh failed: error running hook: exit status 2",
    ]


def test_cwd(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    hooks.run_hooks("createContainer", [sh("pwd")], STATE, warn_only=False, warn=print, cwd=str(tmp_path))
    assert capfd.readouterr().out == f"{tmp_path}\n"
    hooks.run_hook(sh("pwd"), STATE, "prestart")  # by default, the caller's
    assert capfd.readouterr().out == f"{os.getcwd()}\n"


def test_missing_cwd_is_the_error(tmp_path: Path) -> None:
    with pytest.raises(HookFailed) as err:
        hooks.run_hook(sh("true"), STATE, "createContainer", cwd=str(tmp_path / "gone"))
    assert f"cannot enter {tmp_path / 'gone'}: No such file or directory" in str(err.value)
    assert err.value.__cause__ is None
