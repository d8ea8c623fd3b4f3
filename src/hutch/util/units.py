"""Command-line values as runc parses them: Go durations and docker's RAM sizes."""

from __future__ import annotations

from hutch.errors import InvalidArgument

# Go's time.ParseDuration units, in seconds.
# docker/go-units RAMInBytes: binary multiples, by the lower-cased unit letter.
_RAM_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_INT64_MAX = (1 << 63) - 1


def parse_duration(text: str, flag: str = "interval") -> float:
    """Go's duration syntax (``5s``, ``1m30s``, ``500ms``, ``1.5h``, ``0``) in seconds
    (hutch.util.duration.go_duration_ns)."""
    from hutch.util.duration import go_duration_ns

    try:
        return go_duration_ns(text) / 1e9
    except ValueError:
        bad = f"invalid value {text!r} for --{flag}: not a duration (e.g. 5s, 500ms, 1m30s)"
        raise InvalidArgument(bad) from None


def parse_ram(text: str, flag: str) -> int:
    """docker's RAM size (``512m``, ``1.5g``, ``1024``, ``2GiB``, ``100 kb``) in bytes.

    As go-units' ``RAMInBytes``: a decimal number, an optional space, an optional unit
    letter (k, m, g, t, p; any case, powers of 1024), an optional ``i`` and ``b``.
    """
    bad = InvalidArgument(f"invalid value {text!r} for --{flag}: not a size (e.g. 512m, 1g, 1048576)")
    s = text
    i = 0
    while i < len(s) and (s[i].isdigit() or s[i] == "."):
        i += 1
    number, rest = s[:i], s[i:]
    if not number or not number[0].isdigit() or number.endswith(".") or number.count(".") > 1:
        raise bad
    if not number.isascii():
        raise bad
    rest = rest.removeprefix(" ")
    unit = ""
    if rest[:1].lower() in ("k", "m", "g", "t", "p"):
        unit, rest = rest[0].lower(), rest[1:]
    if rest[:1] in ("i", "I"):
        rest = rest[1:]
    if rest[:1] in ("b", "B"):
        rest = rest[1:]
    if rest:
        raise bad
    # go-units multiplies a float64; whole numbers stay exact here
    value = int(float(number) * _RAM_UNITS[unit]) if "." in number else int(number) * _RAM_UNITS[unit]
    if value > _INT64_MAX:
        raise InvalidArgument(f"invalid value {text!r} for --{flag}: too large")
    return value


def human_size(n: float, precision: int = 3) -> str:
    """docker's go-units HumanSizeWithPrecision: decimal units (``2.22MB``); `docker images` and
    progress bars take 3 significant digits, `system df` 4 (units.HumanSize)."""
    return _scaled(n, 1000.0, ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"), precision)


def bytes_size(n: float, precision: int = 4) -> str:
    """docker's go-units BytesSize: binary units (``7.755GiB``)."""
    return _scaled(n, 1024.0, ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"), precision)


def _scaled(n: float, base: float, names: tuple[str, ...], precision: int) -> str:
    i = 0
    while n >= base and i < len(names) - 1:
        n /= base
        i += 1
    return f"{n:.{precision}g}{names[i]}"
