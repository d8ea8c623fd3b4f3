"""Small calls: sethostname, setdomainname, keyctl."""

from __future__ import annotations

import ctypes

from hutch._sys import libc
from hutch._sys.nr import NR

KEYCTL_JOIN_SESSION_KEYRING = 1


def sethostname(name: str) -> None:
    raw = name.encode()
    libc.check(libc.sethostname, raw, len(raw))


def setdomainname(name: str) -> None:
    raw = name.encode()
    libc.check(libc.setdomainname, raw, len(raw))


def join_session_keyring(name: str) -> int:
    """keyctl(KEYCTL_JOIN_SESSION_KEYRING, name): a new session keyring of that name."""
    return libc.raw_syscall(NR["keyctl"], ctypes.c_int(KEYCTL_JOIN_SESSION_KEYRING),
                            ctypes.c_char_p(name.encode()))
