"""linux.resources.unified -> cgroup v2 files written as given, one write per line.

They come last and override what the typed fields wrote (crun, runc). A key whose
controller is on cgroup v1 here is refused in runc's words.
"""

from __future__ import annotations

from hutch.cgroups.translate.write import CORE, section

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from hutch.cgroups.translate.write import Out


def translate(out: Out, res: Mapping[str, object], cur: Mapping[str, str]) -> None:
    for key, value in section(res, "unified").items():
        path = f"unified[{key!r}]"
        controller = key.partition(".")[0]
        v = out.versions.get(controller)
        if v is None:
            what = "cgroup v2 hierarchy" if controller == CORE else f"{controller} cgroup controller"
            raise out.refuse(path, f"this host has no {what}")
        if v != 2:
            # runc's words (its tests look for them); runc refuses unified on any host not v2-only
            raise out.refuse(path, f"invalid configuration: cannot use unified on cgroup v1 "
                                   f"(the {controller} controller is on cgroup v1 here)")
        # one write per line, as runc (WriteFileByLine) and crun do
        for line in str(value).split("\n"):
            if line.strip():
                out.add(2, controller, path, key, line)
