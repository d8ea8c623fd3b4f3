"""The layer a COPY or ADD makes: an uncompressed tar of what it adds, with BuildKit's rules.

The sources come from ``hutch.build.context.sources`` (paths in the context or in a stage's
root, wildcards expanded); the builder says what the image already holds through
``exists(path)`` (and ``is_dir(path)``), absolute paths such as ``/app``. Entry names are
relative ("app/main.py"), in PAX format; the builder compresses and stores the layer.

Where things go (dockerfile2llb, fsutil's ``copy.Copy``)

- A relative ``dest`` is joined to the working directory. ``dest`` is a directory when it
  ends with ``/`` (or is ``.``), when it is one already, or when the source is a directory,
  whose contents (not the directory itself) are copied into it. A file copied into a
  directory keeps its name (a symbolic link's own name, not its target's); else ``dest`` is
  the file's new path. Several sources need a directory: docker's documented rule, in the
  classic builder's words ("When using COPY with more than one source file, the destination
  must be a directory and end with a /"); BuildKit instead lets each source overwrite the
  last.
- A source that is a symbolic link is followed (inside the root); links inside a copied
  directory are copied as links. Hard links within one COPY stay hard links. Devices and
  FIFOs are copied as they are, sockets left out; so are names starting with ``.wh.``, which
  a layer reserves for whiteouts (docker would write them and delete files with them).
- Owners: 0:0, as the docker CLI sends the context (``resetUIDAndGID``), or the files' own
  with ``keep_owners`` (a stage's root: BuildKit keeps them); ``chown`` (uid, gid) sets every
  entry the COPY writes. Modes are kept; ``chmod`` replaces the mode of files and
  directories (not links). Modification times are kept.
- Directories on the way to ``dest`` (and ``dest`` itself, when a directory) that the image
  lacks are written with mode ``chmod`` or 0755 and owner ``chown`` or 0:0 (fsutil's
  ``MkdirAll``; chmod there since Docker 28.1, moby/buildkit#5943); those it has are
  not written, so they keep their metadata. Directories inside a copied one are written.
- Files that ``ignore`` excludes are not there (``hutch.build.context``).

ADD (``extract``; BuildKit's ``unpack`` and moby/go-archive's ``Untar``)

- A source that is a regular file holding a tar archive (plain, gzip, bzip2 or xz, known by
  its first bytes, whatever its name) is unpacked into ``dest``, a directory; other sources
  are copied as COPY copies them. ``dest`` and missing parents are made 0755 (not ``chmod``).
- Entries keep the archive's owners (unless ``chown``), modes (``chmod`` does not apply) and
  times. Docker unpacks in a chroot at ``dest``: a name is cleaned as an absolute path, so
  ``../evil`` lands at ``dest/evil`` and ``/etc/x`` at ``dest/etc/x``; a hard link's target is
  read the same way, and a symbolic link that the archive made earlier is followed inside
  ``dest`` when a later name goes through it. Nothing lands outside ``dest``.

``digest`` hashes what a COPY of the sources would copy (paths, types, modes, sizes,
contents, link targets; not times, not owners), for the builder's cache key.

On an error the output holds part of a layer: discard it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
import time

from hutch.build.context import Entry, Tree, clean, not_found
from hutch.errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, BinaryIO

    from hutch.build.context import Ignore

_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CAPS = "security.capability"  # the one extended attribute docker's tar writer keeps
_WHITEOUT = ".wh."
_MAX_LINKS = 40


def _join(directory: str, rel: str) -> str:
    return f"{directory.rstrip('/')}/{rel}" if rel else directory


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


class _Layer:
    """The tar being written, and what the image holds with what it adds."""

    __slots__ = ("chmod", "chown", "exists", "is_dir", "keep_owners", "links", "made", "name", "now", "tar")

    def __init__(self, tar: tarfile.TarFile, name: str, exists: Callable[[str], bool],
                 is_dir: Callable[[str], bool] | None, chown: tuple[int, int] | None, chmod: int | None,
                 keep_owners: bool) -> None:
        self.tar, self.name, self.exists, self.is_dir = tar, name, exists, is_dir
        self.chown, self.chmod, self.keep_owners = chown, chmod, keep_owners
        self.made: dict[str, bool] = {}  # path written -> is a directory
        self.links: dict[tuple[int, int], str] = {}  # (st_dev, st_ino) -> first name written
        self.now = int(time.time())

    def directory(self, path: str) -> bool:
        """Whether ``path`` is a directory: written as one, or the image's (as ``is_dir`` says)."""
        if path in self.made:
            return self.made[path]
        return self.is_dir is not None and self.is_dir(path)

    def non_dir(self, path: str) -> bool:
        """Whether ``path`` is there and known not to be a directory."""
        if path in self.made:
            return not self.made[path]
        return self.is_dir is not None and self.exists(path) and not self.is_dir(path)

    def mkdirs(self, path: str, mode: int) -> None:
        """Write the directories of ``path`` (itself included) that neither the image nor the
        layer has."""
        parts = [p for p in path.split("/") if p]
        for i in range(1, len(parts) + 1):
            p = "/" + "/".join(parts[:i])
            if self.non_dir(p):
                raise InvalidArgument(f"{self.name} failed: mkdir {p}: not a directory")
            if p in self.made or self.exists(p):
                continue
            info = tarfile.TarInfo(p)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, self.now
            info.uid, info.gid = self.chown or (0, 0)
            self.add(p, info)

    def add(self, path: str, info: tarfile.TarInfo, data: IO[bytes] | None = None) -> None:
        info.name = path.lstrip("/")
        info.uname = info.gname = ""
        self.tar.addfile(info, data)
        self.made[path] = info.isdir()

    def copy(self, path: str, e: Entry) -> None:
        """Write ``e`` (a file of the root) at ``path``."""
        st, mode = e.st, e.st.st_mode
        info = tarfile.TarInfo(path)
        info.mtime = int(st.st_mtime)
        info.uid, info.gid = self.chown or ((st.st_uid, st.st_gid) if self.keep_owners else (0, 0))
        info.mode = stat.S_IMODE(mode) if self.chmod is None else self.chmod
        if stat.S_ISREG(mode):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in self.links:
                info.type, info.linkname = tarfile.LNKTYPE, self.links[key]
                self.add(path, info)
                return
            fd = os.open(e.name, _FILE, dir_fd=e.dir_fd)
            with open(fd, "rb") as f:
                fst = os.fstat(fd)
                if not stat.S_ISREG(fst.st_mode):
                    raise InvalidArgument(f"{self.name} failed: {e.path}: changed while being copied")
                info.size = fst.st_size
                caps = _caps(fd)
                if caps is not None:
                    info.pax_headers = {f"SCHILY.xattr.{_CAPS}": caps.decode("utf-8", "surrogateescape")}
                self.add(path, info, f)
            if st.st_nlink > 1:
                self.links[key] = info.name
            return
        if stat.S_ISDIR(mode):
            info.type = tarfile.DIRTYPE
        elif stat.S_ISLNK(mode):
            info.type, info.linkname, info.mode = tarfile.SYMTYPE, e.link, 0o777
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            info.type = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        elif stat.S_ISFIFO(mode):
            info.type = tarfile.FIFOTYPE
        else:
            return  # a socket
        self.add(path, info)


