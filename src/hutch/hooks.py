"""Run OCI hooks (runtime-spec config.md "POSIX-platform Hooks").

A hook is a plain dict from the plan: ``path`` (run as is, never searched in
PATH), ``args`` (``args[0]`` is argv[0]; ``[path]`` when absent), ``env``
(exactly this environment, empty when absent) and ``timeout`` in seconds. The
container's state JSON goes on its stdin; stdout and stderr are the runtime's.

This runs in the runtime and inside the container's init (createContainer,
startContainer), so it imports only os, select, time and fcntl: no subprocess,
which imports threading. The fork/exec follows CPython's _posixsubprocess:
everything is prepared before the fork, the child only resets signals, sets up
fds and execs, and an exec failure comes back as an errno on a CLOEXEC pipe
(EOF on that pipe means the exec happened).

A hook that fails is reported in runc's words ("error running hook: exit status 2",
"error running hook: signal: bad system call", "hook ran past specified timeout of
1.0s"), after which hook it was.

On a timeout the hook's whole process group is killed (the hook leads one of
its own), so a shell-script hook does not leave its children behind.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import time

from hutch._sys import sig as signal
from hutch.errors import HookFailed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import NoReturn

    Hook = Mapping[str, object]

# How often the fallback loop (no pidfd) looks at the hook, in milliseconds.
_POLL_SLICE_MS = 20


def run_hooks(
    kind: str,
    hooks: Sequence[Hook],
    state_json: bytes,
    warn_only: bool,
    warn: Callable[[str], None],
    cwd: str | None = None,
) -> None:
    """Run ``hooks`` in order, each with ``state_json`` on its stdin, in the directory
    ``cwd`` (by default the caller's).

    A failure raises `HookFailed` and stops the rest, unless ``warn_only``
    (poststart, poststop: "the runtime MUST log a warning and continue").
    """
    for hook in hooks:
        try:
            run_hook(hook, state_json, kind, cwd)
        except HookFailed as err:
            if not warn_only:
                raise
            warn(str(err))


def run_hook(hook: Hook, state_json: bytes, kind: str = "OCI", cwd: str | None = None) -> None:
    """Run one hook to completion (in ``cwd`` if given); raise `HookFailed` unless it exits
    0 in time."""
    path, argv, env, timeout = _prepare(kind, hook)
    deadline = None if timeout is None else time.monotonic() + timeout
    fds: list[int] = []
    try:
        stdin_r, stdin_w = _pipe(fds)
        err_r, err_w = _pipe(fds)
        pid = os.fork()
    except BaseException:
        _close(fds)
        raise
    if pid == 0:  # pragma: no cover - the child execs or _exits
        _child(path, argv, env, stdin_r, err_w, cwd)
    reaped = False
    try:
        try:
            os.setpgid(pid, pid)  # also done by the child; whichever runs first wins
        except OSError:
            pass  # it has exec'd already (EACCES) or died (ESRCH)
        for fd in (stdin_r, err_w):
            os.close(fd)
            fds.remove(fd)
        report = _read_all(err_r)
        if report:
            os.waitpid(pid, 0)
            reaped = True
            code, _, msg = report.decode(errors="replace").partition(":")
            cause = OSError(int(code), os.strerror(int(code)), path) if code.isdigit() and int(code) else None
            why = cause.strerror.lower() if cause and cause.strerror else msg or "cannot execute"
            raise HookFailed(kind, path, why) from cause
        fds.remove(stdin_w)  # _supervise closes it
        status = _supervise(pid, stdin_w, state_json, deadline)
        if status is None:
            raise HookFailed(kind, path, f"hook ran past specified timeout of {timeout:.1f}s")
        reaped = True
        if os.WIFSIGNALED(status):
            how = signal.describe(os.WTERMSIG(status)) + (" (core dumped)" if os.WCOREDUMP(status) else "")
            raise HookFailed(kind, path, f"error running hook: signal: {how}")
        if os.WIFEXITED(status) and os.WEXITSTATUS(status):
            raise HookFailed(kind, path, f"error running hook: exit status {os.WEXITSTATUS(status)}")
    finally:
        _close(fds)
        if not reaped:
            _kill(pid)


def _prepare(kind: str, hook: Hook) -> tuple[str, list[str], dict[str, str], int | None]:
    """Check the hook and build the exec arguments (in the parent, so the child cannot fail
    on them)."""
    path = hook.get("path")
    if not isinstance(path, str) or not path:
        raise HookFailed(kind, repr(path), "hook has no path")
    args = hook.get("args") or [path]
    env_items = hook.get("env") or []
    timeout = hook.get("timeout")
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise HookFailed(kind, path, "args must be a list of strings")
    if not isinstance(env_items, list) or not all(isinstance(e, str) for e in env_items):
        raise HookFailed(kind, path, "env must be a list of strings")
    if timeout is not None and (type(timeout) is not int or timeout <= 0):
        raise HookFailed(kind, path, f"invalid timeout {timeout!r} (must be a positive number of seconds)")
    env: dict[str, str] = {}
    for item in env_items:
        key, sep, value = item.partition("=")
        if sep and key:
            env[key] = value
    if any("\0" in s for s in [path, *args, *env, *env.values()]):
        raise HookFailed(kind, path, "path, args and env must not contain NUL bytes")
    return path, list(args), env, timeout


def _child(path: str, argv: list[str], env: dict[str, str], stdin_r: int, err_w: int,
           cwd: str | None) -> NoReturn:
    """In the forked child: reset what Python changed, wire stdin, chdir, exec. Never returns."""
    try:
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
        # Python ignores SIGPIPE and SIGXFSZ, and SIG_IGN survives execve.
        for signum in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.dup2(stdin_r, 0)  # stdin_r >= 3 (see _pipe), so dup2 clears CLOEXEC on 0
        os.closerange(3, err_w)
        os.closerange(err_w + 1, _max_fd())
        if cwd is not None:
            try:
                os.chdir(cwd)
            except OSError as err:  # reported as the message alone: the errno is not the exec's
                os.write(err_w, f"0:cannot enter {cwd}: {err.strerror}".encode(errors="replace")[:1024])
                os._exit(127)
        os.execve(path, argv, env)
    except BaseException as err:
        code = getattr(err, "errno", None) or 0
        try:
            os.write(err_w, f"{code}:{err}".encode(errors="replace")[:1024])
        except BaseException:
            pass
    finally:
        os._exit(127)


def _supervise(pid: int, stdin_w: int, data: bytes, deadline: float | None) -> int | None:
    """Feed ``data`` to the hook's stdin and wait for it to exit; its wait status, or None
    once ``deadline`` has passed (it is then still running).

    Writing and waiting share one poll loop, so a hook that neither reads its stdin nor
    exits cannot block us past the deadline, and one that exits without reading (EPIPE)
    is fine. Owns (closes) ``stdin_w``.
    """
    pidfd = -1
    try:
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pass  # ENOSYS (kernel < 5.3) or refused by seccomp: look every _POLL_SLICE_MS
        out = memoryview(data)
        poller = select.poll()
        if pidfd >= 0:
            poller.register(pidfd, select.POLLIN)
        if out:
            os.set_blocking(stdin_w, False)
            poller.register(stdin_w, select.POLLOUT)
        else:
            os.close(stdin_w)
            stdin_w = -1
        while True:
            got, status = os.waitpid(pid, os.WNOHANG)
            if got:
                return status
            wait_ms: int | None = None
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                wait_ms = int(left * 1000) + 1
            if pidfd < 0:
                wait_ms = _POLL_SLICE_MS if wait_ms is None else min(wait_ms, _POLL_SLICE_MS)
            for fd, _events in poller.poll(wait_ms):
                if fd != stdin_w:
                    continue
                try:
                    out = out[os.write(stdin_w, out) :]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    out = out[:0]  # the hook does not read its stdin: not an error
                if not out:
                    poller.unregister(stdin_w)
                    os.close(stdin_w)
                    stdin_w = -1
    finally:
        if stdin_w >= 0:
            os.close(stdin_w)
        if pidfd >= 0:
            os.close(pidfd)


def _kill(pid: int) -> None:
    """SIGKILL the hook's process group (or the hook alone if it has none yet) and reap it.
    The unreaped leader keeps its pid and group id from being reused until the waitpid."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # SIGCHLD is ignored: the kernel reaped it


def _pipe(fds: list[int]) -> tuple[int, int]:
    """A CLOEXEC pipe whose ends are >= 3, even when the runtime's stdio is closed: the
    child's dup2 onto 0 must be a real dup (clearing CLOEXEC) and must not clobber the
    other end. Both ends are appended to ``fds`` as they are opened."""
    fds.extend(os.pipe())
    for i in (-2, -1):
        low = fds[i]
        if low < 3:
            fds[i] = fcntl.fcntl(low, fcntl.F_DUPFD_CLOEXEC, 3)  # on failure _close gets ``low``
            os.close(low)
    return fds[-2], fds[-1]


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1024):
        chunks.append(chunk)
    return b"".join(chunks)


def _close(fds: list[int]) -> None:
    while fds:
        try:
            os.close(fds.pop())
        except OSError as err:
            if err.errno != errno.EBADF:
                raise


def _max_fd() -> int:
    try:
        return max(os.sysconf("SC_OPEN_MAX"), 256)
    except (OSError, ValueError):
        return 65536
