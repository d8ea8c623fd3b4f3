"""hutch._sys.cnproc: exit statuses of processes that are not our children."""

from __future__ import annotations

import os
import select
import time

import pytest

from hutch._sys import cnproc


def _events() -> cnproc.ExitEvents:
    try:
        return cnproc.ExitEvents()
    except PermissionError:
        pytest.skip("no proc connector here (needs CAP_NET_ADMIN in the initial namespaces)")


def _wait_for(ev: cnproc.ExitEvents, pid: int) -> int:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        select.select([ev], [], [], 0.5)
        for got, status in ev.read():
            if got == pid:
                return status
    raise AssertionError(f"no exit event for {pid}")


def test_exit_code_of_a_grandchild() -> None:
    ev = _events()
    try:
        r, w = os.pipe()
        middle = os.fork()
        if middle == 0:  # pragma: no cover - child
            grandchild = os.fork()
            if grandchild == 0:
                os.read(r, 1)
                os._exit(7)
            os.write(w, str(grandchild).encode().rjust(10))
            os._exit(0)
        os.waitpid(middle, 0)
        grandchild = int(os.read(r, 10))  # reparented away from us: not ours to wait for
        os.write(w, b"x")
        status = _wait_for(ev, grandchild)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 7
        os.close(r)
        os.close(w)
    finally:
        ev.close()


def test_killed_by_a_signal() -> None:
    ev = _events()
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            time.sleep(30)
            os._exit(0)
        os.kill(pid, 9)
        status = _wait_for(ev, pid)
        os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9
    finally:
        ev.close()


def test_parse_ignores_other_events_and_threads() -> None:
    import struct

    def msg(what: int, pid: int, tgid: int, code: int) -> bytes:
        ev = struct.pack("=IIQ", what, 0, 0) + struct.pack("=IIIIII", pid, tgid, code, 17, 1, 1)
        cn = struct.pack("=IIIIHH", 1, 1, 0, 0, len(ev), 0) + ev
        return struct.pack("=IHHII", 16 + len(cn), 3, 0, 0, 0) + cn

    data = msg(0x1, 5, 5, 0) + msg(cnproc.PROC_EVENT_EXIT, 6, 5, 0) + msg(cnproc.PROC_EVENT_EXIT, 9, 9, 256)
    assert cnproc.parse(data) == [(9, 256)]


def test_from_a_network_namespace_of_its_own() -> None:
    """The connector lives in the initial network namespace only: a process in another one
    (this test session, tests/support/sandbox.py; a supervisor under `ip netns exec`) has its
    socket made there, and still hears of exits; its own namespace is unchanged after."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    before = os.readlink("/proc/self/ns/net")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            from hutch._sys import consts as C
            from hutch._sys import ns as _ns

            _ns.unshare(C.CLONE_NEWNET)  # (surely not the initial one now)
            ev = cnproc.ExitEvents()
            ours = os.readlink("/proc/self/ns/net")
            child = os.fork()
            if child == 0:
                os._exit(5)
            status = _wait_for(ev, child)
            os.waitpid(child, 0)
            ok = os.WEXITSTATUS(status) == 5 and os.readlink("/proc/self/ns/net") == ours
            os.write(w, b"ok" if ok else b"no")
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 2)
    os.waitpid(pid, 0)
    os.close(r)
    assert got == b"ok" and os.readlink("/proc/self/ns/net") == before
