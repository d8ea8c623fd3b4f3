"""hutch.util.timefmt: RFC 3339 with nanoseconds, both ways."""

from __future__ import annotations

import calendar
import time

import pytest

from hutch.cli.fmt import since
from hutch.util import duration, timefmt


def test_format_is_go_rfc3339nano_with_nine_digits() -> None:
    assert timefmt.format_ns(0) == "1970-01-01T00:00:00.000000000Z"
    assert timefmt.format_ns(1796626688_000000007) == "2026-12-07T06:58:08.000000007Z"
    assert timefmt.now().endswith("Z") and len(timefmt.now()) == 30


@pytest.mark.parametrize("ns", [0, 1, 999_999_999, 1796626688_123456789, 951_782_400 * 10**9])
def test_round_trip(ns: int) -> None:
    assert timefmt.parse_ns(timefmt.format_ns(ns)) == ns


@pytest.mark.parametrize(("text", "want"), [
    ("2026-12-07T06:58:08Z", calendar.timegm((2026, 12, 7, 6, 58, 8)) * 10**9),
    ("2026-12-07T06:58:08.5Z", calendar.timegm((2026, 12, 7, 6, 58, 8)) * 10**9 + 500_000_000),
    ("2026-12-07T06:58:08.1234567891Z", calendar.timegm((2026, 12, 7, 6, 58, 8)) * 10**9 + 123456789),
    ("2026-12-07T08:58:08+02:00", calendar.timegm((2026, 12, 7, 6, 58, 8)) * 10**9),
    ("2026-12-07T01:58:08.25-05:00", calendar.timegm((2026, 12, 7, 6, 58, 8)) * 10**9 + 250_000_000),
    ("2026-12-07T06:58:08", calendar.timegm((2026, 12, 7, 6, 58, 8)) * 10**9),  # no zone: UTC
    ("0001-01-01T00:00:00Z", calendar.timegm((1, 1, 1, 0, 0, 0)) * 10**9),  # Go's zero time
    ("2000-02-29T23:59:60Z", calendar.timegm((2000, 3, 1, 0, 0, 0)) * 10**9),  # a leap second
])
def test_parse(text: str, want: int) -> None:
    assert timefmt.parse_ns(text) == want


@pytest.mark.parametrize("text", ["", "2026-12-07", "2026-12-07T06:58", "2026-13-07T06:58:08Z",
                                  "2026-12-07T06:58:08.Z", "2026-12-07T06:58:08+0200", "yesterday",
                                  "2026-12-07T06:58:08Zjunk", "\uff12\uff10\uff12\uff16-12-07T06:58:08Z"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        timefmt.parse_ns(text)


def test_since() -> None:
    assert since("garbage") == 0.0
    assert since(timefmt.format_ns(time.time_ns() + 10**12)) == 0.0  # in the future
    assert 59 < since(timefmt.format_ns(time.time_ns() - 60 * 10**9)) < 70


@pytest.mark.parametrize(("text", "ns"), [
    ("0", 0), ("10m", 600 * 10**9), ("1h30m", 5400 * 10**9), ("1.5h", 5400 * 10**9), ("-2s", -2 * 10**9),
    ("300ms", 300_000_000), ("1us", 1000), ("2h0m1s", 7201 * 10**9),
])
def test_go_duration(text: str, ns: int) -> None:
    assert duration.go_duration_ns(text) == ns


@pytest.mark.parametrize(("text", "words"), [
    ("", "invalid duration"), ("10", "missing unit"), ("5x", 'unknown unit "x"'), ("h", "invalid duration"),
])
def test_go_duration_errors(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        duration.go_duration_ns(text)


def test_timestamp_forms_docker_takes() -> None:
    """docker's GetTimestamp: a duration before now, RFC 3339 or a part of it, Unix seconds."""
    now = 1796626688 * 10**9
    utc = calendar.timegm((2026, 12, 7, 10, 20, 0)) * 10**9
    local = time.localtime().tm_gmtoff * 10**9
    assert timefmt.timestamp_ns("10m", now) == now - 600 * 10**9
    assert timefmt.timestamp_ns("2026-12-07T10:20:00Z", now) == utc
    assert timefmt.timestamp_ns("2026-12-07T10:20:00+01:00", now) == utc - 3600 * 10**9
    assert timefmt.timestamp_ns("2026-12-07T10:20:00.5Z", now) == utc + 500_000_000
    assert timefmt.timestamp_ns("2026-12-07T10:20", now) == utc - local
    assert timefmt.timestamp_ns("2026-12-07T10", now) == utc - 1200 * 10**9 - local
    assert timefmt.timestamp_ns("2026-12-07", now) == utc - 37200 * 10**9 - local
    assert timefmt.timestamp_ns("1700000000", now) == 1700000000 * 10**9
    assert timefmt.timestamp_ns("1700000000.25", now) == 1700000000_250_000_000
    with pytest.raises(ValueError, match='failed to parse value as time or duration: "soon"'):
        timefmt.timestamp_ns("soon", now)
    with pytest.raises(ValueError, match="2026-13-01"):
        timefmt.timestamp_ns("2026-13-01", now)
