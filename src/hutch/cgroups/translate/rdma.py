"""linux.resources.rdma -> one ``rdma.max`` line per device (the same in v1 and v2)."""

from __future__ import annotations

from hutch.cgroups.translate.write import get_opt_int, section

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hutch.cgroups.translate.write import Out


def translate(out: Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    for dev, limits in section(res, "rdma").items():
        if not isinstance(limits, dict):
            continue
        path = f"rdma.{dev}"
        value = dev
        for key, name in (("hcaHandles", "hca_handle"), ("hcaObjects", "hca_object")):
            n = get_opt_int(limits, key)
            if n is not None:
                value += f" {name}={n}"
        out.add(out.version("rdma", path), "rdma", path, "rdma.max", value)
