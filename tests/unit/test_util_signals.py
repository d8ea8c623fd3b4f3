"""hutch.util.signals: names to numbers, for the runtime's `kill` and the engine's."""

from __future__ import annotations

import signal

import pytest

from hutch.container.kill import parse_signal
from hutch.engine.containers import signal_number
from hutch.errors import HutchError, InvalidArgument
from hutch.util import signals


def test_names_are_pythons_on_linux() -> None:
    for name, member in signal.Signals.__members__.items():
        assert signals.number(name) == int(member), name
        assert signals.number(name[3:].lower()) == int(member), name


@pytest.mark.parametrize(("name", "want"), [
    ("RTMIN", signal.SIGRTMIN), ("sigrtmin+3", signal.SIGRTMIN + 3), ("SIGRTMAX-2", signal.SIGRTMAX - 2),
    ("RTMAX", signal.SIGRTMAX), (f"RTMIN+{signal.SIGRTMAX - signal.SIGRTMIN}", signal.SIGRTMAX),
])
def test_realtime(name: str, want: int) -> None:
    assert signals.number(name) == want


@pytest.mark.parametrize("name", ["", "SIG", "NOPE", "RTMIN-1", "RTMAX+1", "RTMIN+99", "RTMIN+", "15",
                                  "KILL "])
def test_unknown(name: str) -> None:
    assert signals.number(name) is None


def test_runtime_and_engine_parsers() -> None:
    assert parse_signal("0") == 0 and parse_signal("term") == 15
    assert parse_signal("RTMIN+1") == signal.SIGRTMIN + 1
    with pytest.raises(InvalidArgument, match='unknown signal "NOPE"'):
        parse_signal("NOPE")
    with pytest.raises(InvalidArgument):
        parse_signal(str(signal.NSIG))
    assert signal_number(" kill ") == 9 and signal_number("SIGusr1") == 10 and signal_number("9") == 9
    for bad in ("0", str(signal.NSIG), "NOPE"):
        with pytest.raises(HutchError, match=f"invalid signal: {bad}"):
            signal_number(bad)
