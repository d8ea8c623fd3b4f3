"""unshare(2) and setns(2): os.unshare/os.setns on 3.12+, libc below."""

from __future__ import annotations

import os
import sys

from hutch._sys import libc

if sys.version_info >= (3, 12):

    def unshare(flags: int) -> None:
        os.unshare(flags)

    def setns(fd: int, nstype: int = 0) -> None:
        os.setns(fd, nstype)

else:

    def unshare(flags: int) -> None:
        libc.check(libc.unshare, flags)

    def setns(fd: int, nstype: int = 0) -> None:
        libc.check(libc.setns, fd, nstype)
