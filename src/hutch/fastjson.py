"""JSON without ``re``: the C scanner and encoder of ``_json``, for the hot paths.

``import json`` costs ~10 ms because ``json.decoder`` imports and compiles ``re``;
the runtime's state files and the init's plan only need what the C accelerator
already does. Output is compact, keys in insertion order, like ``json.dumps``
with ``separators=(",", ":")``.
"""

from __future__ import annotations

import _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def _constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


class _Ctx:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_constant)  # NaN and Infinity are not JSON
    memo: dict[str, str] = {}


_scan: Any = _json.make_scanner(_Ctx())  # type: ignore[arg-type]


class JSONError(ValueError):
    pass


def loads(s: str | bytes) -> object:
    if isinstance(s, bytes):
        s = s.decode()
    s = s.strip(" \t\n\r")
    try:
        obj, end = _scan(s, 0)
        if end == len(s):
            return obj
    except (StopIteration, ValueError, SystemError):
        pass
    finally:
        _Ctx.memo.clear()
    # The error path may be slow: let the full decoder find and word the problem.
    import json

    try:
        return json.loads(s, parse_constant=_constant)
    except ValueError as err:
        raise JSONError(str(err)) from None


def _float(o: float) -> str:
    if o != o or o in (float("inf"), float("-inf")):
        raise ValueError("out of range float values are not JSON compliant")
    return float.__repr__(o)


def _default(o: object) -> object:
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


_encoder: Callable[[object, int], tuple[str, ...]] = _json.make_encoder(
    {}, _default, _json.encode_basestring_ascii, None, ":", ",", False, False, True
)


_sorted_encoder: Callable[[object, int], tuple[str, ...]] = _json.make_encoder(
    {}, _default, _json.encode_basestring_ascii, None, ":", ",", True, False, True
)


def dumps(obj: object) -> str:
    return "".join(_encoder(obj, 0))


def dumps_sorted(obj: object) -> str:
    """:func:`dumps` with every object's keys sorted: one text for equal documents (a key)."""
    return "".join(_sorted_encoder(obj, 0))


def dumps_pretty(obj: object, indent: str = "  ", _level: int = 0) -> str:
    """Indented JSON (like ``json.dumps(obj, indent=2)``) without importing ``json``."""
    pad = indent * (_level + 1)
    end = indent * _level
    if isinstance(obj, dict) and obj:
        items = (f"{pad}{dumps(str(k))}: {dumps_pretty(v, indent, _level + 1)}" for k, v in obj.items())
        return "{\n" + ",\n".join(items) + f"\n{end}}}"
    if isinstance(obj, list) and obj:
        items = (f"{pad}{dumps_pretty(v, indent, _level + 1)}" for v in obj)
        return "[\n" + ",\n".join(items) + f"\n{end}]"
    return dumps(obj)
