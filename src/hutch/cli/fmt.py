"""docker's ways of showing times, sizes and tables."""

from __future__ import annotations

import time

from hutch.util import timefmt


def ago(rfc3339: str) -> str:
    """docker's "5 seconds ago", "About a minute ago" ("" for an unreadable time)."""
    if len(rfc3339) < 19:
        return ""
    return duration(since(rfc3339)) + " ago"


def size(n: int) -> str:
    """docker's image and container sizes: units.HumanSizeWithPrecision(n, 3)."""
    from hutch.util.units import human_size

    return human_size(n, 3)


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ("   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
    return "".join(line + "\n" for line in lines)


def duration(seconds: float) -> str:
    """docker's units.HumanDuration: "Less than a second", "5 seconds", "About a minute"..."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    m = s // 60
    if m == 1:
        return "About a minute"
    if m < 60:
        return f"{m} minutes"
    h = m // 60
    if h == 1:
        return "About an hour"
    if h < 48:
        return f"{h} hours"
    if h < 24 * 7 * 2:
        return f"{h // 24} days"
    if h < 24 * 30 * 2:
        return f"{h // 24 // 7} weeks"
    if h < 24 * 365 * 2:
        return f"{h // 24 // 30} months"
    return f"{h // 24 // 365} years"


def since(rfc3339: str) -> float:
    """Seconds from an RFC 3339 UTC time to now (0 if it cannot be read)."""
    try:
        then = timefmt.parse_ns(rfc3339)
    except ValueError:
        return 0.0
    return max(0.0, (time.time_ns() - then) / 1e9)


def go_time(rfc3339: str, seconds: bool = False) -> str:
    """Go's time.Time.String() of an RFC 3339 time, as docker's CreatedAt columns show it:
    ``2026-12-07 21:24:10.494801642 +0000 UTC`` (``seconds``: without the fraction, as
    `ps`, which has the Unix seconds only). A text that is no such time is returned as it is."""
    date, sep, rest = rfc3339.partition("T")
    if not sep or len(date) != 10 or len(rest) < 9:
        return rfc3339
    clock, rest = rest[:8], rest[8:]
    frac = ""
    if rest.startswith("."):
        end = 1
        while end < len(rest) and rest[end].isdigit():
            end += 1
        frac, rest = rest[:end].rstrip("0").rstrip("."), rest[end:]
    if rest in ("Z", "+00:00", "-00:00"):
        zone = "+0000 UTC"
    elif len(rest) == 6 and rest[0] in "+-" and rest[3] == ":":
        zone = f"{rest[:3]}{rest[4:]} {rest[:3]}{rest[4:]}"
    else:
        return rfc3339
    return f"{date} {clock}{'' if seconds else frac} {zone}"
