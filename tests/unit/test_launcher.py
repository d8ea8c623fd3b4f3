"""hutch's launchers (hutch/process/launcher.py): one file that is a shell script and a
Python script, running the read-only interpreter when it is there, else the plain one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hutch.process import exeseal, launcher

REPO = Path(__file__).resolve().parents[2]
PATHS = [str(REPO / "src")]
QUOTES = "'" * 3


def _write(tmp_path: Path, seal: exeseal.Seal) -> Path:
    path = tmp_path / "hutch-runtime"
    path.write_text(launcher.text("hutch-runtime", "hutch.cli.main", sys.executable, seal, PATHS))
    path.chmod(0o755)
    return path


def test_the_launcher_is_python_after_the_shell_lines(tmp_path: Path) -> None:
    """sh stops at its exec (what follows is never parsed as shell); Python skips sh's lines."""
    seal = exeseal.Seal(str(tmp_path / "sealed"), sys.executable, sys.prefix)
    text = _write(tmp_path, seal).read_text()
    compile(text, "hutch-runtime", "exec")
    shell = text.split(f"\n{QUOTES}\n", 1)[0].splitlines()
    assert shell[0] == "#!/bin/sh" and shell[-1] == 'exec "$p" -IS "$0" "$@"'
    assert f"p={seal.python}" in shell


def test_without_a_seal_it_runs_the_plain_interpreter(tmp_path: Path) -> None:
    """No seal made (after a reboot): the command still runs, named as the launcher."""
    seal = exeseal.Seal(str(tmp_path / "sealed"), sys.executable, sys.prefix)
    path = _write(tmp_path, seal)
    r = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=True)
    assert r.stdout.startswith("hutch-runtime version ")
    probe = tmp_path / "probe"
    show = "print(sys.executable, sys.flags.isolated, sys.flags.no_site)\n"
    probe.write_text(path.read_text().replace("from hutch.cli.main import entry\nentry()\n", show))
    probe.chmod(0o755)
    out = subprocess.run([str(probe)], capture_output=True, text=True, check=True).stdout.split()
    assert out == [sys.executable, "1", "1"]
    assert not Path(seal.python).exists()  # --version makes no seal


def test_remove_takes_a_venvs_seal_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--remove VENV` (what .ci/run does for its clone): the seal's mount and directory go."""
    seal = exeseal.Seal(str(tmp_path / "seal"), sys.executable, str(tmp_path / "venv"))
    (tmp_path / "seal" / "bin").mkdir(parents=True)
    gone: list[str] = []
    monkeypatch.setattr(exeseal, "default", lambda venv: seal)
    monkeypatch.setattr(exeseal, "_unmount", gone.append)
    assert launcher.main(["--remove", str(tmp_path / "venv")]) == 0
    assert gone == [seal.python] and not (tmp_path / "seal").exists()
    assert launcher.main(["--remove"]) == 2
