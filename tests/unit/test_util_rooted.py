"""hutch.util.rooted: lookups and mkdir-all inside a root never leave it."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from hutch._sys import consts as C
from hutch.init import rootfs
from hutch.util.rooted import fdpath, mkdir_all, open_in_root


@pytest.fixture
def root(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    r = tmp_path / "root"
    r.mkdir()
    fd = os.open(r, C.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield r, fd
    finally:
        os.close(fd)


def _where(fd: int) -> str:
    try:
        return os.readlink(fdpath(fd))
    finally:
        os.close(fd)


def test_open_in_root_names_the_root_itself(root: tuple[Path, int]) -> None:
    path, fd = root
    for name in ("", "/", ".", "//"):
        assert _where(open_in_root(fd, name)) == str(path)


def test_absolute_symlink_and_dotdot_stay_inside(root: tuple[Path, int]) -> None:
    path, fd = root
    (path / "etc").mkdir()
    (path / "etc" / "passwd").write_text("inside\n")
    (path / "link").symlink_to("/etc")
    (path / "up").symlink_to("../../../../..")
    got = open_in_root(fd, "/link/passwd", os.O_RDONLY)
    with os.fdopen(got, "rb") as f:
        assert f.read() == b"inside\n"
    assert _where(open_in_root(fd, "up")) == str(path)
    assert _where(open_in_root(fd, "../../..")) == str(path)


def test_magic_links_are_refused() -> None:
    slash = os.open("/", C.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        with pytest.raises(OSError) as err:
            open_in_root(slash, "/proc/self/root")
        assert err.value.errno == errno.ELOOP
    finally:
        os.close(slash)


def test_mkdir_all_makes_missing_levels_inside(root: tuple[Path, int]) -> None:
    path, fd = root
    (path / "a").mkdir()
    (path / "etc").mkdir()
    (path / "out").symlink_to("/etc")  # the root's /etc, not the host's
    name = f"hutch-test-{os.getpid()}"
    assert _where(mkdir_all(fd, "/a/b//./c/")) == str(path / "a/b/c")
    assert _where(mkdir_all(fd, f"out/{name}/y")) == str(path / "etc" / name / "y")
    assert not os.path.lexists(f"/etc/{name}")
    assert _where(mkdir_all(fd, "a/../d")) == str(path / "d")  # the kernel's '..'
    assert _where(mkdir_all(fd, "")) == str(path)
    st = os.stat(path / "a/b/c")
    assert stat.S_IMODE(st.st_mode) == 0o755 & ~_umask()


def test_mkdir_all_dangling_symlink_and_file_in_the_way(root: tuple[Path, int]) -> None:
    path, fd = root
    (path / "dangling").symlink_to("nowhere/deeper")
    with pytest.raises(FileNotFoundError):
        mkdir_all(fd, "dangling/x")
    (path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        mkdir_all(fd, "file/x")


def test_rootfs_mkdir_all_refuses_dotdot(root: tuple[Path, int]) -> None:
    _path, fd = root
    with pytest.raises(OSError) as err:
        rootfs.mkdir_all(fd, "/a/../b")
    assert err.value.errno == errno.EINVAL
    assert _where(rootfs.mkdir_all(fd, "/a/b")).endswith("/root/a/b")


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old
