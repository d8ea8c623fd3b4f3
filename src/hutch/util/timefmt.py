"""Times as RFC 3339 strings with nanoseconds, in UTC, as docker, runc and the OCI specs write
them (Go's ``time.RFC3339Nano`` with all nine digits): ``2026-12-07T06:58:08.123456789Z``.

No datetime or calendar (the runtime's ``create`` and every monitor import this): the
calendar arithmetic is Howard Hinnant's days-from-civil.
"""

from __future__ import annotations

import time

_NS = 1_000_000_000


def format_ns(ns: int) -> str:
    """``ns`` (nanoseconds since the epoch) as RFC 3339 in UTC, nine fraction digits."""
    secs, frac = divmod(ns, _NS)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


def now() -> str:
    return format_ns(time.time_ns())


def now_seconds() -> str:
    """Now as RFC 3339 in UTC, whole seconds (docker's volumes' CreatedAt)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def parse_ns(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 time (``Z``, ``+HH:MM`` or ``-HH:MM``; a
    time without a zone is taken as UTC; any number of fraction digits). ValueError if it
    is not one."""
    if len(text) < 19 or text[4] != "-" or text[7] != "-" or text[10] not in "Tt " or text[13] != ":" \
            or text[16] != ":":
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    fields = (text[0:4], text[5:7], text[8:10], text[11:13], text[14:16], text[17:19])
    if not all(f.isascii() and f.isdigit() for f in fields):
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    year, month, day, hour, minute, second = map(int, fields)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    rest = text[19:]
    frac = 0
    if rest[:1] in (".", ","):
        digits = rest[1:]
        i = 0
        while i < len(digits) and digits[i].isascii() and digits[i].isdigit():
            i += 1
        if not i:
            raise ValueError(f"not an RFC 3339 time: {text!r}")
        frac = int(digits[:min(i, 9)].ljust(9, "0"))  # digits past the ninth are dropped, as Go does
        rest = digits[i:]
    offset = 0
    if rest in ("Z", "z", ""):
        pass
    elif len(rest) == 6 and rest[0] in "+-" and rest[3] == ":" and rest[1:3].isdigit() and rest[4:].isdigit():
        offset = (int(rest[1:3]) * 60 + int(rest[4:])) * 60 * (1 if rest[0] == "+" else -1)
    else:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    secs = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
    return secs * _NS + frac


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of the proleptic Gregorian date y-m-d."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _local_offset() -> int:
    return time.localtime().tm_gmtoff


def timestamp_ns(value: str, now_ns: int) -> int:
    """docker's GetTimestamp (api/types/time), the times its ``--since``/``--until`` and
    ``--filter until=`` take, as nanoseconds since the epoch: a Go duration before ``now_ns``
    (``10m``, ``1h30m``), an RFC 3339 time or a part of one (``2026-12-07``,
    ``2026-12-07T10``, ``2026-12-07T10:20``, with or without a zone; without one it is local
    time), or Unix seconds (``1700000000``, ``1700000000.5``). ValueError in docker's words."""
    if value != "0":
        from hutch.util.duration import go_duration_ns

        try:
            return now_ns - go_duration_ns(value)
        except ValueError:
            pass
    in_location = not any(c in value for c in "zZ+") and value.count("-") != 3
    text = value
    if "T" in value and "." not in value:
        date, _, clock = value.partition("T")
        zone = ""
        for k in range(len(clock)):
            if clock[k] in "zZ+-":
                clock, zone = clock[:k], clock[k:]
                break
        parts = clock.split(":")
        if 1 <= len(parts) <= 2:
            clock = ":".join(parts + ["00"] * (3 - len(parts)))
        text = f"{date}T{clock}{zone}"
    elif "T" not in value and len(value) >= 10 and value[4:5] == "-":
        text = f"{value[:10]}T00:00:00{value[10:]}"
    try:
        ns = parse_ns(text)
    except ValueError:
        if "-" in value:
            raise ValueError(f'parsing time "{value}": not a time docker reads') from None
        secs, dot, frac = value.partition(".")
        if not secs.isdigit() or (dot and not frac.isdigit()):
            raise ValueError(f'failed to parse value as time or duration: "{value}"') from None
        return int(secs) * _NS + int(frac[:9].ljust(9, "0") if frac else 0)
    return ns - _local_offset() * _NS if in_location else ns
