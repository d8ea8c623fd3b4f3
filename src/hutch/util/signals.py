"""Signal names and numbers, as runc and docker spell them: ``SIGTERM``, ``TERM`` or ``term``;
the real-time ones as ``SIGRTMIN``, ``RTMIN+3``, ``SIGRTMAX-2`` (Linux's numbers, with glibc's
SIGRTMIN, as Go's ``unix.SignalNum`` and moby's ``signal.SignalMap``).

No ``import signal`` (its IntEnum costs ~5 ms on every runtime command): hutch._sys.sig.
"""

from __future__ import annotations

from hutch._sys import sig as _sig

#: Linux's standard signals, aliases included (the names of Python's ``signal.Signals``
#: on Linux, less the real-time bounds, which depend on the C library).
NAMES = {
    "SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6, "SIGIOT": 6,
    "SIGBUS": 7, "SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10, "SIGSEGV": 11, "SIGUSR2": 12,
    "SIGPIPE": 13, "SIGALRM": 14, "SIGTERM": 15, "SIGSTKFLT": 16, "SIGCHLD": 17, "SIGCLD": 17,
    "SIGCONT": 18, "SIGSTOP": 19, "SIGTSTP": 20, "SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23,
    "SIGXCPU": 24, "SIGXFSZ": 25, "SIGVTALRM": 26, "SIGPROF": 27, "SIGWINCH": 28, "SIGIO": 29,
    "SIGPOLL": 29, "SIGPWR": 30, "SIGSYS": 31,
}


def number(name: str) -> int | None:
    """The signal called ``name`` (any case, ``SIG`` optional); None if there is none.
    Numbers are not names: callers that take ``15`` check for digits first."""
    n = name.upper()
    if not n.startswith("SIG"):
        n = "SIG" + n
    known = NAMES.get(n)
    if known is not None:
        return known
    for base, first, sign in (("SIGRTMIN", _sig.SIGRTMIN, 1), ("SIGRTMAX", _sig.SIGRTMAX, -1)):
        if n == base:
            return int(first)
        if n.startswith(base) and n[len(base) : len(base) + 1] == ("+" if sign > 0 else "-"):
            off = n[len(base) + 1 :]
            if off.isdigit():
                num = first + sign * int(off)
                if _sig.SIGRTMIN <= num <= _sig.SIGRTMAX:
                    return int(num)
    return None
