"""Signals without ``import signal``: its IntEnum wrappers pull in enum, functools and
collections (~5 ms on every runtime command). The C module ``_signal`` has the same
functions and constants, as plain ints."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # the stubs describe the same functions and values
    import signal as _impl
else:
    import _signal as _impl

NSIG = _impl.NSIG
SIG_DFL = _impl.SIG_DFL
SIG_IGN = _impl.SIG_IGN
SIG_SETMASK = _impl.SIG_SETMASK
SIGALRM = _impl.SIGALRM
SIGCONT = _impl.SIGCONT
SIGHUP = _impl.SIGHUP
SIGINT = _impl.SIGINT
SIGKILL = _impl.SIGKILL
SIGPIPE = _impl.SIGPIPE
SIGQUIT = _impl.SIGQUIT
SIGRTMAX = _impl.SIGRTMAX
SIGRTMIN = _impl.SIGRTMIN
SIGSTOP = _impl.SIGSTOP
SIGTERM = _impl.SIGTERM
SIGUSR1 = _impl.SIGUSR1
SIGUSR2 = _impl.SIGUSR2
SIGWINCH = _impl.SIGWINCH
SIGXFSZ = _impl.SIGXFSZ
pidfd_send_signal = _impl.pidfd_send_signal
pthread_sigmask = _impl.pthread_sigmask
signal = _impl.signal


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


def describe(signum: int) -> str:
    """A signal as Go names it, so as runc reports a process it killed ("bad system call",
    "killed"): glibc's strsignal with a lower-case first letter for 1..31, else "signal N"."""
    text = _impl.strsignal(signum) if 1 <= signum <= 31 else None
    return f"{text[:1].lower()}{text[1:]}" if text else f"signal {signum}"
