"""Decode config.json (and exec's process.json) without msgspec: the runtime's hot path.

`create` runs once per container, and importing msgspec with its model costs ~30 ms
of it (msgspec pulls in ``typing``, ``inspect``, ``decimal``, ``uuid``...). This
module reads the same documents with the C JSON scanner and checks them against
tables generated from the msgspec model (:mod:`hutch.spec.schema` writes
``_tables.py``; a unit test keeps them in step). It gives the same answers as
:mod:`hutch.spec.codec`: the same accepted documents, the same errors with the same
JSON paths (``tests/unit/test_spec_lite.py`` compares the two on many mutations).

What comes out is a :class:`View` per struct: an object with the model's attribute
names (``spec.process.user.uid``, ``spec.linux.uid_mappings``), absent fields holding
their defaults, and ``UNSET`` fields holding None. Code that reads the spec
(``hutch.specconv``) works on either. Unknown properties are ignored; ``null`` counts
as absent, as in :mod:`hutch.spec.codec`.
"""

from __future__ import annotations

from hutch import fastjson
from hutch.errors import InvalidSpec
from hutch.spec._tables import STRUCTS
from hutch.spec.textchecks import first_failure
from hutch.spec.versions import check_version

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

UINT64_MAX = 2**64 - 1
_JSON_TYPES = {str: "str", int: "int", float: "float", bool: "bool", type(None): "null", list: "array",
               dict: "object"}
_EXPECTED = {"i": "int", "s": "str", "b": "bool", "l": "array", "d": "object", "S": "object", "L": "str"}
_PY_TYPE = {"i": int, "s": str, "b": bool, "l": list, "d": dict, "S": dict, "L": str}


class View:
    """One decoded struct; ``_kind`` is the model's class name."""

    _kind = ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, View) and self._kind == other._kind and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{self._kind}({fields})"


class _DefaultView(View):
    """A struct that was absent and holds its defaults (omitted again by :func:`to_builtins`)."""


def parse(data: bytes) -> object:
    """JSON text to builtins; InvalidSpec("malformed JSON: ...") otherwise."""
    try:
        return fastjson.loads(data)
    except UnicodeDecodeError as err:
        raise InvalidSpec(f"malformed JSON: invalid UTF-8 at byte {err.start}") from None
    except fastjson.JSONError as err:
        raise InvalidSpec(f"malformed JSON: {err}") from None


def _fail(expected: str, nullable: bool, value: object, path: str) -> InvalidSpec:
    shown = f"{expected} | null" if nullable else expected
    got = _JSON_TYPES.get(type(value), "value")
    if type(value) is int and not -(2**63) <= value <= UINT64_MAX:
        got = "float"  # msgspec reads integers beyond 64 bits as floats
    return InvalidSpec(f"Expected `{shown}`, got `{got}`", path)


