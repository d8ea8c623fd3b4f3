"""The only place that calls msgspec.json: config.json (and exec's process.json) in, errors out.

Errors become ``InvalidSpec`` with the JSON path msgspec reports, e.g.
``invalid config.json: Expected `int`, got `str` at $.process.user.uid``.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec

from hutch.errors import InvalidSpec
from hutch.spec.runtime.config import Process, Spec

T = TypeVar("T")

_decoders: dict[type, msgspec.json.Decoder[object]] = {}


def _decode(data: bytes, kind: type[T]) -> T:
    dec = _decoders.get(kind)
    if dec is None:
        dec = _decoders[kind] = msgspec.json.Decoder(kind)
    try:
        return dec.decode(data)  # type: ignore[return-value]
    except msgspec.ValidationError as err:
        msg, _, path = str(err).rpartition(" - at `")
        if not msg:
            msg, path = str(err), ""
        raise InvalidSpec(msg.replace("Object missing required field", "missing required field"),
                          path.rstrip("`")) from None
    except msgspec.DecodeError as err:
        raise InvalidSpec(f"malformed JSON: {err}") from None


def check_version(version: str) -> None:
    """Accept runtime-spec 1.x (1.0.0 to 1.3.x, with pre-release suffixes like 1.0.2-dev)."""
    major, _, rest = version.partition(".")
    minor = rest.split(".")[0].split("-")[0]
    if major != "1" or not minor.isdigit():
        raise InvalidSpec(f"unsupported ociVersion {version!r}: hutch-runtime supports 1.x",
                          "$.ociVersion")


def decode_config(data: bytes) -> Spec:
    spec = _decode(data, Spec)
    check_version(spec.oci_version)
    return spec


def load_config(path: str) -> Spec:
    with open(path, "rb") as f:
        return decode_config(f.read())


def decode_process(data: bytes) -> Process:
    return _decode(data, Process)


def encode(obj: object) -> bytes:
    return msgspec.json.encode(obj)
