"""A container's changes to its image's filesystem (docker diff's, docker-py's ``Container.diff``):
its overlay's upper directory, read against the layers below it.

Kind, as docker's API numbers it: 0 changed (a file or directory that was in the image: a
directory is "changed" when something under it is), 1 added, 2 deleted (an overlayfs whiteout:
a character device 0:0). The init layer (the mount points of /etc/hosts and the like) counts
as the image's, as docker's does.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.containers import Engine

CHANGED, ADDED, DELETED = 0, 1, 2


def changes(eng: Engine, ref: str) -> list[dict[str, Any]]:
    """[{"Path": "/etc/x", "Kind": 0|1|2}], sorted by path."""
    from hutch.engine.commit import lowers

    record = eng.find(ref)
    lay = eng.layout(record["id"])
    below = [*lowers(eng, record), lay.init]
    out: list[dict[str, Any]] = []
    _walk(lay.upper, "", below, out, under_added=False)
    return sorted(out, key=lambda c: str(c["Path"]))


def _walk(upper: str, rel: str, below: list[str], out: list[dict[str, Any]], under_added: bool) -> None:
    try:
        names = os.listdir(os.path.join(upper, rel) if rel else upper)
    except OSError:
        return
    for name in names:
        path = f"{rel}/{name}" if rel else name
        st = os.lstat(os.path.join(upper, path))
        if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
            out.append({"Path": "/" + path, "Kind": DELETED})
            continue
        added = under_added or not any(os.path.lexists(os.path.join(d, path)) for d in below)
        out.append({"Path": "/" + path, "Kind": ADDED if added else CHANGED})
        if stat.S_ISDIR(st.st_mode):
            _walk(upper, path, below, out, added)