def _value(t: tuple[Any, ...], value: object, path: str, nullable: bool = False) -> object:
    code = t[0]
    if code == "o":
        return None if value is None else _value(t[1], value, path, True)
    if type(value) is not _PY_TYPE[code]:
        raise _fail(_EXPECTED[code], nullable, value, path)
    if code == "i":
        assert isinstance(value, int)
        if t[1] is not None and value < t[1]:
            raise InvalidSpec(f"Expected `int` >= {t[1]}", path)
        if t[2] is not None and value > t[2]:
            raise InvalidSpec(f"Expected `int` <= {t[2]}", path)
        return value
    if code in "sb":
        return value
    if code == "L":
        if value not in t[1]:
            raise InvalidSpec(f"Invalid enum value {value!r}", path)
        return value
    if code == "l":
        assert isinstance(value, list)
        if len(value) < t[2]:
            raise InvalidSpec(f"Expected `array` of length >= {t[2]}", path)
        item = t[1]
        return [_value(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if code == "d":
        assert isinstance(value, dict)
        out = {}
        key_t, value_t = t[1], t[2]
        for k, v in value.items():
            if key_t[0] == "L" and k not in key_t[1]:
                raise InvalidSpec(f"Invalid enum value {k!r} (in an object key)", path)
            if v is not None:
                out[k] = _value(value_t, v, f"{path}[...]")
        return out
    assert isinstance(value, dict)
    return _struct(t[1], value, path)


def _default(default: object) -> object:
    if default == "list":
        return []
    if default == "dict":
        return {}
    if default == "unset":
        return None
    if isinstance(default, tuple):
        view = _struct(default[1], {}, "")
        view.__class__ = _DefaultView
        return view
    return default


def _struct(kind: str, obj: dict[str, object], path: str) -> View:
    fields, check = STRUCTS[kind]
    view = View()
    view._kind = kind
    attrs = vars(view)
    by_wire = _BY_WIRE[kind]
    for key, value in obj.items():
        field = by_wire.get(key)
        if field is None or value is None:
            continue
        attrs[field[1]] = _value(field[2], value, f"{path}.{key}")
    for wire, attr, _t, default in fields:
        if attr not in attrs:
            if default == "required":
                raise InvalidSpec(f"missing required field `{wire}`", f"{path}.{wire}")
            attrs[attr] = _default(default)
    if check:
        failed = first_failure(view, check)
        if failed:
            raise InvalidSpec(f"Expected `str` {failed[1]}", f"{path}.{failed[0]}")
    return view


_BY_WIRE = {kind: {f[0]: f for f in fields} for kind, (fields, _check) in STRUCTS.items()}


def _version_of(doc: dict[str, object]) -> None:
    version = doc.get("ociVersion")
    if isinstance(version, str):
        check_version(version)


def decode_config(data: bytes) -> Any:
    """config.json's bytes to a validated Spec view (see :mod:`hutch.spec.codec`)."""
    doc = parse(data)
    if type(doc) is not dict:
        raise _fail("object", False, doc, "$")
    try:
        spec = _struct("Spec", doc, "$")
    except InvalidSpec:
        _version_of(doc)  # a 2.x document may simply have another shape: say that first
        raise
    _version_of(doc)
    return spec


def read(path: str) -> bytes:
    """A document's bytes; an unreadable file (missing, a directory...) is InvalidSpec."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        raise InvalidSpec(f"cannot read {path}: {err.strerror}") from err


def load_config(path: str) -> Any:
    return decode_config(read(path))


def decode_process(data: bytes) -> Any:
    """A bare Process object, as `exec --process FILE` takes it."""
    doc = parse(data)
    if type(doc) is not dict:
        raise _fail("object", False, doc, "$")
    return _struct("Process", doc, "$")


def fold_keys(kind: str, doc: object) -> object:
    """``doc`` (JSON builtins of struct ``kind``) with each key that names a field only up to
    case renamed to the field's wire name, at every depth: Go's encoding/json matches names
    that way (an exact match first, else the first field equal under case folding), so runc
    takes ``{"CPU": {"Cpus": "1"}}`` for ``{"cpu": {"cpus": "1"}}``. Other keys, map keys
    (``unified``) and values are left as they are; ``doc`` is not changed."""
    return _fold(("S", kind), doc)


def _fold(t: tuple[Any, ...], value: object) -> object:
    code = t[0]
    if code == "o":
        return _fold(t[1], value)
    if code == "l" and type(value) is list:
        return [_fold(t[1], v) for v in value]
    if code == "d" and type(value) is dict:
        return {k: _fold(t[2], v) for k, v in value.items()}
    if code != "S" or type(value) is not dict:
        return value
    fields = STRUCTS[t[1]][0]
    by_wire = _BY_WIRE[t[1]]
    out: dict[str, object] = {}
    for key, v in value.items():
        field = by_wire.get(key)
        if field is None:
            folded = key.casefold()
            field = next((f for f in fields if f[0].casefold() == folded), None)
        if field is None:
            out[key] = v
        else:
            out[field[0]] = _fold(field[2], v)
    return out


def to_builtins(obj: object) -> object:
    """A view back to JSON-shaped builtins (wire names; absent and default fields omitted).

    A msgspec Struct of the model (from :mod:`hutch.spec.codec`) gives the same result.
    """
    if hasattr(obj, "__struct_fields__"):
        import msgspec

        return msgspec.to_builtins(obj)
    if isinstance(obj, View):
        fields, _check = STRUCTS[obj._kind]
        out: dict[str, object] = {}
        for wire, attr, _t, default in fields:
            value = getattr(obj, attr)
            if value is None or isinstance(value, _DefaultView):
                continue
            # like msgspec's omit_defaults; a struct given explicitly is written even if empty
            if default != "required" and not isinstance(default, tuple) and value == _default(default):
                continue
            out[wire] = to_builtins(value)
        return out
    if isinstance(obj, list):
        return [to_builtins(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_builtins(v) for k, v in obj.items()}
    return obj