def _caps(fd: int) -> bytes | None:
    try:
        return os.getxattr(fd, _CAPS)
    except OSError:
        return None


def _destination(workdir: str, dest: str) -> tuple[str, bool]:
    """``dest`` as an absolute path, and whether it is written as a directory."""
    as_dir = dest in ("", ".") or dest.endswith(("/", "/."))
    return clean("/" + (dest if dest.startswith("/") else f"{workdir}/{dest}")), as_dir


def write_layer(out: BinaryIO, root: str, srcs: list[str], dest: str, *, workdir: str = "/",
                chown: tuple[int, int] | None = None, chmod: int | None = None, ignore: Ignore | None = None,
                exists: Callable[[str], bool] = lambda p: False, extract: bool = False,
                is_dir: Callable[[str], bool] | None = None, keep_owners: bool = False) -> None:
    """Write to ``out`` the layer of a COPY (ADD with ``extract``) of ``srcs`` (paths in
    ``root``, from ``sources``) to ``dest``. ``exists``/``is_dir`` say whether an absolute
    path is in the image / a directory there (resolved in it); without ``is_dir`` an existing
    parent is taken for a directory, an existing ``dest`` for a file."""
    name = "ADD" if extract else "COPY"
    if chmod is not None and not 0 <= chmod <= 0o7777:
        raise InvalidArgument(f"invalid chmod parameter: '{chmod:o}'. "
                              "it should be octal string and between 0 and 07777")
    target, as_dir = _destination(workdir, dest)
    dir_mode = 0o755 if chmod is None else chmod
    with Tree(root, ignore) as tree, tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT,
                                                  encoding="utf-8") as tar:
        layer = _Layer(tar, name, exists, is_dir, chown, chmod, keep_owners)
        if len(srcs) > 1 and not as_dir and not layer.directory(target):
            raise InvalidArgument(f"When using {name} with more than one source file, "
                                  "the destination must be a directory and end with a /")
        for src in srcs:
            rel = clean("/" + src).lstrip("/")
            top = tree.lookup(rel)
            if top is None:
                raise not_found(name, rel or ".", ignore)
            if stat.S_ISDIR(top.st.st_mode):
                if layer.non_dir(target):
                    raise InvalidArgument(f"{name} failed: cannot copy to non-directory: {target}")
                layer.mkdirs(target, dir_mode)
                skip = None
                for e in tree.walk(top):
                    if skip is not None and e.rel.startswith(skip):
                        continue
                    if e.name.startswith(_WHITEOUT):
                        skip = e.rel + "/"
                        continue
                    layer.copy(_join(target, e.rel), e)
                continue
            if extract and stat.S_ISREG(top.st.st_mode) and _unpack(layer, top, target, rel):
                continue
            base = rel.rsplit("/", 1)[-1]
            if as_dir or len(srcs) > 1 or layer.directory(target):
                layer.mkdirs(target, dir_mode)
                path = _join(target, base)
            else:
                layer.mkdirs(_parent(target), dir_mode)
                path = target
            if layer.directory(path):
                raise InvalidArgument(f"{name} failed: cannot replace to directory {path} with file")
            if not path.rsplit("/", 1)[-1].startswith(_WHITEOUT):
                layer.copy(path, top)


