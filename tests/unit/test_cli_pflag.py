"""The engine's flag parser: docker's (pflag's) syntax and messages, argparse's declarations."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hutch.cli import engine
from hutch.cli.engine.containers import run
from hutch.cli.pflag import REMAINDER, Help, Parser, UsageError


def _rm() -> Parser:
    p = Parser("hutch rm")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("-v", "--volumes", action="store_true")
    p.add_argument("-t", "--time", "--timeout", type=int, default=None, dest="time")
    p.add_argument("--filter", action="append")
    p.add_argument("--pull", default="missing", choices=["missing", "always", "never"])
    p.add_argument("containers", nargs="+")
    return p


def _run(*argv: str) -> object:
    p = Parser("hutch run", add_help=False)
    run.run_flags(p)
    return p.parse_args(list(argv))


def test_long_short_and_equals_forms() -> None:
    a = _rm().parse_args(["--time", "3", "c1", "-t=4", "--filter=a=b", "--filter", "x", "-fv", "c2"])
    assert (a.time, a.filter, a.force, a.volumes, a.containers) == (4, ["a=b", "x"], True, True, ["c1", "c2"])
    assert _rm().parse_args(["-t5", "c"]).time == 5
    assert _rm().parse_args(["--timeout", "6", "c"]).time == 6  # another long name, one dest
    d = _rm().parse_args(["c"])
    assert (d.force, d.time, d.filter, d.pull) == (False, None, [], "missing")


def test_booleans_take_no_word_of_their_own() -> None:
    a = _rm().parse_args(["-f=false", "--volumes=true", "c"])
    assert (a.force, a.volumes, a.containers) == (False, True, ["c"])
    assert _rm().parse_args(["--force", "false"]).containers == ["false"]  # pflag: a positional
    with pytest.raises(UsageError, match=r'invalid argument "maybe" for "-f, --force" flag: invalid boolean'):
        _rm().parse_args(["--force=maybe", "c"])


@pytest.mark.parametrize(("argv", "words"), [
    (["--forc", "c"], "unknown flag: --forc"),  # no abbreviations
    (["-x", "c"], "unknown shorthand flag: 'x' in -x"),
    (["-fx", "c"], "unknown shorthand flag: 'x' in -fx"),
    (["c", "--time"], "flag needs an argument: --time"),
    (["c", "-t"], "flag needs an argument: 't' in -t"),
    (["-t", "soon", "c"], 'invalid argument "soon" for "-t, --time, --timeout" flag: not an integer'),
    (["--pull", "sometimes", "c"], 'invalid argument "sometimes" for "--pull" flag: must be one of missing'),
    ([], '"hutch rm" requires at least 1 argument'),
])
def test_docker_messages(argv: list[str], words: str) -> None:
    with pytest.raises(UsageError, match=words) as err:
        _rm().parse_args(argv)
    assert str(err.value).endswith("(see 'hutch rm --help')") and "\n" not in str(err.value)


def test_argument_counts() -> None:
    p = Parser("hutch rename")
    p.add_argument("old")
    p.add_argument("new")
    assert vars(p.parse_args(["a", "b"])) == {"old": "a", "new": "b"}
    for argv in (["a"], ["a", "b", "c"]):
        with pytest.raises(UsageError, match='"hutch rename" requires exactly 2 arguments'):
            p.parse_args(argv)
    q = Parser("hutch port")
    q.add_argument("container")
    q.add_argument("private", nargs="?")
    assert q.parse_args(["c"]).private is None and q.parse_args(["c", "80"]).private == "80"
    with pytest.raises(UsageError, match='requires at least 1 and at most 2 arguments'):
        q.parse_args(["c", "80", "x"])
    r = Parser("hutch x")
    r.add_argument("first")
    r.add_argument("middle", nargs="*")
    r.add_argument("last")
    assert vars(r.parse_args(["a", "b", "c", "d"])) == {"first": "a", "middle": ["b", "c"], "last": "d"}


def test_run_stops_at_the_image() -> None:
    a = _run("--rm", "-it", "-e", "A=1", "-eB=2", "--env=C=3", "-h", "box",
             "img", "sh", "-c", "x", "--rm", "-e")
    assert (a.rm, a.interactive, a.tty, a.env, a.hostname) == (True, True, True, ["A=1", "B=2", "C=3"], "box")
    assert (a.image, a.args) == ("img", ["sh", "-c", "x", "--rm", "-e"])
    assert _run("-dit", "img").detach
    b = _run("--", "img", "-x")
    assert (b.image, b.args) == ("img", ["-x"])
    with pytest.raises(UsageError, match="unknown flag: --pids"):  # argparse took it for --pids-limit
        _run("--pids", "5", "img")
    with pytest.raises(UsageError, match='"hutch run" requires at least 1 argument'):
        _run("--rm")


def test_remainder_keeps_flags_after_the_first_positional() -> None:
    p = Parser("hutch top")
    p.add_argument("container")
    p.add_argument("ps_args", nargs=REMAINDER)
    a = p.parse_args(["c", "-ef", "--forest"])
    assert (a.container, a.ps_args) == ("c", ["-ef", "--forest"])


def test_help() -> None:
    with pytest.raises(Help) as h:
        _rm().parse_args(["c", "--help"])
    text = h.value.text
    assert text.startswith("Usage:  hutch rm [OPTIONS] CONTAINERS [CONTAINERS...]\n")
    assert "  -t, --time, --timeout int" in text and "      --filter list" in text
    assert "(missing|always|never)" in text


def test_the_engine_command_line() -> None:
    a = engine.parse(["--root", "/r", "--runtime=runc", "run", "-h", "x", "--runtime", "crun", "img", "true"])
    assert (a.root, a.runtime, a.run_runtime, a.hostname, a.key, a.command) == \
        ("/r", "runc", "crun", "x", "run", "run")
    b = engine.parse(["container", "ps", "-a"])
    assert (b.key, b.command, b.all) == ("container ls", "container", True)
    with pytest.raises(UsageError) as err:
        engine.parse(["exec", "--bogus", "c", "true"])
    assert err.value.code == 125  # docker's status for run, create and exec
    with pytest.raises(UsageError) as err:
        engine.parse(["ps", "--bogus"])
    assert err.value.code == 1
    with pytest.raises(Help) as h:
        engine.parse(["--help"])
    assert "Commands:" in h.value.text


def test_the_command_line_says_it_in_one_line() -> None:
    out = subprocess.run([sys.executable, "-I", "-c", "from hutch.cli.engine import main; "
                          "raise SystemExit(main(['run', '--pids', '5', 'img']))"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 125
    assert out.stderr == "Error: unknown flag: --pids (see 'hutch run --help')\n"
