"""A read-only view of an image's root filesystem, for COPY --from.

An image's root is its layers' snapshots (hutch.image.store), one directory each: only an
overlay of them shows the files as the image has them (a later layer's file over an earlier
one's, whiteouts hiding, opaque directories). `in_view` mounts that overlay read-only in a
mount namespace of a forked child's own, runs the given work there and brings its result back
(hutch.util.forked): no mount is ever made where anything else could see it, and none is left
behind, whatever happens to the child.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")


def in_view(layers: list[str], where: str, fn: Callable[..., T], *args: Any) -> T:
    """``fn(root, *args)`` with ``root`` the overlay of ``layers`` (bottom first), read-only,
    mounted on the empty directory ``where`` (made if need be) in the child's namespace only."""
    from hutch.util import forked

    os.makedirs(where, exist_ok=True)

    def enter() -> None:
        from hutch._sys import consts as C
        from hutch._sys import mount as _mount
        from hutch._sys.ns import unshare

        unshare(C.CLONE_NEWNS)
        _mount.mount(None, "/", None, C.MS_REC | C.MS_SLAVE)
        if not layers:  # (scratch: an empty root)
            _mount.mount("tmpfs", where, "tmpfs", C.MS_RDONLY, "size=4k")
        elif len(layers) == 1:
            _mount.mount(layers[0], where, None, C.MS_BIND)
            _mount.mount(None, where, None, C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY)
        else:  # overlay's lowerdir: the top layer first
            lower = ":".join(reversed(layers))
            _mount.mount("overlay", where, "overlay", C.MS_RDONLY, f"lowerdir={lower}")

    return forked.call(enter, fn, where, *args)
