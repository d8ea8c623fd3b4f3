"""The base of every OCI model: camelCase on the wire, absent fields omitted, frozen.

Unknown properties are ignored, as runtime-spec config.md "Extensibility" requires
(so no ``forbid_unknown_fields`` here). ``kw_only`` must be repeated on each class.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Uint16 = Annotated[int, msgspec.Meta(ge=0, le=2**16 - 1)]
Uint32 = Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)]
Uint64 = Annotated[int, msgspec.Meta(ge=0)]  # msgspec bounds stop at int64; the kernel checks the rest
FileMode = Annotated[int, msgspec.Meta(ge=0, le=0o7777)]
AbsPath = Annotated[str, msgspec.Meta(min_length=1)]


class Base(msgspec.Struct, rename="camel", omit_defaults=True, frozen=True, kw_only=True):
    pass
