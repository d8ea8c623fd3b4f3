"""Pure logic of the runtime: option tables, capabilities, ids, signals, JSON, CLI parsing."""

from __future__ import annotations

import pytest

from hutch import fastjson
from hutch._sys import consts as C
from hutch.cli.args import parse, reorder_args
from hutch.cli.main import GLOBAL_FLAGS
from hutch.cli.runtime.create import FLAGS as CREATE_FLAGS
from hutch.container.kill import parse_signal
from hutch.container.store import validate_id
from hutch.errors import InvalidArgument, InvalidID
from hutch.specconv import caps, mountopts


def test_mount_options_flags_and_data() -> None:
    o = mountopts.parse(["nosuid", "noexec", "nodev", "ro", "mode=755", "size=64k"])
    assert o.flags == C.MS_NOSUID | C.MS_NOEXEC | C.MS_NODEV | C.MS_RDONLY
    assert o.data == ["mode=755", "size=64k"]


def test_mount_options_later_option_wins() -> None:
    o = mountopts.parse(["ro", "rw"])
    assert not o.flags & C.MS_RDONLY
    assert o.clear & C.MS_RDONLY
    o = mountopts.parse(["rw", "ro"])
    assert o.flags & C.MS_RDONLY


def test_mount_options_bind_propagation_recursive() -> None:
    o = mountopts.parse(["rbind", "rprivate", "rro", "rnosuid"])
    assert o.flags == C.MS_BIND | C.MS_REC
    assert o.propagation == [C.MS_PRIVATE | C.MS_REC]
    assert o.rec_set == mountopts.MOUNT_ATTR_RDONLY | mountopts.MOUNT_ATTR_NOSUID


def test_caps_round_trip_and_unknown() -> None:
    mask, unknown = caps.to_mask(["CAP_CHOWN", "CAP_KILL", "CAP_NOPE"])
    assert mask == 1 << 0 | 1 << 5
    assert unknown == ["CAP_NOPE"]
    assert caps.to_names(mask) == ["CAP_CHOWN", "CAP_KILL"]
    assert caps.to_mask(["chown"])[1] == ["chown"]  # the spec's names are exact


@pytest.mark.parametrize("cid", ["a", "web-1", "a.b_c+d", "x" * 1024])
def test_valid_ids(cid: str) -> None:
    validate_id(cid)


@pytest.mark.parametrize("cid", ["", ".", "..", "../x", "a/b", "a b", "x" * 1025, "é"])
def test_invalid_ids(cid: str) -> None:
    with pytest.raises(InvalidID):
        validate_id(cid)


@pytest.mark.parametrize(
    ("text", "num"),
    [("0", 0), ("9", 9), ("KILL", 9), ("SIGKILL", 9), ("term", 15), ("SIGRTMIN+1", 35), ("RTMAX-1", 63)],
)
def test_signals(text: str, num: int) -> None:
    assert parse_signal(text) == num


@pytest.mark.parametrize("text", ["65", "SIGNOPE", "SIG_DFL", "-1", ""])
def test_bad_signals(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_signal(text)


def test_fastjson_round_trip_and_errors() -> None:
    obj = {"a": [1, 2.5, None, True, "é\n\""], "b": {}}
    assert fastjson.loads(fastjson.dumps(obj)) == obj
    for bad in ["{", "[1,]", "{}x", ""]:
        with pytest.raises(fastjson.JSONError):
            fastjson.loads(bad)


def test_cli_parse_like_urfave() -> None:
    g = parse(["--root", "/tmp/r", "--log-format=json", "--debug", "create", "--bundle", "b", "x"],
              GLOBAL_FLAGS)
    assert g.text("root") == "/tmp/r" and g.text("log-format") == "json" and g.flag("debug")
    assert g.args == ["create", "--bundle", "b", "x"]
    a = parse(g.args[1:], CREATE_FLAGS)
    assert a.text("bundle") == "b" and a.args == ["x"]
    a = parse(["-b=d", "--no-pivot=true", "id"], CREATE_FLAGS)
    assert a.text("bundle") == "d" and a.flag("no-pivot") and a.args == ["id"]
    with pytest.raises(InvalidArgument):
        parse(["--nope", "x"], CREATE_FLAGS)
    with pytest.raises(InvalidArgument):
        parse(["--pid-file"], CREATE_FLAGS)


@pytest.mark.parametrize(("argv", "want"), [
    # flags after the id (runc's `update ID --memory 1m`), values that start with "-"
    (["box", "--cpuset-cpus", "1"], ["--cpuset-cpus", "1", "box"]),
    (["box", "--memory-swap", "-1", "--pids-limit=5"], ["--memory-swap", "-1", "--pids-limit=5", "box"]),
    # "-" (stdin) is never a flag nor, by position, a flag's value: Go's flag takes it as -r's
    (["-r", "-", "box"], ["-r", "-", "box"]),
    # after a boolean flag the next word moves along with it: the same order as before
    (["--all", "box", "9"], ["--all", "box", "9"]),
    (["box", "9", "--all"], ["--all", "box", "9"]),
    (["box", "--", "--x"], ["box", "--", "--x"]),
])
def test_cli_reorder_args_like_urfave(argv: list[str], want: list[str]) -> None:
    assert reorder_args(argv) == want


def test_cli_flags_after_the_id_are_taken_but_not_for_exec_and_ps() -> None:
    from hutch.cli.main import NO_REORDER, flags_of

    spec = flags_of("update")
    a = parse(reorder_args(["box", "--cpu-rt-period", "900001", "--cpu-rt-runtime", "600001"]), spec)
    assert a.args == ["box"] and a.text("cpu-rt-period") == "900001" and a.text("cpu-rt-runtime") == "600001"
    assert {"exec", "ps"} == NO_REORDER  # what follows the id is the process's own command line


def test_fastjson_pretty_matches_json() -> None:
    import json

    obj = {"a": [1, {"b": None, "c": []}, "x"], "d": {}, "e": "é", "f": 1.5, "g": [[]]}
    assert fastjson.dumps_pretty(obj) == json.dumps(obj, indent=2)
