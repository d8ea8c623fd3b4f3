"""The only place that calls msgspec.json: config.json (and exec's process.json) in, JSON out.

Decoding validates types, ranges and enumerations in one pass. Every failure is an
``InvalidSpec`` carrying the JSON path msgspec reports, e.g.
``invalid config.json: Expected `int`, got `str` at $.process.user.uid``.

Choices worth knowing:

- Unknown properties are ignored (config.md "Extensibility").
- ``null`` counts as absent, as it does for Go's encoding/json (runc, containerd):
  a document with nulls is decoded a second time with the nulls dropped.
- ``ociVersion`` must be 1.x (``check_version``); when a document fails to decode, a bad
  version is reported in preference to the field error, since a 2.x config may simply
  have a different shape.
- ``load_config`` turns an unreadable file (missing, a directory, no permission) into
  ``InvalidSpec`` naming the path, so callers handle one error type.
"""

from __future__ import annotations

from typing import TypeVar, cast

import msgspec

from hutch.errors import InvalidSpec
from hutch.spec._base import Base
from hutch.spec.runtime.config import Process, Spec
from hutch.spec.versions import check_version

T = TypeVar("T")

# `re` is imported only on the error paths: compiling these costs ~5 ms on every create.
# "<message> - at `$.a[0].b`", or "- at `key` in `$.a`" when an object key is invalid.
_AT = r" - at `(key` in `)?(\$[^`]*)`$"
_MISSING = r"^Object missing required field `([^`]+)`$"
_FIELD = r"^field `([^`]+)`: "  # raised by _base.check_u64
_decoders: dict[type, object] = {}
_encoder = msgspec.json.Encoder()


class _Version(Base, frozen=True, kw_only=True):
    oci_version: str


def _decoder(kind: type[T]) -> msgspec.json.Decoder[T]:
    dec = _decoders.get(kind)
    if dec is None:
        dec = _decoders[kind] = msgspec.json.Decoder(kind)
    return cast("msgspec.json.Decoder[T]", dec)


def _invalid(err: msgspec.ValidationError) -> InvalidSpec:
    """Split msgspec's message into a readable sentence and the JSON path of the field."""
    text = str(err)
    import re

    at = re.search(_AT, text)
    msg, path = (text[: at.start()], at.group(2)) if at else (text, "$")
    if at and at.group(1):
        msg += " (in an object key)"
    missing = re.match(_MISSING, msg)
    if missing:
        msg, path = f"missing required field `{missing.group(1)}`", f"{path}.{missing.group(1)}"
    field = re.match(_FIELD, msg)
    if field:
        msg, path = msg[field.end() :], f"{path}.{field.group(1)}"
    return InvalidSpec(msg, path)


def _drop_nulls(obj: object) -> object:
    if isinstance(obj, dict):
        return {k: _drop_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_nulls(v) for v in obj]
    return obj


def decode(data: bytes, kind: type[T]) -> T:
    """Decode and validate ``data`` as ``kind`` (Spec, Process, State, Features, ...)."""
    try:
        return _decoder(kind).decode(data)
    except msgspec.ValidationError as err:
        if "got `null`" not in str(err):
            raise _invalid(err) from err
    except msgspec.DecodeError as err:
        raise InvalidSpec(f"malformed JSON: {err}") from err
    try:
        return msgspec.convert(_drop_nulls(msgspec.json.decode(data)), kind)
    except msgspec.ValidationError as err:
        raise _invalid(err) from err


def decode_config(data: bytes) -> Spec:
    try:
        spec = decode(data, Spec)
    except InvalidSpec:
        _check_version_of(data)
        raise
    check_version(spec.oci_version)
    return spec


def _check_version_of(data: bytes) -> None:
    """Raise the version error if the version is what is wrong with a document that failed."""
    try:
        version = _decoder(_Version).decode(data).oci_version
    except msgspec.DecodeError:
        return  # no readable version: the original error says more
    check_version(version)


def load_config(path: str) -> Spec:
    from hutch.spec.lite import read

    return decode_config(read(path))


def decode_process(data: bytes) -> Process:
    """A bare Process object, as `exec --process FILE` takes it."""
    return decode(data, Process)


def encode(obj: object) -> bytes:
    """Compact JSON; Structs drop absent and default fields (``omit_defaults``)."""
    return _encoder.encode(obj)


def encode_pretty(obj: object, indent: str = "    ") -> bytes:
    """Indented JSON with a final newline; ``indent="\\t"`` matches `runc spec`."""
    out = msgspec.json.format(_encoder.encode(obj), indent=1)
    if indent != " ":
        unit = indent.encode()
        import re

        out = re.sub(rb"(?m)^ +", lambda m: unit * len(m.group()), out)
    return out + b"\n"
