"""hutch.util.fdpass: fds over unix sockets, CLOEXEC on arrival, truncation refused."""

from __future__ import annotations

import errno
import fcntl
import os
import socket

import pytest

from hutch.util import fdpass


def _pair(kind: int = socket.SOCK_SEQPACKET) -> tuple[int, int]:
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    return a.detach(), b.detach()


def test_data_and_fds_arrive_cloexec() -> None:
    a, b = _pair()
    r, w = os.pipe()
    try:
        fdpass.send(a, b"hello", [r, w])
        data, fds = fdpass.recv(b, 100, 4)
        assert data == b"hello" and len(fds) == 2
        for fd in fds:
            assert fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        os.write(fds[1], b"x")  # the same pipe
        assert os.read(r, 1) == b"x"
        fdpass.close_all(fds)
    finally:
        fdpass.close_all([a, b, r, w])


def test_no_fds_and_a_closed_peer() -> None:
    a, b = _pair(socket.SOCK_STREAM)
    try:
        fdpass.send(a, b"x", [])
        assert fdpass.recv(b, 10, 1) == (b"x", [])
        os.close(a)
        assert fdpass.recv(b, 10, 1) == (b"", [])
    finally:
        fdpass.close_all([b])


def test_more_fds_than_expected_are_closed_and_refused() -> None:
    a, b = _pair()
    fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(3)]
    try:
        before = set(os.listdir("/proc/self/fd"))
        fdpass.send(a, b"m", fds)
        with pytest.raises(OSError) as err:
            fdpass.recv(b, 10, 1)
        assert err.value.errno == errno.EBADMSG
        assert set(os.listdir("/proc/self/fd")) == before  # whatever arrived was closed
    finally:
        fdpass.close_all([a, b, *fds])
