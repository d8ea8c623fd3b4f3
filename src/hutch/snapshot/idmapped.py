"""A container's image layers seen through its user namespace's id mappings (--uidmap/--gidmap):
no chown of the image.

Each lower layer is cloned as a detached mount (open_tree), made an idmapped mount with the
mappings (mount_setattr MOUNT_ATTR_IDMAP, Linux 5.12; overlayfs takes idmapped layers since
5.19) and attached under the container's directory; the overlay is made of those, and its
upper and work directories belong to the mapped root. A file the image has as 0:0 is then
0:0 for the container's root (host 100000:100000 with --uidmap 0:100000:65536) and nobody's
from outside the mapping.

The user namespace whose mappings the mounts take is made for the purpose: a child process
unshares one, the parent writes its maps (as the runtime does) and keeps an fd of it.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    Mapping = Sequence[int]  # (container, host, size)


def userns_fd(uidmap: Sequence[Mapping], gidmap: Sequence[Mapping]) -> int:
    """An fd of a new user namespace with these mappings."""
    from hutch._sys.consts import CLONE_NEWUSER
    from hutch._sys.ns import unshare

    r, w = os.pipe()
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # (only syscalls here: the parent may have threads)
        code = 0
        try:
            os.close(w)
            os.close(ready_r)
            unshare(CLONE_NEWUSER)
            os.write(ready_w, b"u")
            os.read(r, 1)  # until the parent has its fd
        except BaseException:
            code = 1
        os._exit(code)
    os.close(r)
    os.close(ready_w)
    try:
        if os.read(ready_r, 1) != b"u":
            raise OSError(1, "cannot make a user namespace for the id mappings")
        for name, maps in (("uid_map", uidmap), ("gid_map", gidmap)):
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write("".join(f"{c} {h} {n}\n" for c, h, n in maps))
        return os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(ready_r)
        os.close(w)
        os.waitpid(pid, 0)


def mount_layers(lowers: Sequence[str], into: str, nsfd: int) -> list[str]:
    """Each of ``lowers`` idmapped through ``nsfd``'s mappings, at ``into``/0, 1...; the paths."""
    targets = [os.path.join(into, str(i)) for i in range(len(lowers))]
    mount_mapped(list(zip(lowers, targets, strict=True)), into, nsfd)
    return targets


def mount_mapped(pairs: Sequence[tuple[str, str]], into: str, nsfd: int) -> None:
    """Each (source, target) of ``pairs``: the tree at source (with the mounts below it)
    idmapped through ``nsfd``'s mappings, at target, a directory under ``into`` made for it.
    On an error nothing stays mounted under ``into``."""
    from hutch._sys.mount import (
        AT_EMPTY_PATH,
        AT_FDCWD,
        AT_RECURSIVE,
        MOUNT_ATTR_IDMAP,
        MOVE_MOUNT_F_EMPTY_PATH,
        OPEN_TREE_CLOEXEC,
        OPEN_TREE_CLONE,
        mount_setattr,
        move_mount,
        open_tree,
    )

    try:
        for source, target in pairs:
            os.makedirs(target, exist_ok=True)
            fd = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)
            try:
                mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, MOUNT_ATTR_IDMAP, userns_fd=nsfd)
                move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH)
            finally:
                os.close(fd)
    except BaseException:
        unmount_layers(into)
        raise


def unmount_layers(into: str) -> None:
    """Detach what `mount_layers` and `mount_mapped` put at ``into`` (nothing if nothing is
    there)."""
    from hutch.snapshot.overlay import unmount

    try:
        names = os.listdir(into)
    except OSError:
        return
    for name in names:
        unmount(os.path.join(into, name))
