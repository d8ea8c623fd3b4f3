"""Signals without ``import signal``: its IntEnum wrappers pull in enum, functools and
collections (~5 ms on every runtime command). The C module ``_signal`` has the same
functions and constants, as plain ints."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from signal import (
        NSIG,
        SIG_DFL,
        SIG_IGN,
        SIG_SETMASK,
        SIGALRM,
        SIGCONT,
        SIGHUP,
        SIGINT,
        SIGKILL,
        SIGPIPE,
        SIGQUIT,
        SIGRTMAX,
        SIGRTMIN,
        SIGSTOP,
        SIGTERM,
        SIGUSR1,
        SIGUSR2,
        SIGWINCH,
        SIGXFSZ,
        pidfd_send_signal,
        pthread_sigmask,
        signal,
    )
else:
    from _signal import (
        NSIG,
        SIG_DFL,
        SIG_IGN,
        SIG_SETMASK,
        SIGALRM,
        SIGCONT,
        SIGHUP,
        SIGINT,
        SIGKILL,
        SIGPIPE,
        SIGQUIT,
        SIGRTMAX,
        SIGRTMIN,
        SIGSTOP,
        SIGTERM,
        SIGUSR1,
        SIGUSR2,
        SIGWINCH,
        SIGXFSZ,
        pidfd_send_signal,
        pthread_sigmask,
        signal,
    )

__all__ = [
    "NSIG", "SIGALRM", "SIGCONT", "SIGHUP", "SIGINT", "SIGKILL", "SIGPIPE", "SIGQUIT", "SIGRTMAX",
    "SIGRTMIN", "SIGSTOP", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGXFSZ", "SIG_DFL",
    "SIG_IGN", "SIG_SETMASK", "pidfd_send_signal", "pthread_sigmask", "signal",
]


def by_name(name: str) -> int | None:
    """SIGTERM → 15 (only the standard names; None if unknown)."""
    return _NAMES.get(name)


_NAMES = {
    "SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6, "SIGIOT": 6,
    "SIGBUS": 7, "SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10, "SIGSEGV": 11, "SIGUSR2": 12,
    "SIGPIPE": 13, "SIGALRM": 14, "SIGTERM": 15, "SIGSTKFLT": 16, "SIGCHLD": 17, "SIGCLD": 17,
    "SIGCONT": 18, "SIGSTOP": 19, "SIGTSTP": 20, "SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23,
    "SIGXCPU": 24, "SIGXFSZ": 25, "SIGVTALRM": 26, "SIGPROF": 27, "SIGWINCH": 28, "SIGIO": 29,
    "SIGPOLL": 29, "SIGPWR": 30, "SIGSYS": 31,
}
