"""Apply a layer tarball to a directory, safely, as an overlayfs lower layer.

Every entry is created relative to a directory fd that was resolved inside the
destination with openat2(RESOLVE_IN_ROOT): a symlink that an earlier entry made (``a ->
/etc``) is followed as it would be inside the container, never out to the host, and no
path string is ever re-resolved. Refused, with the entry's name: ``..`` components and
hard links to outside the layer.

Character and block devices are made with their major and minor numbers, fifos as fifos,
as docker and containerd do when they run as root (a debootstrap rootfs has /dev/null and
friends): what guards a device is the container's devices cgroup, not its absence from the
layer. A 0:0 character device is kept as it is: it is overlayfs's own whiteout, which a
layer made from an overlay upper directory may carry.

OCI/docker whiteouts become overlayfs ones: ``.wh.NAME`` is a 0:0 character device NAME,
``.wh..wh..opq`` the ``trusted.overlay.opaque`` xattr on its directory.

Ownership, modes (setuid included, set after chown), mtimes and xattrs in PAX headers
are kept. Directory mtimes are set last, once nothing more is written into them.

Speed, since a layer is mostly small files: the tar is read by hutch.image.tarstream (not
tarfile, whose header parsing cost a third of the time); a name is created first and
looked at only when it is taken (the destination is a new, empty directory); the parent
directory's fd is kept from one entry to the next (see ``_Dest.parent_fd``).
"""

from __future__ import annotations

import errno
import os
import stat

from hutch._sys.consts import O_PATH
from hutch.errors import HutchError
from hutch.image.tarstream import Entry, Reader, TarError
from hutch.util.rooted import fdpath, mkdir_all, open_in_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
CHUNK = 1 << 20


class LayerError(HutchError):
    pass


