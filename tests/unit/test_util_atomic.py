"""hutch.util.atomic: the one atomic file writer."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hutch.util import atomic


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


@pytest.mark.parametrize("durable", [False, True])
def test_replaces_whole_file_with_mode(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old content, longer than the new")
    atomic.write(str(target), b"new", 0o640, durable=durable)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 & ~_umask()  # a new inode, with ``mode``
    atomic.write(str(tmp_path / "fresh"), b"", 0o600, durable=durable)
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o600 & ~_umask()
    assert sorted(os.listdir(tmp_path)) == ["fresh", "state.json"]  # no temporary file left


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "d"
    target.mkdir()  # rename(file, directory) fails: EISDIR
    with pytest.raises(IsADirectoryError):
        atomic.write(str(target), b"x")
    assert target.is_dir()
    assert os.listdir(tmp_path) == ["d"]


def test_large_data_and_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = os.urandom(3 << 20)
    atomic.write("big", data, durable=True)
    assert (tmp_path / "big").read_bytes() == data