def _is_archive(f: BinaryIO) -> bool:
    """Whether ``f`` opens as a tar with one entry at least, uncompressed or not (Go's
    ``tar.NewReader(DecompressStream(f)).Next()`` succeeding)."""
    try:
        with tarfile.open(fileobj=f, mode="r|*") as t:
            return t.next() is not None
    except (tarfile.TarError, EOFError, OSError, ValueError):
        return False


def _in_dest(name: str, links: dict[str, str]) -> str:
    """An archive's path, as a chroot at ``dest`` resolves it: cleaned as an absolute path,
    its directories followed through the symbolic links the archive made; "" is ``dest``."""
    todo = [c for c in reversed(clean("/" + name).split("/")) if c]
    out: list[str] = []
    hops = 0
    while todo:
        c = todo.pop()
        if c in ("", "."):
            continue
        if c == "..":
            if out:
                out.pop()
            continue
        path = "/".join((*out, c))
        if todo and path in links:
            hops += 1
            if hops > _MAX_LINKS:
                raise InvalidArgument(f"ADD failed: {name}: too many levels of symbolic links")
            if links[path].startswith("/"):
                out.clear()
            todo.extend(reversed(links[path].split("/")))
            continue
        out.append(c)
    return "/".join(out)


def _unpack(layer: _Layer, top: Entry, target: str, src: str) -> bool:
    """Unpack ``top`` into ``target`` if it is a tar archive; False if it is not one."""
    fd = os.open(top.name, _FILE, dir_fd=top.dir_fd)
    with open(fd, "rb") as f:
        if not _is_archive(f):
            return False
        f.seek(0)
        layer.mkdirs(target, 0o755)  # not chmod: BuildKit's unpack makes dest 0755
        try:
            with tarfile.open(fileobj=f, mode="r|*") as archive:
                _unpack_entries(layer, archive, target)
        except (tarfile.TarError, EOFError, OSError) as err:
            raise InvalidArgument(f"ADD failed: {src}: {err}") from err
    return True


