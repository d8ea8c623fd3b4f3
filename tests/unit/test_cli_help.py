"""hutch-runtime's help and version in runc's (urfave/cli's) shapes, under the name it runs by."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hutch.cli import help as texts
from hutch.cli import version
from hutch.cli.args import Flag
from hutch.cli.main import VERBS, flags_of, main, prog_name


@pytest.fixture(autouse=True)
def _named_runc(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process main() as a launcher installed as `runc` would run it."""
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/runc"])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_prog_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert prog_name() == "runc"
    monkeypatch.setattr(sys, "argv", ["/x/.venv/bin/hutch-runtime"])
    assert prog_name() == "hutch-runtime"
    for argv0 in ("/src/hutch/cli/main.py", "-c", ""):
        monkeypatch.setattr(sys, "argv", [argv0])
        assert prog_name() == "hutch-runtime"


@pytest.mark.parametrize("argv", [["-h"], ["--help"], [], ["help"], ["h"], ["-h", "list"]])
def test_app_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, _ = run(capsys, *argv)
    lines = out.splitlines()
    assert code == 0
    assert lines[:2] == ["NAME:", "   runc - Open Container Initiative runtime"]
    for section in ("USAGE:", "VERSION:", "COMMANDS:", "GLOBAL OPTIONS:"):
        assert section in lines
    assert "   runc [global options] command [command options] [arguments...]" in lines
    assert "   checkpoint  checkpoint a running container" in lines  # tab-aligned, as tabwriter
    assert "   help, h     Shows a list of commands or help for one command" in lines
    assert '   --root value        root directory for storage of container state (this should be ' \
           'located in tmpfs) (default: "/run/hutch")' in lines
    assert lines[-1].startswith("   --version, -v ")


@pytest.mark.parametrize("name", sorted(VERBS))
def test_every_command_help(capsys: pytest.CaptureFixture[str], name: str) -> None:
    for argv in ([name, "-h"], [name, "--help"], ["help", name]):
        code, out, _ = run(capsys, *argv)
        lines = out.splitlines()
        assert code == 0
        assert lines[0] == "NAME:" and lines[1].startswith(f"   runc {name} - ")
        assert lines[3] == "USAGE:" and lines[4].startswith(f"   runc {name}")
        for flag in flags_of(name):
            assert any(line.startswith(f"   --{flag.names[0]}") for line in lines), flag.names


def test_command_help_shape(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "create", "--bundle", "b", "-h")
    assert "   runc create [command options] <container-id>\n" in out
    assert "\nOPTIONS:\n   --bundle value, -b value  path to the root of the bundle directory" in out
    assert "   --preserve-fds value      Pass N additional" in out and out.endswith("(default: 0)\n   \n")
    _, out, _ = run(capsys, "state", "-h")  # no flags: no OPTIONS, and no "[command options]"
    assert "   runc state <container-id>\n" in out and "OPTIONS" not in out


@pytest.mark.parametrize("argv", [["foo", "-h"], ["foo"], ["help", "foo"], ["--debug", "foo", "x"]])
def test_unknown_command(capfd: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capfd, *argv)  # errors are written to fd 2
    assert code == 3 and not out
    assert "No help topic for 'foo'" in err


def test_align_is_per_block() -> None:
    text = "a\tx\nlonger\ty\nbreak\nb\tz\n"
    assert texts.align(text) == "a       x\nlonger  y\nbreak\nb  z\n"


def test_flag_lines() -> None:
    assert texts.flag_line("", Flag("debug"), "runc") == "--debug\tenable debug logging"
    assert texts.flag_line("list", Flag("format", "f", value=True, default="table"), "runc") == \
        '--format value, -f value\tselect one of: table or json (default: "table")'
    assert texts.flag_line("exec", Flag("env", "e", value=True, multi=True), "runc") == \
        "--env value, -e value\tset environment variables"
    log = texts.flag_line("", Flag("log", value=True, default=""), "x")
    assert log.endswith("write x logs to (default is '/dev/stderr')")


def test_version_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-v")
    lines = out.splitlines()
    assert code == 0
    # docker: the first line split on "version"; the "commit:" line. containerd: "spec:".
    assert lines[0].startswith("runc version ") and lines[0].count("version") == 1
    assert lines[1].startswith("commit: ") and lines[2].startswith("spec: 1.")
    assert all("version" not in line for line in lines[1:])
    assert run(capsys, "--version")[1] == out


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def test_commit_from_git_metadata(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src/pkg").mkdir(parents=True)
    assert version.commit(str(repo / "src/pkg")) == "unknown"
    _git(repo, "init", "-q", "-b", "main")
    (repo / "f").write_text("x")
    _git(repo, "add", "f")
    _git(repo, "commit", "-q", "-m", "one")
    head = _git(repo, "rev-parse", "HEAD")
    assert version.commit(str(repo / "src/pkg")) == head  # loose ref
    _git(repo, "pack-refs", "--all")
    assert version.commit(str(repo / "src/pkg")) == head  # packed-refs
    _git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    assert version.commit(str(tmp_path / "wt")) == head  # .git file, commondir
    _git(repo, "checkout", "-q", "--detach")
    assert version.commit(str(repo)) == head  # detached HEAD
