"""Go's durations (``time.ParseDuration``), as docker's flags and a Dockerfile's HEALTHCHECK
options spell them: "1m30s", "0.5s", "200ms", "0"."""

from __future__ import annotations

from hutch.errors import InvalidArgument

SECOND = 1_000_000_000
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": SECOND, "m": 60 * SECOND,
          "h": 3600 * SECOND}


def parse_duration(text: str, flag: str) -> int:
    """Go's ``time.ParseDuration`` ("1m30s", "0.5s", "200ms", "0"): nanoseconds."""
    s = text.strip()
    sign = 1
    if s[:1] in "+-" and s:
        sign, s = (-1 if s[0] == "-" else 1), s[1:]
    if s == "0":
        return 0
    total = 0.0
    i = 0
    if not s:
        raise InvalidArgument(f'invalid argument "{text}" for "{flag}" flag: time: invalid duration "{text}"')
    while i < len(s):
        j = i
        while j < len(s) and (s[j].isdigit() or s[j] == "."):
            j += 1
        number = s[i:j]
        k = j
        while k < len(s) and not (s[k].isdigit() or s[k] == "."):
            k += 1
        unit = s[j:k]
        if not number or number == "." or number.count(".") > 1 or unit not in _UNITS:
            what = "missing unit in duration" if number and not unit else "invalid duration"
            raise InvalidArgument(f'invalid argument "{text}" for "{flag}" flag: time: {what} "{text}"')
        total += float(number) * _UNITS[unit]
        i = k
    return sign * round(total)
