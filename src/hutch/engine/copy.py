"""`hutch cp`: copy between a container's root and the host (or a tar stream), as docker cp.

Every path is opened by fd: the source and destination with openat2(RESOLVE_IN_ROOT |
RESOLVE_NO_MAGICLINKS) relative to the container's root (the host's ``/`` on the host side,
so both sides share one code path), and everything below them one component at a time
with O_NOFOLLOW relative to its parent's fd. A symlink in the container (``/`` , or
``../../..``) therefore resolves inside the container, as it would for a process in it,
and can never make cp read or write the host (docker cp's CVE-2018-15664, CVE-2019-14271).
Entries written on the host side are resolved inside the destination directory in the
same way, so a symlink the container wrote earlier in the same copy is not a way out.

docker's rules (docs "docker container cp"):
- SRC a file: DEST a directory → DEST/basename; DEST a file or missing → DEST (its parent
  must exist); DEST missing with a trailing ``/`` → error.
- SRC a directory: DEST missing → made, with SRC's contents; DEST a directory → DEST/
  basename(SRC), or with SRC ending in ``/.`` SRC's contents into DEST; DEST a file → error.
- SRC ``/`` or ``/.``-terminated but not a directory → error. A symlink SRC is copied as the
  link, unless -L (or a trailing ``/``, ``/.``).
- ``-`` as DEST writes a tar of SRC to standard output; as SRC, extracts a tar from standard
  input into DEST, which must be a directory.
- Ownership, as docker's documentation (and this task) states it: files copied into a
  container belong to root (0:0), files copied out to the user running cp; ``-a`` keeps the
  source's uid/gid. (docker itself keeps the source's ids without -a, and with -a chowns to
  the container's --user: docker/cli#6870 reports the gap between its docs and its code.)

The container's files as its processes see them, mounts included (docker copies through
them): `cp web:/etc/hosts .` reads the container's own hosts file, `cp f web:/data/` writes
into the volume mounted at /data, not into the layer under it.
- A running (or paused) container: its init's root, ``/proc/PID/root``. A walk from that fd
  crosses the mounts of the container's mount namespace (volumes, binds, tmpfs, its /etc
  files), not the host's. The fd is checked to be the container's root (the same inode as
  its overlay's root), so a pid reused since cannot lend another process's root.
- A stopped (or created) container: this process moves to a mount namespace of its own
  (`_private_mounts`; the CLI is single-threaded) and mounts there the container's overlay
  and its bind mounts as config.json lists them (volumes, binds, its /etc files; a tmpfs has
  nothing in it when nothing runs), under a per-container lock. Nothing of it reaches the
  host, and a kill -9 leaves no mount behind: the namespace goes with the process.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import stat
import tarfile

from hutch import faults, filelock
from hutch._sys import consts as C
from hutch._sys import mount as _mount
from hutch._sys import ns as _ns
from hutch._sys.consts import O_PATH
from hutch.engine.model import LIVE
from hutch.errors import HutchError
from hutch.image.unpack import clean_name
from hutch.util.rooted import fdpath, mkdir_all, open_in_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import IO, Any

    from hutch.engine.containers import Engine

CHUNK = 1 << 20

Entry = tuple[tarfile.TarInfo, "IO[bytes] | None"]


class CopyError(HutchError):
    pass


def split(arg: str) -> tuple[str | None, str]:
    """docker's CONTAINER:PATH split: an absolute path, a path starting with ``.``, or one
    with no colon, is a host path."""
    if arg.startswith("/"):
        return None, arg
    ctr, colon, path = arg.partition(":")
    if not colon or ctr.startswith("."):
        return None, arg
    return ctr, path


class _Side:
    """A path as the user wrote it, resolved relative to ``root`` (a directory fd)."""

    def __init__(self, root: int, path: str, where: str) -> None:
        self.root, self.path, self.where = root, path, where
        absolute = posixpath.normpath(posixpath.join("/", path)) if where else os.path.abspath(path)
        self.rel = absolute.lstrip("/")
        self.base = posixpath.basename(absolute)
        self.dir_hint = path.endswith(("/", "/.")) or path in (".", "")
        self.contents = path.endswith("/.") or path == "."

    def open(self, rel: str, flags: int) -> int:
        return open_in_root(self.root, rel, flags)

    def missing(self) -> CopyError:
        if self.where:
            return CopyError(f"Could not find the file {self.path} in {self.where}")
        return CopyError(f"{self.path}: no such file or directory")

    def fail(self, err: OSError) -> CopyError:
        if err.errno == errno.ENOENT:
            return self.missing()
        where = f" in {self.where}" if self.where else ""
        return CopyError(f"{self.path}{where}: {err.strerror or err}")


@contextlib.contextmanager
def container_root(eng: Engine, ref: str, *, mounts: bool = True) -> Iterator[tuple[int, str]]:
    """An O_PATH fd of the container's root as its processes see it, mounts included (see the
    module's doc), and a name for messages; without ``mounts``, its root filesystem alone (its
    overlay: what `export` writes, as docker's leaves volumes out)."""
    from hutch.engine.commit import lowers

    record = eng.find(ref)
    lay = eng.layout(record["id"])
    where = f"container {record['name']}"
    if record["state"]["status"] in LIVE:
        if mounts:
            fd = _live_root(int(record["state"].get("pid") or 0), lay.merged)
        elif os.path.ismount(lay.merged):
            fd = os.open(lay.merged, O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        else:
            fd = -1
        if fd < 0:
            raise CopyError(f"{where} is not running any more (or not yet): try again")
        try:
            yield fd, where
        finally:
            os.close(fd)
        return
    with filelock.locked(lay.dir, "cp.lock"):
        _private_mounts()
        root = lay.overlay(lowers(eng, record))
        root.mount()
        try:
            fd = os.open(lay.merged, O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                if mounts:
                    _bind_mounts(fd, lay.config)
                faults.point("engine.cp.mounted")
                yield fd, where
            finally:
                os.close(fd)
        finally:
            _mount.umount2(lay.merged, C.MNT_DETACH)  # (the binds on it too)


def _live_root(pid: int, merged: str) -> int:
    """An O_PATH fd of ``/proc/PID/root`` if it is the root of the overlay at ``merged``, else -1."""
    if pid <= 0:
        return -1
    try:
        fd = os.open(f"/proc/{pid}/root", O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return -1
    try:
        st, ours = os.fstat(fd), os.stat(merged)
    except OSError:
        os.close(fd)
        return -1
    if (st.st_dev, st.st_ino) != (ours.st_dev, ours.st_ino):
        os.close(fd)
        return -1
    return fd


def _private_mounts() -> None:
    """This process into a mount namespace of its own, where no mount propagates to the host."""
    try:
        _ns.unshare(C.CLONE_NEWNS)
    except OSError as err:  # EINVAL: threads share this process's filesystem context
        raise CopyError(f"cannot copy from a stopped container here ({err.strerror or err})") from err
    _mount.mount(None, "/", None, C.MS_REC | C.MS_SLAVE)


def _bind_mounts(root: int, config: str) -> None:
    """config.json's bind mounts on the container's root (the fd ``root``), as the runtime makes
    them at start: the destination resolved inside the root (made if missing: a directory, or
    an empty file for a file's bind), the source the host's, read-only where it says so."""
    from hutch.fastjson import loads

    try:
        with open(config, "rb") as f:
            spec: Any = loads(f.read())
        mounts: list[dict[str, Any]] = spec.get("mounts") or []
    except (OSError, ValueError):
        return  # (a container whose config.json is gone: its layers alone)
    from hutch.engine.specgen import idmapped_sources

    real = {mapped: host for host, mapped in idmapped_sources(spec)}  # (--uidmap's: the host's directory)
    for m in mounts:
        options = m.get("options") or []
        if m.get("type") != "bind" and "bind" not in options and "rbind" not in options:
            continue
        dest, source = str(m.get("destination", "")), str(m.get("source", ""))
        source = real.get(source, source)
        if dest.split("/")[1:2] in (["proc"], ["sys"], ["dev"]) or not os.path.exists(source):
            continue
        try:
            target = open_in_root(root, dest, O_PATH)
        except FileNotFoundError:
            target = _make_mountpoint(root, dest, os.path.isdir(source))
        try:
            _mount.mount(source, fdpath(target), None, C.MS_BIND | C.MS_REC)
        finally:
            os.close(target)
        if "ro" in options:  # (on the bind's own top, looked up again: the fd above is under it)
            top = open_in_root(root, dest, O_PATH)
            try:
                _mount.mount(None, fdpath(top), None, C.MS_BIND | C.MS_REMOUNT | C.MS_RDONLY)
            finally:
                os.close(top)


def _make_mountpoint(root: int, dest: str, is_dir: bool) -> int:
    if is_dir:
        return mkdir_all(root, dest)
    parent, _, base = dest.strip("/").rpartition("/")
    pfd = mkdir_all(root, parent)
    try:
        os.close(os.open(base, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=pfd))
        return open_in_root(pfd, base, O_PATH)
    finally:
        os.close(pfd)


def cp(eng: Engine, src: str, dest: str, archive: bool = False, follow: bool = False,
       stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> None:
    sref, spath = split(src) if src != "-" else (None, "-")
    dref, dpath = split(dest) if dest != "-" else (None, "-")
    if sref is not None and dref is not None:
        raise CopyError("copying between containers is not supported")
    if sref is None and dref is None:
        raise CopyError("must specify at least one container source")
    with contextlib.ExitStack() as stack:
        host = os.open("/", O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        stack.callback(os.close, host)
        ref = sref if sref is not None else dref
        assert ref is not None
        croot, where = stack.enter_context(container_root(eng, ref))
        if sref is not None:
            source = _Side(croot, spath, where)
            owner = None if archive else (os.getuid(), os.getgid())
            if dpath == "-":
                _to_stream(source, follow, stdout)
                return
            _copy(source, _Side(host, dpath, ""), follow, owner)
        else:
            target = _Side(croot, dpath, where)
            owner = None if archive else (0, 0)
            if spath == "-":
                _from_stream(target, stdin, owner)
                return
            _copy(_Side(host, spath, ""), target, follow, owner)


def _open_source(src: _Side, follow: bool) -> tuple[int, os.stat_result]:
    flags = O_PATH if follow or src.dir_hint else O_PATH | os.O_NOFOLLOW
    try:
        fd = src.open(src.rel, flags)
    except OSError as err:
        raise src.fail(err) from err
    st = os.fstat(fd)
    if src.dir_hint and not stat.S_ISDIR(st.st_mode):
        os.close(fd)
        raise CopyError(f"{src.path}: not a directory")
    return fd, st


def _to_stream(src: _Side, follow: bool, out: IO[bytes] | None) -> None:
    assert out is not None
    fd, st = _open_source(src, follow)
    try:
        top = "" if src.contents or not src.base else src.base
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for ti, data in _entries(fd, st, top):
                tar.addfile(ti, data)
    finally:
        os.close(fd)


def _from_stream(dest: _Side, stream: IO[bytes] | None, owner: tuple[int, int] | None) -> None:
    assert stream is not None
    try:
        dfd = dest.open(dest.rel, O_PATH)
    except OSError as err:
        raise dest.fail(err) from err
    try:
        if not stat.S_ISDIR(os.fstat(dfd).st_mode):
            raise CopyError(f'destination "{dest.path}" must be a directory')
        try:
            with tarfile.open(fileobj=stream, mode="r|*") as tar:
                _extract(dfd, ((m, tar.extractfile(m) if m.isfile() else None) for m in tar), owner)
        except tarfile.TarError as err:
            raise CopyError(f"standard input is not a tar archive ({err})") from err
    finally:
        os.close(dfd)


def _copy(src: _Side, dest: _Side, follow: bool, owner: tuple[int, int] | None) -> None:
    fd, st = _open_source(src, follow)
    try:
        is_dir = stat.S_ISDIR(st.st_mode)
        try:
            dfd = dest.open(dest.rel, O_PATH)
        except FileNotFoundError:
            dfd = -1
        except OSError as err:
            raise dest.fail(err) from err
        try:
            if dfd >= 0 and stat.S_ISDIR(os.fstat(dfd).st_mode):
                top = "" if (is_dir and src.contents) or not src.base else src.base
                into = dfd
            elif dfd >= 0:
                if is_dir:
                    raise CopyError(f"cannot overwrite non-directory {dest.path} with directory {src.path}")
                top, into = dest.base, _parent(dest)
            else:
                if dest.path.endswith("/"):
                    raise CopyError(f"destination directory {dest.path} does not exist")
                top, into = dest.base, _parent(dest)
            try:
                _extract(into, _entries(fd, st, top), owner)
            finally:
                if into != dfd:
                    os.close(into)
        finally:
            if dfd >= 0:
                os.close(dfd)
    finally:
        os.close(fd)


def _parent(side: _Side) -> int:
    try:
        fd = side.open(posixpath.dirname(side.rel), O_PATH | os.O_DIRECTORY)
    except OSError as err:
        where = f" in {side.where}" if side.where else ""
        raise CopyError(f"{side.path}{where}: its directory does not exist "
                        f"({err.strerror or err})") from err
    return fd


# ---- reading a tree as tar entries ------------------------------------------------------------

def _info(name: str, st: os.stat_result) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name or ".")
    ti.mode = stat.S_IMODE(st.st_mode)
    ti.uid, ti.gid, ti.mtime = st.st_uid, st.st_gid, int(st.st_mtime)
    return ti


def _entries(fd: int, st: os.stat_result, top: str, devices: bool = False) -> Iterator[Entry]:
    """The tree at the O_PATH fd ``fd`` as tar entries, the top one named ``top`` ("": only
    what a directory holds); device nodes are entries with ``devices`` (export), else an error."""
    links: dict[tuple[int, int], str] = {}
    yield from _entry(fd, None, st, top, links, devices)


def export(eng: Engine, ref: str, out: IO[bytes]) -> None:
    """`hutch export`: the container's whole filesystem (its root as the runtime mounts it,
    without volumes) as a tar stream, as docker's export; entry names are relative (``bin/sh``)."""
    with container_root(eng, ref, mounts=False) as (croot, _where):
        st = os.fstat(croot)
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for ti, data in _entries(croot, st, "", devices=True):
                tar.addfile(ti, data)


def _entry(fd: int, parent: int | None, st: os.stat_result, name: str,
           links: dict[tuple[int, int], str], devices: bool = False) -> Iterator[Entry]:
    """One object (``fd``: an O_PATH fd of it) and, for a directory, all below it."""
    mode = st.st_mode
    ti = _info(name, st)
    if stat.S_ISDIR(mode):
        dfd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
        try:
            if name:
                ti.type = tarfile.DIRTYPE
                yield ti, None
            for child in sorted(os.listdir(dfd)):
                try:
                    cfd = os.open(child, O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
                except FileNotFoundError:
                    continue  # removed meanwhile (a running container)
                try:
                    cst = os.fstat(cfd)
                    yield from _entry(cfd, dfd, cst, f"{name}/{child}" if name else child, links, devices)
                finally:
                    os.close(cfd)
        finally:
            os.close(dfd)
    elif stat.S_ISLNK(mode):
        ti.type, ti.linkname = tarfile.SYMTYPE, os.readlink("", dir_fd=fd)
        yield ti, None
    elif stat.S_ISREG(mode):
        inode = (st.st_dev, st.st_ino)
        if st.st_nlink > 1 and inode in links:
            ti.type, ti.linkname = tarfile.LNKTYPE, links[inode]
            yield ti, None
            return
        links[inode] = name
        rfd = os.open(fdpath(fd), os.O_RDONLY | os.O_CLOEXEC)  # reopen the same inode
        with os.fdopen(rfd, "rb") as f:
            ti.size = os.fstat(rfd).st_size
            yield ti, f
    elif stat.S_ISFIFO(mode):
        ti.type = tarfile.FIFOTYPE
        yield ti, None
    elif (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) and devices:
        ti.type = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
        ti.devmajor, ti.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        yield ti, None
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise CopyError(f"{name}: hutch cp does not copy device nodes")
    # sockets are skipped, as docker does


# ---- writing tar entries below a directory ------------------------------------------------------

def _extract(root: int, entries: Iterator[Entry], owner: tuple[int, int] | None) -> None:
    dir_times: list[tuple[str, int]] = []
    for ti, data in entries:
        try:
            _write(root, ti, data, owner, dir_times)
        except OSError as err:
            raise CopyError(f"{ti.name}: {err.strerror or err}") from err
        finally:
            if data is not None:
                data.close()
    for rel, mtime in reversed(dir_times):
        with contextlib.suppress(OSError):
            fd = open_in_root(root, rel, O_PATH | os.O_DIRECTORY)
            try:
                os.utime(fdpath(fd), ns=(mtime, mtime))
            finally:
                os.close(fd)


def _write(root: int, ti: tarfile.TarInfo, data: IO[bytes] | None, owner: tuple[int, int] | None,
           dir_times: list[tuple[str, int]]) -> None:
    rel = clean_name(ti.name)
    uid, gid = owner if owner is not None else (ti.uid, ti.gid)
    if not rel:
        return  # the destination directory itself is left as it is
    parent, _, base = rel.rpartition("/")
    pfd = mkdir_all(root, parent)  # missing levels made 0755, as a tar without directory entries needs
    try:
        try:
            existing: os.stat_result | None = os.stat(base, dir_fd=pfd, follow_symlinks=False)
        except FileNotFoundError:
            existing = None
        if ti.isdir():
            if existing is not None and not stat.S_ISDIR(existing.st_mode):
                raise CopyError(f"cannot overwrite non-directory {rel} with directory")
            if existing is None:
                os.mkdir(base, 0o700, dir_fd=pfd)
            dir_times.append((rel, int(ti.mtime * 1e9)))
        else:
            if existing is not None and stat.S_ISDIR(existing.st_mode):
                raise CopyError(f"cannot overwrite directory {rel} with non-directory")
            if existing is not None:
                os.unlink(base, dir_fd=pfd)
            if ti.isfile():
                _write_file(pfd, base, data)
            elif ti.issym():
                os.symlink(ti.linkname, base, dir_fd=pfd)
            elif ti.islnk():
                target = clean_name(ti.linkname)
                tparent, _, tbase = target.rpartition("/")
                tfd = open_in_root(root, tparent, O_PATH | os.O_DIRECTORY)
                try:
                    os.link(tbase, base, src_dir_fd=tfd, dst_dir_fd=pfd, follow_symlinks=False)
                finally:
                    os.close(tfd)
                return
            elif ti.isfifo():
                os.mkfifo(base, 0o600, dir_fd=pfd)
            else:
                raise CopyError(f"{ti.name}: hutch cp does not copy device nodes or {ti.type!r} entries")
        os.chown(base, uid, gid, dir_fd=pfd, follow_symlinks=False)
        if not ti.issym():
            os.chmod(base, ti.mode & 0o7777, dir_fd=pfd)
            if not ti.isdir():
                os.utime(base, ns=(int(ti.mtime * 1e9),) * 2, dir_fd=pfd, follow_symlinks=False)
    finally:
        os.close(pfd)


def _write_file(pfd: int, base: str, data: Any) -> None:
    fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=pfd)
    with os.fdopen(fd, "wb") as out:
        if data is not None:
            while chunk := data.read(CHUNK):
                out.write(chunk)
