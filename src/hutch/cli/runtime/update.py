"""update [--resources FILE|-] [--memory ... --cpu-quota ... --pids-limit ...] ID (runc's flags).

With ``--resources`` (a file, or ``-`` for stdin) the LinuxResources JSON is the whole
request and the other flags are ignored, as in runc; its field names match in any case
(``CPU``, ``Cpus``), as Go's encoding/json matches them for runc. Otherwise each flag given sets one
value: sizes as docker writes them (``512m``, ``1g``; ``-1`` for unlimited), the cpu
values as integers.
"""

from __future__ import annotations

import sys

from hutch.cli.args import Args, Flag, need_id
from hutch.cli.log import Log
from hutch.container.store import Store
from hutch.errors import InvalidArgument, Unsupported
from hutch.util.units import parse_ram

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_UINT64_MAX = (1 << 64) - 1
_INT64 = (-(1 << 63), (1 << 63) - 1)

# The value flags of flags() below: (flag, section, key, kind), kind being
# "u64", "i64", "int" (runc's IntFlag), "ram" (a size or -1) or "str".
VALUE_FLAGS: list[tuple[str, str, str, str]] = [
    ("blkio-weight", "blockIO", "weight", "int"),
    ("cpu-period", "cpu", "period", "u64"),
    ("cpu-quota", "cpu", "quota", "i64"),
    ("cpu-share", "cpu", "shares", "u64"),
    ("cpu-rt-period", "cpu", "realtimePeriod", "u64"),
    ("cpu-rt-runtime", "cpu", "realtimeRuntime", "i64"),
    ("cpuset-cpus", "cpu", "cpus", "str"),
    ("cpuset-mems", "cpu", "mems", "str"),
    ("kernel-memory", "memory", "kernel", "ram"),
    ("kernel-memory-tcp", "memory", "kernelTCP", "ram"),
    ("memory", "memory", "limit", "ram"),
    ("memory-reservation", "memory", "reservation", "ram"),
    ("memory-swap", "memory", "swap", "ram"),
    ("pids-limit", "pids", "limit", "int"),
]

def parse_value(flag: str, kind: str, text: str) -> int | str:
    if kind == "str":
        return text
    if kind == "ram":
        return -1 if text == "-1" else parse_ram(text, flag)
    lo, hi = (0, _UINT64_MAX) if kind == "u64" else _INT64
    what = "a non-negative integer" if kind == "u64" else "an integer"
    try:
        value = int(text, 10)
    except ValueError:
        raise InvalidArgument(f"invalid value {text!r} for --{flag}: not {what}") from None
    if not lo <= value <= hi:
        raise InvalidArgument(f"invalid value {text!r} for --{flag}: out of range")
    return value


def request_from_flags(a: Args) -> dict[str, Any]:
    """The resources the flags ask for (zero values included: update drops them)."""
    request: dict[str, dict[str, Any]] = {}
    for flag, section, key, kind in VALUE_FLAGS:
        text = a.text(flag)
        if text != "":
            request.setdefault(section, {})[key] = parse_value(flag, kind, text)
    return request


def read_request(source: str) -> object:
    import json

    where = "standard input" if source == "-" else source
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as f:
                text = f.read()
    except OSError as err:
        raise InvalidArgument(f"--resources: cannot read {where}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidArgument(f"--resources: {where} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidArgument(
            f"--resources: {where} is not valid JSON: {err.msg} (line {err.lineno} column {err.colno})"
        ) from None


def flags() -> list[Flag]:
    return [
        Flag("resources", "r", value=True, default=""),
        *(Flag(*names, value=True, default="") for names in (
            ("blkio-weight",), ("cpu-period",), ("cpu-quota",), ("cpu-share", "cpu-shares"),
            ("cpu-rt-period",), ("cpu-rt-runtime",), ("cpuset-cpus",), ("cpuset-mems",),
            ("kernel-memory",), ("kernel-memory-tcp",), ("memory",), ("memory-reservation",),
            ("memory-swap",), ("pids-limit",), ("l3-cache-schema",), ("mem-bw-schema",),
        )),
    ]



def handle(name: str, g: Args, a: Args, log: Log) -> int:
    from hutch.container.update import normalize_request, update

    cid = need_id(a, name)
    source = a.text("resources")
    if source:
        from hutch.spec.lite import fold_keys

        request = fold_keys("Resources", read_request(source))  # keys in any case, as runc (Go)
        where = "--resources"
    else:
        for flag in ("l3-cache-schema", "mem-bw-schema"):
            if a.text(flag):
                raise Unsupported(f"--{flag}: Intel RDT is not supported by hutch")
        request = request_from_flags(a)
        where = "flags"
    changes = normalize_request(request, where, log.warn)
    # errors about a value the user typed name its flag; others the field (resources.memory.swap)
    names = {f"resources.{section}.{key}": f"--{flag}" for flag, section, key, _kind in VALUE_FLAGS
             if a.text(flag)}
    update(Store(g.text("root")), cid, changes, None if source else names)
    return 0