def _unpack_entries(layer: _Layer, archive: tarfile.TarFile, target: str) -> None:
    links: dict[str, str] = {}  # path below dest -> target, for the links the archive made
    for m in archive:
        rel = _in_dest(m.name, links)
        if not rel or rel.rsplit("/", 1)[-1].startswith(_WHITEOUT):
            continue
        path = _join(target, rel)
        layer.mkdirs(_parent(path), 0o755)
        info = tarfile.TarInfo(path)
        info.mode, info.mtime = m.mode, m.mtime
        info.uid, info.gid = layer.chown or (m.uid, m.gid)
        info.pax_headers = {k: v for k, v in m.pax_headers.items() if k.startswith("SCHILY.xattr.")}
        links.pop(rel, None)
        if m.isreg():
            info.size = m.size
            layer.add(path, info, archive.extractfile(m))
            continue
        if m.issym():
            info.type, info.linkname = tarfile.SYMTYPE, m.linkname
            links[rel] = m.linkname
        elif m.islnk():
            info.type, info.linkname = tarfile.LNKTYPE, _join(target, _in_dest(m.linkname, links)).lstrip("/")
        elif m.isdir() or m.ischr() or m.isblk() or m.isfifo():
            info.type, info.devmajor, info.devminor = m.type, m.devmajor, m.devminor
        else:
            continue
        layer.add(path, info)


def digest(root: str, srcs: list[str], ignore: Ignore | None = None) -> str:
    """``sha256:...`` of what a COPY of ``srcs`` would copy: each source's path, and for each
    file its path below the source, type, mode, size, content, link target, device numbers
    and capabilities (not times, not owners), in walk order."""
    h = hashlib.sha256()
    with Tree(root, ignore) as tree:
        for src in srcs:
            rel = clean("/" + src).lstrip("/")
            top = tree.lookup(rel)
            if top is None:
                raise not_found("COPY", rel or ".", ignore)
            h.update(b"source\0" + os.fsencode(rel or ".") + b"\0\0")
            _hash(h, "", top)
            if stat.S_ISDIR(top.st.st_mode):
                for e in tree.walk(top):
                    _hash(h, e.rel, e)
    return f"sha256:{h.hexdigest()}"


def _hash(h: hashlib._Hash, rel: str, e: Entry) -> None:
    # One record: NUL-separated fields (a name holds no NUL), a fixed count of them.
    mode, content, extra = e.st.st_mode, b"", b""
    if stat.S_ISREG(mode):
        fd = os.open(e.name, _FILE, dir_fd=e.dir_fd)
        with open(fd, "rb") as f:
            fh = hashlib.sha256()
            size = 0
            while chunk := f.read(1 << 20):
                fh.update(chunk)
                size += len(chunk)
            content = f"{size}:{fh.hexdigest()}".encode()
            extra = _caps(fd) or b""
    elif stat.S_ISLNK(mode):
        content = os.fsencode(e.link)
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        content = f"{os.major(e.st.st_rdev)},{os.minor(e.st.st_rdev)}".encode()
    kind = stat.S_IFMT(mode) if not stat.S_ISDIR(mode) or rel else 0  # the top directory: its contents only
    fields = [os.fsencode(rel), f"{kind:o}".encode(), f"{stat.S_IMODE(mode) if kind else 0:o}".encode(),
              content, extra.hex().encode()]
    h.update(b"\0".join(fields) + b"\0\0")
