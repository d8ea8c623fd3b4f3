"""linux.resources.pids -> ``pids.max`` (the same file in v1 and v2)."""

from __future__ import annotations

from hutch.cgroups.translate.write import get_opt_int, section

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hutch.cgroups.translate.write import Out


def translate(out: Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    limit = get_opt_int(section(res, "pids"), "limit")
    if limit is None:
        return
    # -1: no limit; 0 is written as 1, as runc does (systemd cannot express 0 either).
    value = "max" if limit < 0 else str(max(limit, 1))
    out.add(out.version("pids", "pids.limit"), "pids", "pids.limit", "pids.max", value)
