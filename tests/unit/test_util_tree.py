"""util.tree.remove_tree: shutil.rmtree(ignore_errors=True)'s job, never through a link or a mount."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hutch.util.tree import remove_tree


def test_removes_a_tree_and_follows_no_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("x")
    top = tmp_path / "top"
    deep = top / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (deep / "f").write_text("x")
    (top / "a" / "link").symlink_to(outside)
    (top / "a" / "b" / "file-link").symlink_to(outside / "keep")
    os.mkfifo(top / "fifo")
    remove_tree(str(top))
    assert not top.exists() and (outside / "keep").read_text() == "x"


def test_a_file_a_link_or_nothing(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    link = tmp_path / "l"
    link.symlink_to(tmp_path)
    remove_tree(str(f))
    remove_tree(str(link))
    remove_tree(str(tmp_path / "missing"))
    assert not f.exists() and not link.is_symlink() and tmp_path.is_dir()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounts a tmpfs")
def test_a_mount_left_behind_keeps_its_files(tmp_path: Path) -> None:
    top = tmp_path / "top"
    mnt = top / "merged"
    mnt.mkdir(parents=True)
    (top / "other").write_text("x")
    remove = f"from hutch.util.tree import remove_tree; remove_tree('{top}')"
    subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                    f'mount -t tmpfs hutch-test {mnt} && echo data > {mnt}/kept && '
                    f'{sys.executable} -c "{remove}" && cat {mnt}/kept && test ! -e {top}/other'],
                   check=True, capture_output=True)
