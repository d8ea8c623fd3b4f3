"""`hutch diff`: a container's changes from its image, read from its overlayfs upper directory
(docker's archive.OverlayChanges, for overlay2):

- a 0:0 character device (a whiteout) → ``D PATH``;
- an entry that a lower layer (the image's, or the init layer below the container's) has
  → ``C PATH``; one that none has → ``A PATH``;
- an opaque directory (``trusted.overlay.opaque=y``) hides the lowers' entries in it: each
  one that the upper does not have again is ``D``.

Sorted by path, as docker prints them. Only files are read: no mount, the container may
run or not.
"""

from __future__ import annotations

import os
import stat

from hutch.image.commit import _is_opaque

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from hutch.engine.containers import Engine

ADDED, CHANGED, DELETED = "A", "C", "D"
#: docker's API numbers for them (docker-py's ``Container.diff``: {"Path", "Kind"})
KINDS = {CHANGED: 0, ADDED: 1, DELETED: 2}


def of_container(eng: Engine, record: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, path) of the container's changes: its upper directory over its init layer and its
    image's layers (the init layer, /etc/hosts' mount points and the like, counts as the image's)."""
    from hutch.engine.commit import lowers

    lay = eng.layout(record["id"])
    layers = list(record.get("lowers") or lowers(eng, record))  # bottom first
    return changes(lay.upper, [lay.init, *reversed(layers)])


def changes(upper: str, lowers: list[str]) -> list[tuple[str, str]]:
    """(kind, path) of every change in ``upper`` over ``lowers`` (top first)."""
    return sorted(_walk(upper, "", lowers), key=lambda c: c[1])


def _in_lower(lowers: list[str], rel: str) -> bool:
    """Whether the lowers (top first) show ``rel``: the first that has it, unless a whiteout."""
    for low in lowers:
        try:
            st = os.lstat(os.path.join(low, rel))
        except (FileNotFoundError, NotADirectoryError):
            continue
        return not (stat.S_ISCHR(st.st_mode) and st.st_rdev == 0)
    return False


def _walk(upper: str, rel: str, lowers: list[str]) -> Iterator[tuple[str, str]]:
    try:
        names = sorted(os.listdir(os.path.join(upper, rel) if rel else upper))
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in names:
        path_rel = os.path.join(rel, name) if rel else name
        path = os.path.join(upper, path_rel)
        st = os.lstat(path)
        if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
            if _in_lower(lowers, path_rel):
                yield DELETED, "/" + path_rel
            continue
        yield (CHANGED if _in_lower(lowers, path_rel) else ADDED), "/" + path_rel
        if stat.S_ISDIR(st.st_mode):
            if _is_opaque(path):
                kept = set(os.listdir(path))
                for hidden in _lower_names(lowers, path_rel) - kept:
                    yield DELETED, "/" + os.path.join(path_rel, hidden)
                yield from _walk(upper, path_rel, [])  # (nothing below shows through)
            else:
                yield from _walk(upper, path_rel, lowers)


def _lower_names(lowers: list[str], rel: str) -> set[str]:
    out: set[str] = set()
    for low in lowers:
        try:
            out.update(os.listdir(os.path.join(low, rel)))
        except (FileNotFoundError, NotADirectoryError):
            continue
    return out
