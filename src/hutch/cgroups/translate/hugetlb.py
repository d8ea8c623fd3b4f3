"""linux.resources.hugepageLimits -> ``hugetlb.<size>.limit_in_bytes`` (v1) or
``hugetlb.<size>.max`` (v2), and the ``.rsvd`` reservation files where the kernel has them."""

from __future__ import annotations

from hutch.cgroups.translate.write import entries, get_int

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hutch.cgroups.translate.write import Out


def translate(out: Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    items = entries(res.get("hugepageLimits"))
    if not items:
        return
    v = out.version("hugetlb", "hugepageLimits")
    suffix = ".limit_in_bytes" if v == 1 else ".max"
    for i, h in enumerate(items):
        size, limit = str(h.get("pageSize")), str(get_int(h, "limit"))
        path = f"hugepageLimits[{i}]"
        out.add(v, "hugetlb", path, f"hugetlb.{size}{suffix}", limit, hint=f"no {size} huge pages here")
        # the reservation limit, where the kernel has it (5.7+), as runc writes it
        out.add(v, "hugetlb", path, f"hugetlb.{size}.rsvd{suffix}", limit, optional=True)
