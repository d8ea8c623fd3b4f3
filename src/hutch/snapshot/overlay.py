"""A container's root as an overlayfs mount: read-only lowers, a writable upper.

    lowers (lowest first)   the image's snapshot dirs, then the init layer if any
                            (docker's: empty mount points for /etc/hosts & co.)
    upper, work             the container's own layer and overlayfs' work dir
    merged                  where the root is mounted while the container runs

Mount and unmount are idempotent, so every path of the engine's lifecycle may call
them again after a crash.
"""

from __future__ import annotations

import os


class Overlay:
    __slots__ = ("init", "lowers", "merged", "upper", "work")

    def __init__(self, lowers: list[str], upper: str, work: str, merged: str, init: str = "") -> None:
        self.lowers, self.upper, self.work, self.merged, self.init = lowers, upper, work, merged, init

    def prepare(self) -> None:
        """Make the container's own dirs (upper, work, merged); they must not exist yet."""
        for path in (self.upper, self.work, self.merged):
            os.makedirs(path)

    def options(self) -> str:
        """The mount's data: overlayfs lists lowerdir from the top down."""
        lowers = [*self.lowers, self.init] if self.init and os.path.isdir(self.init) else self.lowers
        return "lowerdir={},upperdir={},workdir={}".format(":".join(reversed(lowers)), self.upper, self.work)

    def mounted(self) -> bool:
        with open("/proc/self/mountinfo") as f:
            return any(line.split()[4] == self.merged for line in f)

    def mount(self) -> None:
        if self.mounted():
            return
        from hutch._sys.mount import mount
        from hutch.errors import HutchError  # not at the top: the teardown imports this module

        try:
            mount("overlay", self.merged, "overlay", 0, self.options())
        except OSError as err:
            raise HutchError(f"cannot mount the container's overlayfs root: {err.strerror}") from err

    def unmount(self) -> None:
        unmount(self.merged)


def unmount(path: str) -> None:
    """Detach the mount at ``path`` (MNT_DETACH: a process may hold it a moment longer);
    nothing if nothing is mounted there."""
    from hutch._sys.mount import umount2

    try:
        umount2(path, 2)
    except OSError:
        pass
