"""The base of every OCI model: camelCase on the wire, absent fields omitted, frozen.

Unknown properties are ignored, as runtime-spec config.md "Extensibility" requires
(so no ``forbid_unknown_fields`` here). Repeat ``frozen=True, kw_only=True`` on each
subclass: msgspec does not inherit ``kw_only``, and mypy's dataclass_transform does
not see an inherited ``frozen``.

Integer types follow ``schema/defs.json``. msgspec cannot express bounds beyond
int64, so ``Uint64`` only says ``ge=0`` and the structs holding one call
``check_u64`` from ``__post_init__`` for the upper bound.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from hutch.spec.textchecks import first_failure

Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Uint16 = Annotated[int, msgspec.Meta(ge=0, le=2**16 - 1)]
Uint32 = Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)]
Uint64 = Annotated[int, msgspec.Meta(ge=0)]  # upper bound: check_u64()
# defs.json says 0..0o777; runc masks with 0o7777 and setuid/sticky bits are meaningful, so allow them.
FileMode = Annotated[int, msgspec.Meta(ge=0, le=0o7777)]

UINT64_MAX = 2**64 - 1


class Base(msgspec.Struct, rename="camel", omit_defaults=True, frozen=True, kw_only=True):
    pass


def check_u64(obj: Base, *names: str) -> None:
    """Raise if a uint64 field is above 2**64-1; msgspec reports it at the struct's JSON path.

    The message starts with ``field `<wireName>`: `` so the codec can append the
    field to the path (``$.process.rlimits[0]`` → ``$.process.rlimits[0].hard``).
    """
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, int) and value > UINT64_MAX:
            wire = obj.__struct_encode_fields__[obj.__struct_fields__.index(name)]
            raise ValueError(f"field `{wire}`: Expected `int` <= {UINT64_MAX}")


def check_text(obj: Base, check: str) -> None:
    """Raise like msgspec's pattern check would, without compiling a regex at import
    (``Meta(pattern=...)`` pulls ``re`` into every create: ~10 ms). ``check`` names an
    entry of :data:`hutch.spec.textchecks.CHECKS`, shared with the lite decoder."""
    failed = first_failure(obj, check)
    if failed:
        raise ValueError(f"field `{failed[0]}`: Expected `str` {failed[1]}")
