"""Go's durations (``time.ParseDuration``), as docker's flags, a Dockerfile's HEALTHCHECK
options and docker's time filters spell them: "1m30s", "0.5s", "200ms", "-2s", "0".

`go_duration_ns` is the one parser (Go's words in its ValueError); `parse_duration` is it for a
flag, in docker's words for a bad value (hutch.util.units.parse_duration: in seconds).
"""

from __future__ import annotations

from hutch.errors import InvalidArgument

SECOND = 1_000_000_000
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": SECOND, "m": 60 * SECOND,
          "h": 3600 * SECOND}


def go_duration_ns(text: str) -> int:
    """Go's time.ParseDuration: ``10m``, ``1h30m``, ``1.5h``, ``-2s``, ``300ms`` (``0`` alone);
    nanoseconds. ValueError, in Go's words, if it is not one."""
    s = text
    sign = -1 if s[:1] == "-" else 1
    s = s[1:] if s[:1] in "+-" else s
    if s == "0":
        return 0
    if not s:
        raise ValueError(f'time: invalid duration "{text}"')
    total = 0.0
    while s:
        i = 0
        while i < len(s) and (s[i].isdigit() or s[i] == "."):
            i += 1
        number, s = s[:i], s[i:]
        if not number or number == "." or number.count(".") > 1 or not number.isascii():
            raise ValueError(f'time: invalid duration "{text}"')
        j = 0
        while j < len(s) and not (s[j].isdigit() or s[j] == "."):
            j += 1
        unit, s = s[:j], s[j:]
        if not unit:
            raise ValueError(f'time: missing unit in duration "{text}"')
        if unit not in _UNITS:
            raise ValueError(f'time: unknown unit "{unit}" in duration "{text}"')
        total += float(number) * _UNITS[unit]
    return sign * round(total)


def parse_duration(text: str, flag: str) -> int:
    """``--flag``'s Go duration in nanoseconds; docker's words for a bad one."""
    try:
        return go_duration_ns(text.strip())
    except ValueError as err:
        raise InvalidArgument(f'invalid argument "{text}" for "{flag}" flag: {err}') from None
