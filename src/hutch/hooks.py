"""Run OCI hooks (runtime-spec config.md "POSIX-platform Hooks").

A hook is a plain dict from the plan: ``path`` (not searched in PATH), ``args``
(``args[0]`` is argv[0]), ``env`` (exactly this environment) and ``timeout``
in seconds. The container's state JSON goes on its stdin. This runs in the
runtime and inside the container's init, so it imports only os, signal and
select: no subprocess (which imports threading).
"""

from __future__ import annotations

import os
import select
import time

from hutch._sys import sig as signal
from hutch.errors import HookFailed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence


def _child(hook: Mapping[str, object], stdin_r: int, err_w: int) -> None:  # pragma: no cover
    try:
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.dup2(stdin_r, 0)
        os.closerange(3, err_w)
        os.closerange(err_w + 1, 1 << 16)
        path = str(hook["path"])
        args = [str(a) for a in hook.get("args") or [path]]  # type: ignore[attr-defined]
        env = {}
        for item in hook.get("env") or []:  # type: ignore[attr-defined]
            k, sep, v = str(item).partition("=")
            if sep:
                env[k] = v
        os.execve(path, args, env)
    except OSError as err:
        os.write(err_w, (err.strerror or str(err)).lower().encode())
    finally:
        os._exit(127)


def run_hook(kind: str, hook: Mapping[str, object], state_json: bytes) -> None:
    path = str(hook["path"])
    timeout = hook.get("timeout")
    stdin_r, stdin_w = os.pipe()
    err_r, err_w = os.pipe()  # CLOEXEC: EOF means the exec succeeded
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(stdin_w)
        os.close(err_r)
        _child(hook, stdin_r, err_w)
    os.close(stdin_r)
    os.close(err_w)
    try:
        try:
            os.write(stdin_w, state_json)
        except BrokenPipeError:
            pass  # the hook does not read its stdin
        os.close(stdin_w)
        stdin_w = -1
        exec_error = os.read(err_r, 1024).decode()
        if exec_error:
            os.waitpid(pid, 0)
            pid = 0
            raise HookFailed(kind, path, exec_error)
        status = _wait(pid, timeout if isinstance(timeout, int) else None)
        pid = 0
        if status is None:
            raise HookFailed(kind, path, f"timed out after {timeout}s")
        if os.WIFSIGNALED(status):
            raise HookFailed(kind, path, f"killed by signal {os.WTERMSIG(status)}")
        if os.WEXITSTATUS(status):
            raise HookFailed(kind, path, f"exit status {os.WEXITSTATUS(status)}")
    finally:
        if stdin_w >= 0:
            os.close(stdin_w)
        os.close(err_r)
        if pid:
            _kill(pid)


def _wait(pid: int, timeout: int | None) -> int | None:
    """Wait for ``pid``; None (after killing it) if it outlives ``timeout`` seconds."""
    if timeout is None:
        return os.waitpid(pid, 0)[1]
    deadline = time.monotonic() + timeout
    pidfd = os.pidfd_open(pid)
    try:
        poll = select.poll()
        poll.register(pidfd, select.POLLIN)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                _kill(pid)
                return None
            if poll.poll(left * 1000):
                return os.waitpid(pid, 0)[1]
    finally:
        os.close(pidfd)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def run_hooks(
    kind: str,
    hooks: Sequence[Mapping[str, object]],
    state_json: bytes,
    warn_only: bool,
    warn: Callable[[str], None],
) -> None:
    """Run ``hooks`` in order. A failure is an error, or only a warning for poststart and
    poststop (runtime-spec: "the runtime MUST log a warning and continue")."""
    for hook in hooks:
        try:
            run_hook(kind, hook, state_json)
        except HookFailed as err:
            if not warn_only:
                raise
            warn(str(err))
