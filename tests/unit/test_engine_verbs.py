"""Parsing and pure parts of version, info, events, diff (no container)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from hutch.cli.engine.system import events, info
from hutch.engine import diff, eventstream
from hutch.engine import events as journal
from hutch.errors import HutchError
from hutch.util.timefmt import timestamp_ns


@pytest.mark.parametrize(("value", "want"), [
    ("10m", 1000.0 - 600), ("1h30m", 1000.0 - 5400), ("1700000000", 1.7e9), ("1700000000.5", 1.7e9 + 0.5),
    ("2026-12-07T21:00:00Z", 1796677200.0), ("2026-12-07T21:00:00.25+01:00", 1796673600.25),
    ("2026-12-07", 1796601600.0), ("2026-12-07T21:00", 1796677200.0), ("0", 0.0),
])
def test_events_time_forms_are_dockers(value: str, want: float) -> None:
    """docker's api/types/time.GetTimestamp: durations before now, Unix seconds, RFC 3339
    (hutch.util.timefmt.timestamp_ns, which events, logs and the prune filters share)."""
    assert timestamp_ns(value, 1000 * 10**9) == pytest.approx(want * 1e9, abs=1)


def test_events_time_garbage() -> None:
    with pytest.raises(ValueError, match="failed to parse value as time or duration"):
        timestamp_ns("yesterday", 0)


def test_events_filters() -> None:
    ev = {"Type": "container", "Action": "exec_start: sh", "Actor": {"ID": "abcdef", "Attributes": {
        "name": "web", "image": "hbox:1", "tier": "front"}}}
    f = eventstream.parse_filters
    assert eventstream.matches(ev, f(["type=container", "event=exec_start"]))
    assert eventstream.matches(ev, f(["container=web"])) and eventstream.matches(ev, f(["container=abc"]))
    assert eventstream.matches(ev, f(["container=nope", "container=web"]))  # one key: alternatives
    assert not eventstream.matches(ev, f(["container=web", "type=image"]))  # keys: all
    assert eventstream.matches(ev, f(["image=hbox:1", "label=tier=front", "label=tier"]))
    assert not eventstream.matches(ev, f(["label=tier=back"]))
    assert not eventstream.matches(ev, f(["volume=web"]))
    with pytest.raises(HutchError, match="invalid filter 'bogus'"):
        f(["bogus=1"])
    with pytest.raises(HutchError, match="bad format of filter"):
        f(["type"])


def test_events_text_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """docker's line: Go's RFC3339Nano (fixed) in local time, Z in UTC; attributes sorted."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    ev = {"Type": "container", "Action": "start", "timeNano": 1796677200_000000001,
          "Actor": {"ID": "c1", "Attributes": {"name": "web", "image": "hbox:1"}}}
    assert events.line(ev) == "2026-12-07T21:00:00.000000001Z container start c1 (image=hbox:1, name=web)"


def test_journal_appends_whole_lines_from_many_writers(tmp_path: Path) -> None:
    """O_APPEND, one write a line: 8 threads x 200 events leave 1600 whole JSON lines."""
    def write(n: int) -> None:
        for i in range(200):
            journal.emit(str(tmp_path), "container", "start", f"{n}-{i}", {"name": "x" * 300})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / journal.NAME).read_text().splitlines()
    assert len(lines) == 1600 and all(json.loads(line)["Action"] == "start" for line in lines)


def test_journal_keeps_lines_short(tmp_path: Path) -> None:
    journal.emit(str(tmp_path), "container", "create", "c", {f"label{i}": "v" * 100 for i in range(100)} | {
        "name": "web", "image": "img"})
    [line] = (tmp_path / journal.NAME).read_bytes().splitlines()
    assert len(line) < journal.MAX_LINE and json.loads(line)["Actor"]["Attributes"] == {"name": "web",
                                                                                     "image": "img"}


def test_diff_from_upper_and_lowers(tmp_path: Path) -> None:
    low, upper = tmp_path / "low", tmp_path / "upper"
    for d in ("low/etc", "low/bin", "low/opt/old", "upper/etc", "upper/bin", "upper/new", "upper/opt"):
        (tmp_path / d).mkdir(parents=True)
    (low / "etc/passwd").write_text("a")
    (low / "bin/ls").write_text("")
    (low / "opt/old/f").write_text("")
    (upper / "etc/passwd").write_text("b")
    (upper / "new/f").write_text("")
    os.mknod(upper / "bin/ls", 0o600 | 0o020000, 0)  # a whiteout
    os.mknod(upper / "bin/gone", 0o600 | 0o020000, 0)  # a whiteout of nothing (not a change)
    os.setxattr(upper / "opt", "trusted.overlay.opaque", b"y")
    (upper / "opt/mine").write_text("")
    assert diff.changes(str(upper), [str(low)]) == [
        ("C", "/bin"), ("D", "/bin/ls"), ("C", "/etc"), ("C", "/etc/passwd"), ("A", "/new"), ("A", "/new/f"),
        ("C", "/opt"), ("A", "/opt/mine"), ("D", "/opt/old")]


def test_info_sizes_as_docker() -> None:
    assert info.bytes_size(8 * 1024**3 - 250 * 1024**2) == "7.756GiB"
    assert info.bytes_size(512) == "512B"




def test_update_flags_to_resources() -> None:
    """docker update's flags as a partial LinuxResources; docker's checks and words."""
    from hutch.engine import update

    assert update.parse(memory="96m", memory_swap="-1", cpus="0.5", cpu_shares="512", cpuset_cpus="0",
                        pids_limit="0") == {
        "memory": {"limit": 96 << 20, "swap": -1}, "cpu": {"quota": 50000, "period": 100000, "shares": 512,
                                                          "cpus": "0"}, "pids": {"limit": -1}}
    assert update.parse() == {}
    with pytest.raises(HutchError, match="Minimum memory limit allowed is 6MB"):
        update.parse(memory="1m")
    with pytest.raises(HutchError, match=r"range of CPUs is from 0\.01"):
        update.parse(cpus="1000")
    with pytest.raises(HutchError, match='invalid argument "x" for "--pids-limit"'):
        update.parse(pids_limit="x")
    current = {"memory": {"limit": 64 << 20, "swap": 128 << 20}, "devices": [{"allow": False}]}
    with pytest.raises(HutchError, match="Memory limit should be smaller than already set memoryswap"):
        update.merged(current, {"memory": {"limit": 256 << 20}})
    with pytest.raises(HutchError, match="Minimum memoryswap limit should be larger than memory limit"):
        update.merged(current, {"memory": {"swap": 32 << 20}})
    out = update.merged(current, {"memory": {"limit": 256 << 20, "swap": -1}, "pids": {"limit": 5}})
    assert out == {"memory": {"limit": 256 << 20, "swap": -1}, "devices": [{"allow": False}],
                   "pids": {"limit": 5}}
    assert current["memory"] == {"limit": 64 << 20, "swap": 128 << 20}  # not changed in place
