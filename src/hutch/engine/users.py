"""A container's user (``-u``, the image's ``User``) as uid, gid and additional gids, looked up
in the image's /etc/passwd and /etc/group as docker does (moby/sys/user GetExecUser):

- ``USER[:GROUP]``, each a name or a number; a name must be in the file, a number need not;
- the gid is the group's when one is given, else the user's passwd entry's, else 0;
- with no group given, the additional gids are the groups whose member list names the user;
  the primary gid is always one of them (moby, since CVE-2022-36109).

The files are read from the image's layers, top first, each opened with
openat2(RESOLVE_IN_ROOT) relative to its layer: a symlink in an image never leads out to the
host. A whiteout (the 0:0 character device) in a higher layer hides a lower file.
"""

from __future__ import annotations

import os
import stat

from hutch._sys.consts import O_PATH
from hutch.errors import InvalidArgument
from hutch.util.rooted import open_in_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_MAX_FILE = 4 << 20


def read_image_file(layers: list[str], path: str) -> str | None:
    """The text of ``path`` in the image whose layers (bottom first) are ``layers``, or None."""
    rel = path.lstrip("/")
    for layer in reversed(layers):
        try:
            root = os.open(layer, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            parent, _, base = rel.rpartition("/")
            try:  # the entry itself (a whiteout?), its directory resolved inside the layer
                pfd = open_in_root(root, parent, O_PATH | os.O_DIRECTORY)
            except OSError:
                continue
            try:
                st = os.stat(base, dir_fd=pfd, follow_symlinks=False)
            except OSError:
                continue
            finally:
                os.close(pfd)
            if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                return None  # deleted in this layer
            try:
                fd = open_in_root(root, rel, os.O_RDONLY | os.O_NOCTTY)
            except OSError:
                continue
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    continue
                return f.read(_MAX_FILE).decode("utf-8", errors="replace")
        finally:
            os.close(root)
    return None


def _entries(text: str | None) -> list[list[str]]:
    out = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append(line.split(":"))
    return out


def _int(s: str) -> int | None:
    return int(s) if s.isdigit() and int(s) < 1 << 32 else None


def resolve(spec: str, layers: list[str]) -> dict[str, Any]:
    """process.user for ``spec`` (``""``: root) in the image, additionalGids included."""
    user, sep, group = (spec or "0").partition(":")
    if not user or (sep and not group):
        raise InvalidArgument(f"invalid user {spec!r}: use USER[:GROUP] (names or numbers)")
    passwd = _entries(read_image_file(layers, "/etc/passwd"))
    uid = _int(user)
    entry = next((e for e in passwd if len(e) >= 4 and (e[0] == user if uid is None else _int(e[2]) == uid)),
                 None)
    if uid is None:
        if entry is None or _int(entry[2]) is None:
            raise InvalidArgument(f"invalid user {spec!r}: no user {user!r} in the image's /etc/passwd")
        uid = _int(entry[2])
    gid = _int(entry[3]) if entry is not None else 0
    name = entry[0] if entry is not None else ""
    extra: list[int] = []
    if group or name:
        groups = [g for g in _entries(read_image_file(layers, "/etc/group")) if len(g) >= 3]
        if group:
            gid = _int(group)
            if gid is None:
                hit = next((g for g in groups if g[0] == group), None)
                if hit is None or _int(hit[2]) is None:
                    raise InvalidArgument(f"invalid user {spec!r}: no group {group!r} in the image's "
                                          f"/etc/group")
                gid = _int(hit[2])
        else:
            for g in groups:
                members = g[3].split(",") if len(g) >= 4 else []
                n = _int(g[2])
                if name in members and n is not None and n not in extra:
                    extra.append(n)
    gid = gid or 0
    # the primary group is among the additional ones too, as moby puts it since CVE-2022-36109
    # (a group with fewer rights than others must not be droppable by setgroups)
    return {"uid": uid, "gid": gid, "additionalGids": [gid, *(g for g in extra if g != gid)]}


def group_id(group: str, layers: list[str]) -> int:
    """--group-add's GROUP: a number as it is, a name looked up in the image's /etc/group."""
    gid = _int(group)
    if gid is not None:
        return gid
    for g in _entries(read_image_file(layers, "/etc/group")):
        if len(g) >= 3 and g[0] == group and _int(g[2]) is not None:
            return int(g[2])
    raise InvalidArgument(f"Unable to find group {group}: no matching entries in group file")


def home(uid: int, spec: str, layers: list[str]) -> str:
    """The user's home directory (HOME, as runc sets it): the passwd entry's of the user named
    in ``spec`` or else of ``uid``, "/" when there is none."""
    name = (spec or "").partition(":")[0]
    for e in _entries(read_image_file(layers, "/etc/passwd")):
        if len(e) >= 6 and (e[0] == name if name and _int(name) is None else _int(e[2]) == uid):
            return e[5] or "/"
    return "/"
