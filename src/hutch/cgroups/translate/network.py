"""linux.resources.network -> the v1 ``net_cls`` and ``net_prio`` controllers (v1 only)."""

from __future__ import annotations

from hutch.cgroups.translate.write import entries, get_int, get_opt_int, section

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hutch.cgroups.translate.write import Out


def translate(out: Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    n = section(res, "network")
    class_id = get_opt_int(n, "classID")
    if class_id is not None:
        v = out.version("net_cls", "network.classID")
        if v == 2:
            raise out.refuse("network.classID", "cgroup v2 has no net_cls controller")
        out.add(1, "net_cls", "network.classID", "net_cls.classid", str(class_id))
    for i, p in enumerate(entries(n.get("priorities"))):
        path = f"network.priorities[{i}]"
        if out.version("net_prio", path) == 2:
            raise out.refuse(path, "cgroup v2 has no net_prio controller")
        out.add(1, "net_prio", path, "net_prio.ifpriomap", f"{p.get('name')} {get_int(p, 'priority')}")
