"""AppArmor and SELinux exec contexts (hutch.init.lsm), on a fake /proc and /sys. No root."""

from __future__ import annotations

from pathlib import Path

import pytest

from hutch.init import lsm


def _proc(tmp_path: Path, per_lsm: bool) -> Path:
    attr = tmp_path / "proc" / "thread-self" / "attr"
    (attr / "apparmor").mkdir(parents=True) if per_lsm else attr.mkdir(parents=True)
    for f in ([attr / "apparmor" / "exec"] if per_lsm else []) + [attr / "exec"]:
        f.write_text("")
    return tmp_path / "proc"


def test_apparmor_profile_goes_to_the_per_lsm_file(tmp_path: Path) -> None:
    proc = _proc(tmp_path, per_lsm=True)
    lsm.prepare_exec("docker-default", "", str(proc))
    assert (proc / "thread-self/attr/apparmor/exec").read_text() == "exec docker-default"
    assert (proc / "thread-self/attr/exec").read_text() == ""


def test_apparmor_on_an_older_kernel_and_selinux(tmp_path: Path) -> None:
    proc = _proc(tmp_path, per_lsm=False)
    lsm.prepare_exec("p", "", str(proc))
    assert (proc / "thread-self/attr/exec").read_text() == "exec p"
    lsm.prepare_exec("", "system_u:system_r:container_t:s0", str(proc))
    assert (proc / "thread-self/attr/exec").read_text() == "system_u:system_r:container_t:s0"


def test_nothing_asked_writes_nothing(tmp_path: Path) -> None:
    lsm.prepare_exec("", "", str(tmp_path / "nowhere"))


def test_no_attr_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        lsm.prepare_exec("p", "", str(tmp_path / "nowhere"))


def test_host_has(tmp_path: Path) -> None:
    assert not lsm.host_has("apparmor", str(tmp_path)) and not lsm.host_has("selinux", str(tmp_path))
    (tmp_path / "sys/module/apparmor/parameters").mkdir(parents=True)
    (tmp_path / "sys/module/apparmor/parameters/enabled").write_text("Y\n")
    (tmp_path / "sys/fs/selinux").mkdir(parents=True)
    (tmp_path / "sys/fs/selinux/enforce").write_text("1")
    assert lsm.host_has("apparmor", str(tmp_path)) and lsm.host_has("selinux", str(tmp_path))
