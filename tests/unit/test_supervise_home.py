"""hutch.engine.supervise.home: work done in another process's mount and network namespaces
(a real one: `unshare -m -n sleep`), its result and its errors brought back."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import pytest

from hutch.engine.lifecycle import StartFailed
from hutch.engine.supervise import home
from hutch.errors import HutchError

pytestmark = pytest.mark.root


@pytest.fixture
def other() -> Iterator[int]:
    """A process in mount and network namespaces of its own."""
    p = subprocess.Popen(["unshare", "--mount", "--net", "--propagation", "private", "sleep", "60"])
    try:
        _until_apart(p.pid, 2)
        yield p.pid
    finally:
        p.kill()
        p.wait()


def _until_apart(pid: int, kinds: int) -> None:
    """Until ``pid`` has unshared its namespaces (``kinds`` of mnt and net) and runs sleep."""
    deadline = time.monotonic() + 30
    from pathlib import Path

    while len(home.foreign(pid)) < kinds or b"sleep" not in Path(f"/proc/{pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline, "unshare did not get there"
        time.sleep(0.01)


def _netns() -> int:
    return os.stat("/proc/self/ns/net").st_ino


def _fail(code: int) -> None:
    raise StartFailed(code, "no such thing")


class _Odd(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a}+{b}")


def _odd() -> None:
    raise _Odd(1, 2)


def test_at_home_it_runs_here() -> None:
    assert home.foreign(os.getpid()) == []
    assert home.call(os.getpid(), os.getpid) == os.getpid()
    assert home.call(0, os.getpid) == os.getpid()  # (no supervisor: here)


def test_elsewhere_it_runs_in_their_namespaces(other: int) -> None:
    assert [k for k, _ in home.foreign(other)] == ["mnt", "net"]
    theirs = os.stat(f"/proc/{other}/ns/net").st_ino
    assert home.call(other, _netns) == theirs != _netns()  # (and this process stays where it was)
    assert home.call(other, os.getcwd) == os.getcwd()


def test_errors_come_back_as_they_were(other: int) -> None:
    with pytest.raises(StartFailed) as info:
        home.call(other, _fail, 127)
    assert (info.value.code, str(info.value)) == (127, "no such thing")
    with pytest.raises(HutchError, match=r"^1\+2$"):  # (an error that does not pickle: its words)
        home.call(other, _odd)


def test_a_gone_process_is_a_clear_error() -> None:
    p = subprocess.Popen(["unshare", "--net", "sleep", "60"])
    try:
        _until_apart(p.pid, 1)
        kinds = home.foreign(p.pid)
    finally:
        p.kill()
        p.wait()
    assert kinds and kinds[0][0] == "net"
    with pytest.raises(HutchError, match="cannot enter the namespaces"):
        home._in_child(p.pid, kinds, os.getpid, (), {})