def clean_name(name: str) -> str:
    """The entry's path relative to the layer root ("" for the root itself); LayerError
    when it has a ``..`` component."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise LayerError(f"entry {name!r} escapes the layer with '..'")
    return "/".join(parts)


class _Dest:
    def __init__(self, root: str) -> None:
        self.fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.dir_times: list[tuple[str, int]] = []
        self._parent: tuple[str, int] | None = None

    def close(self) -> None:
        self.forget()
        os.close(self.fd)

    def parent_fd(self, rel: str) -> int:
        """``dir_fd(rel)``, kept for the next entry: a tar lists a directory's entries
        together, so most entries resolve the same parent (one openat2 saved each). The
        fd cannot go stale: an entry changes only its own name in its parent (it adds,
        or replaces, or whites out a child), so what changes an ancestor of the cached
        directory is an entry with another parent, which replaces the cache first."""
        if self._parent is not None and self._parent[0] == rel:
            return self._parent[1]
        fd = self.dir_fd(rel)
        self.forget()
        self._parent = (rel, fd)
        return fd

    def forget(self) -> None:
        if self._parent is not None:
            os.close(self._parent[1])
            self._parent = None

    def dir_fd(self, rel: str, create: bool = True) -> int:
        """An O_PATH fd of directory ``rel``, resolved inside the root; missing levels are
        made (0755) when ``create``."""
        if create:
            return mkdir_all(self.fd, rel)
        return open_in_root(self.fd, rel, O_PATH | os.O_DIRECTORY)


def _remove(pfd: int, base: str) -> None:
    """Remove whatever is at ``base`` in the directory ``pfd`` (a tree, too)."""
    try:
        st = os.stat(base, dir_fd=pfd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(base, dir_fd=pfd)
        return
    sub = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
    try:
        for name in os.listdir(sub):
            _remove(sub, name)
    finally:
        os.close(sub)
    os.rmdir(base, dir_fd=pfd)


def apply(src: BinaryIO, dest: str) -> None:
    """Extract the uncompressed tar stream ``src`` into the empty directory ``dest``."""
    d = _Dest(dest)
    try:
        tar = Reader(src)
        for member in tar:
            try:
                _entry(d, tar, member)
            except LayerError:
                raise
            except OSError as err:
                raise LayerError(f"entry {member.name!r}: {err.strerror or err}") from err
        for rel, mtime in reversed(d.dir_times):
            try:
                pfd = d.dir_fd(os.path.dirname(rel), create=False)
            except OSError:
                continue
            try:
                os.utime(os.path.basename(rel) or ".", ns=(mtime, mtime), dir_fd=pfd, follow_symlinks=False)
            finally:
                os.close(pfd)
    except TarError as err:
        raise LayerError(f"not a tar archive ({err})") from err
    finally:
        d.close()


def _entry(d: _Dest, tar: Reader, m: Entry) -> None:
    rel = clean_name(m.name)
    if not rel:
        if m.isdir():
            os.chmod(d.fd, m.mode & 0o7777)
        return
    parent, _, base = rel.rpartition("/")
    pfd = d.parent_fd(parent)
    if base == OPAQUE:
        os.setxattr(fdpath(pfd), "trusted.overlay.opaque", b"y")
        return
    if base.startswith(WHITEOUT):
        name = base[len(WHITEOUT):]
        _remove(pfd, name)
        os.mknod(name, stat.S_IFCHR | 0o000, os.makedev(0, 0), dir_fd=pfd)
        return
    # Most names are new (the directory is a fresh one): create first, and only when the
    # name is taken (an earlier entry of this layer made it) look at what is there.
    if m.isdir():
        try:
            os.mkdir(base, 0o700, dir_fd=pfd)
        except FileExistsError:
            if not stat.S_ISDIR(os.stat(base, dir_fd=pfd, follow_symlinks=False).st_mode):
                _remove(pfd, base)  # what an earlier entry made there
                os.mkdir(base, 0o700, dir_fd=pfd)
        d.dir_times.append((rel, int(m.mtime * 1e9)))
    else:
        try:
            _create(d, tar, m, pfd, base)
        except FileExistsError:
            _remove(pfd, base)  # what an earlier entry made there
            _create(d, tar, m, pfd, base)
        if m.islnk():
            return  # a hard link shares its target's owner, mode and times
    os.chown(base, m.uid, m.gid, dir_fd=pfd, follow_symlinks=False)
    if not m.issym():
        os.chmod(base, m.mode & 0o7777, dir_fd=pfd)
    for key, value in (m.pax_headers or {}).items():
        if key.startswith("SCHILY.xattr."):
            name = key[len("SCHILY.xattr."):]
            try:
                os.setxattr(f"{fdpath(pfd)}/{base}", name, value.encode("utf-8", "surrogateescape"),
                            follow_symlinks=False)
            except OSError as err:
                if err.errno not in (errno.ENOTSUP, errno.EPERM):
                    raise
    if not m.isdir():
        os.utime(base, ns=(int(m.mtime * 1e9),) * 2, dir_fd=pfd, follow_symlinks=False)


def _create(d: _Dest, tar: Reader, m: Entry, pfd: int, base: str) -> None:
    """Make the non-directory entry ``m`` at ``base``; FileExistsError if the name is taken."""
    if m.isfile():
        fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                     dir_fd=pfd)
        try:
            for chunk in tar.data(m):
                view = chunk
                while view:  # a short write (a full disk) repeats, and then raises ENOSPC
                    view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    elif m.issym():
        os.symlink(m.linkname, base, dir_fd=pfd)
    elif m.islnk():
        target = clean_name(m.linkname)
        tparent, _, tbase = target.rpartition("/")
        if not tbase:
            raise LayerError(f"entry {m.name!r} is a hard link to the layer root")
        tfd = d.dir_fd(tparent, create=False)
        try:
            os.link(tbase, base, src_dir_fd=tfd, dst_dir_fd=pfd, follow_symlinks=False)
        finally:
            os.close(tfd)
    elif m.isfifo():
        os.mkfifo(base, 0o600, dir_fd=pfd)
    elif m.ischr() or m.isblk():
        kind = stat.S_IFCHR if m.ischr() else stat.S_IFBLK
        os.mknod(base, kind | 0o600, os.makedev(m.devmajor, m.devminor), dir_fd=pfd)
    else:
        raise LayerError(f"entry {m.name!r} has an unsupported type {m.type.decode(errors='replace')!r}")
