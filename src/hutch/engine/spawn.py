"""Running a helper program (the OCI runtime) without the subprocess module: the
per-container monitor is resident, and subprocess's imports (signal, selectors, enum)
would cost every monitor memory."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
else:
    import _signal

# what the monitor ignores, set back to default for the programs it runs (and so the container)
IGNORED = (_signal.SIGINT, _signal.SIGHUP, _signal.SIGQUIT, _signal.SIGTSTP, _signal.SIGTTIN,
           _signal.SIGTTOU)


def spawn(argv: list[str], stdio: list[int]) -> int:
    """Start ``argv`` with ``stdio`` as its fds 0-2 (every other fd of ours is CLOEXEC) and
    every signal at its default; its pid."""
    actions = [(os.POSIX_SPAWN_DUP2, fd, i) for i, fd in enumerate(stdio)]
    return os.posix_spawn(argv[0], argv, os.environ, file_actions=actions,
                          setsigdef=(*IGNORED, _signal.SIGPIPE, _signal.SIGXFSZ), setsigmask=())


def wait_status(pid: int) -> int:
    """Reap ``pid``; its exit status (128+N for signal N)."""
    while True:
        try:
            _pid, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def run_quietly(argv: list[str]) -> int:
    """Run ``argv`` to its end, its stdio on /dev/null; its exit status."""
    null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    try:
        return wait_status(spawn(argv, [null, null, null]))
    finally:
        os.close(null)
