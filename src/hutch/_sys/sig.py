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


def describe(signum: int) -> str:
    """A signal as Go names it, so as runc reports a process it killed ("bad system call",
    "killed"): glibc's strsignal with a lower-case first letter for 1..31, else "signal N"."""
    text = _impl.strsignal(signum) if 1 <= signum <= 31 else None
    return f"{text[:1].lower()}{text[1:]}" if text else f"signal {signum}"
