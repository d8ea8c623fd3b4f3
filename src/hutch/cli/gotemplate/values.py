"""Values as Go's templates see and print them: the errors, `Struct` (docker's contexts),
`MISSING` (Go's invalid value), fmt's %v (`sprint_value`), strconv's quoting and float forms,
and docker's ``json`` (encoding/json without HTML escaping, map keys sorted)."""

from __future__ import annotations

import _json

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


class TemplateError(HutchError):
    """A template that does not parse, or fails while it executes (docker's one line)."""


class FuncError(Exception):
    """A function's error: becomes ``error calling NAME: ...``."""


class _Missing:
    """Go's invalid reflect.Value: a missing map key (prints ``<no value>``)."""

    def __repr__(self) -> str:
        return "<no value>"


MISSING: Any = _Missing()


def alnum(c: str) -> bool:
    """A character of a Go identifier (letter, digit, underscore)."""
    return c == "_" or c.isalpha() or c.isdigit()


class Struct(dict):  # type: ignore[type-arg]
    """A dict that stands for a Go struct (docker's ``*formatter.ContainerContext``): an unknown
    field is an error naming ``go_type``, as in docker, where a plain dict (a Go map) gives
    ``<no value>``. Callables in it are its methods (``{{.Label "k"}}``), left out of ``json``."""

    def __init__(self, go_type: str, fields: Mapping[str, object]) -> None:
        super().__init__(fields)
        self.go_type = go_type


class GoMap(dict):  # type: ignore[type-arg]
    """A dict that stands for a Go map field of a typed struct (docker's ``Config.Labels`` in an
    inspect document): a missing key is ``<no value>`` even where the data's other missing keys
    are errors (docker runs inspect templates on its typed structs, whose maps are maps)."""



def go_quote(s: str) -> str:
    """strconv.Quote."""
    out = ['"']
    for c in s:
        if c in "\"\\":
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        elif c in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                        "\v": "\\v"}[c])
        elif ord(c) < 0x80:
            out.append(f"\\x{ord(c):02x}")
        elif ord(c) < 0x10000:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    return "".join(out) + '"'


def _digits(f: float) -> tuple[str, int]:
    """The shortest decimal digits of abs(f) and the decimal point's place (0.015 -> "15", -1)."""
    r = repr(abs(f))
    mant, _, e = r.partition("e")
    whole, _, frac = mant.partition(".")
    digits = (whole + frac).lstrip("0")
    dp = len(whole) + int(e or 0) - (len(whole + frac) - len((whole + frac).lstrip("0")))
    digits = digits.rstrip("0")
    return (digits, dp) if digits else ("0", 1)


def go_float(f: float, fmt: str = "g") -> str:
    """strconv.FormatFloat(f, fmt, -1, 64): %v's ``1e+06``, ``0.1``; encoding/json's form (fmt "json")."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    sign = "-" if f < 0 or (f == 0 and repr(f)[0] == "-") else ""
    digits, dp = _digits(f)
    exp = dp - 1
    if fmt == "json":
        use_e = f != 0 and (abs(f) < 1e-6 or abs(f) >= 1e21)
    else:
        use_e = f != 0 and (exp < -4 or exp >= (21 if fmt == "G21" else 6))
    if use_e:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        es = f"{abs(exp):d}" if fmt == "json" else f"{abs(exp):02d}"
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{es}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def type_name(v: object) -> str:
    """Go's name for a value's type, as errors and %T show it."""
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, Struct):
        return v.go_type
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)):
        return "[]string" if v and all(isinstance(e, str) for e in v) else "[]interface {}"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if callable(v):
        return "func"
    return type(v).__name__


def sort_key(k: object) -> tuple[int, object]:
    if isinstance(k, (int, float)) and not isinstance(k, bool):
        return (0, k)
    return (1, str(k))


def _public(obj: object) -> dict[str, object]:
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def sprint_value(v: object) -> str:
    """fmt's %v."""
    if v is None:
        return "<nil>"
    if v is MISSING:
        return "<no value>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(sprint_value(e) for e in v) + "]"
    if isinstance(v, Struct):
        return ""  # (what docker prints for its formatter's contexts)
    if isinstance(v, dict):
        return "map[" + " ".join(f"{sprint_value(k)}:{sprint_value(v[k])}"
                                 for k in sorted(v, key=sort_key)) + "]"
    if hasattr(v, "__dict__") and not callable(v):
        return "{" + " ".join(sprint_value(e) for e in _public(v).values()) + "}"
    return str(v)


def _niladic(fn: object) -> bool:
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_argcount - (1 if hasattr(fn, "__self__") else 0) == 0


def _plain(v: object) -> object:
    """A value as encoding/json sees it: dicts sorted by key, objects as their fields, no methods
    (a `Struct`'s methods without arguments are its fields, as docker's MarshalJSON has them)."""
    if isinstance(v, Struct):
        return {str(k): _plain(v[k]() if callable(v[k]) else v[k]) for k in sorted(v)
                if not callable(v[k]) or _niladic(v[k])}
    if isinstance(v, dict):
        return {str(k): _plain(v[k]) for k in sorted(v, key=sort_key) if not callable(v[k])}
    if isinstance(v, (list, tuple)):
        return [_plain(e) for e in v]
    if v is None or v is MISSING or isinstance(v, (str, int, float)):
        return None if v is MISSING else v
    if hasattr(v, "__dict__"):
        return {k: _plain(e) for k, e in _public(v).items() if not callable(e)}
    return str(v)


def _json_text(v: object, out: list[str]) -> None:
    if isinstance(v, str):
        out.append(_json.encode_basestring(v).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    elif v is None:
        out.append("null")
    elif isinstance(v, bool):
        out.append("true" if v else "false")
    elif isinstance(v, int):
        out.append(str(v))
    elif isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise FuncError(f"json: unsupported value: {go_float(v)}")
        out.append(go_float(v, "json"))
    elif isinstance(v, dict):
        out.append("{")
        for k, (key, e) in enumerate(v.items()):
            out.append(("," if k else "") + _json.encode_basestring(key) + ":")
            _json_text(e, out)
        out.append("}")
    else:
        assert isinstance(v, list)
        out.append("[")
        for k, e in enumerate(v):
            if k:
                out.append(",")
            _json_text(e, out)
        out.append("]")


def go_json(v: object) -> str:
    """docker's ``json``: encoding/json with SetEscapeHTML(false) (keys sorted, as Go's maps)."""
    out: list[str] = []
    _json_text(_plain(v), out)
    return "".join(out)
