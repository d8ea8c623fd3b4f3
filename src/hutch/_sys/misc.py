"""Small calls: sethostname, setdomainname."""

from __future__ import annotations

from hutch._sys import libc


def sethostname(name: str) -> None:
    raw = name.encode()
    libc.check(libc.sethostname, raw, len(raw))


def setdomainname(name: str) -> None:
    raw = name.encode()
    libc.check(libc.setdomainname, raw, len(raw))
