"""Volumes, as docker's "local" driver keeps them:

    ROOT/volumes/<name>/_data         what the container sees (bind-mounted)
    ROOT/volumes/<name>/volume.json   name, created, labels, options
    ROOT/volumes/lock                 flock for creating and removing

A named volume (``-v NAME:/dst``, ``--mount type=volume,src=NAME``) is made on first use;
an anonymous one (``-v /dst``, an image's ``Volumes``) gets a 64-hex name and docker's
``com.docker.volume.anonymous`` label. A volume that is new, or still empty, gets the
image's content at its destination copied in (unless ``nocopy``), as docker does. The copy
reads the image through openat2(RESOLVE_IN_ROOT) and never follows a symlink out of it,
writes only into the fresh volume with O_EXCL|O_NOFOLLOW, and keeps owners, modes and mtimes.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import tempfile

from hutch import filelock
from hutch.engine.mounts import Mount, check_volume_name
from hutch.errors import Conflict, HutchError, NotFound
from hutch.util import atomic, timefmt
from hutch.util.rooted import open_in_root
from hutch.util.tree import remove_tree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

ANONYMOUS = "com.docker.volume.anonymous"
_MAX_DEPTH = 128


class VolumeNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"No such volume: {name}")


class VolumeStore:
    def __init__(self, engine_root: str) -> None:
        self.dir = os.path.join(engine_root, "volumes")

    def _vdir(self, name: str) -> str:
        return os.path.join(self.dir, check_volume_name(name))

    def data(self, name: str) -> str:
        return os.path.join(self._vdir(name), "_data")

    # ---- records ------------------------------------------------------------------------

    def get(self, name: str) -> dict[str, Any]:
        try:
            with open(os.path.join(self._vdir(name), "volume.json")) as f:
                doc: dict[str, Any] = json.load(f)
        except (OSError, ValueError):
            raise VolumeNotFound(name) from None
        doc["Mountpoint"] = self.data(name)
        return doc

    def all(self) -> list[dict[str, Any]]:
        try:
            names = sorted(os.listdir(self.dir))
        except FileNotFoundError:
            return []
        out = []
        for n in names:
            with contextlib.suppress(HutchError):
                out.append(self.get(n))
        return out

    def create(self, name: str = "", labels: dict[str, str] | None = None) -> tuple[dict[str, Any], bool]:
        """The volume ``name`` (a new anonymous one for ""), and whether it was made now."""
        with filelock.locked(self.dir):
            return self._create(name, labels)

    def _create(self, name: str, labels: dict[str, str] | None) -> tuple[dict[str, Any], bool]:
        anonymous = not name
        name = name or os.urandom(32).hex()
        vdir = self._vdir(name)
        try:
            os.mkdir(vdir, 0o701)
        except FileExistsError:
            return self.get(name), False
        try:
            os.mkdir(os.path.join(vdir, "_data"), 0o755)
            doc: dict[str, Any] = {"CreatedAt": timefmt.now_seconds(), "Driver": "local",
                                   "Labels": dict(labels or {}), "Name": name, "Options": {},
                                   "Scope": "local"}
            if anonymous:
                doc["Labels"][ANONYMOUS] = ""
            atomic.write(os.path.join(vdir, "volume.json"), json.dumps(doc, indent=2).encode(), 0o666,
                         durable=True)
        except BaseException:
            remove_tree(vdir)
            raise
        self._event("create", name)
        return self.get(name), True

    def _event(self, action: str, name: str) -> None:
        from hutch.engine import events

        events.emit(os.path.dirname(self.dir), events.VOLUME, action, name, {"driver": "local"})

    def remove(self, name: str, in_use: set[str]) -> None:
        with filelock.locked(self.dir):
            self.get(name)
            if name in in_use:
                raise Conflict(f"remove {name}: volume is in use by a container")
            remove_tree(self._vdir(name))
        self._event("destroy", name)

    def prune(self, in_use: set[str], everything: bool = False,
              wanted: Callable[[Mapping[str, str], str], bool] | None = None) -> list[str]:
        """Remove the unused volumes: the anonymous ones, or all with ``everything`` (docker 23);
        with ``wanted``, only those it keeps (by their labels and creation time)."""
        gone = []
        for v in self.all():
            if v["Name"] in in_use or not (everything or ANONYMOUS in v.get("Labels", {})):
                continue
            if wanted is not None and not wanted(v.get("Labels") or {}, str(v.get("CreatedAt", ""))):
                continue
            with contextlib.suppress(HutchError):
                self.remove(v["Name"], in_use)
                gone.append(v["Name"])
        return gone

    # ---- for containers -----------------------------------------------------------------

    def attach(self, requests: list[Mount], image_volumes: list[str],
               layers: list[str]) -> tuple[list[tuple[Mount, str]], list[dict[str, Any]]]:
        """``requests`` with their host paths (a bind's source, a volume's _data directory),
        plus an anonymous volume for each of the image's ``Volumes`` no request covers; and
        the volumes used (the record's ``volumes``)."""
        targets = {r.target for r in requests}
        reqs = list(requests)
        for dst in image_volumes:
            path = os.path.normpath(dst) if dst.startswith("/") else ""
            if path and path != "/" and path not in targets:
                reqs.append(Mount("volume", "", path))
                targets.add(path)
        mounts: list[tuple[Mount, str]] = []
        used: list[dict[str, Any]] = []
        made: list[str] = []
        try:
            for r in reqs:
                if r.kind != "volume":
                    mounts.append((r, r.source))
                    continue
                doc, new = self.create(r.source)
                if new:
                    made.append(doc["Name"])
                if not r.nocopy and not os.listdir(doc["Mountpoint"]):
                    copy_up(layers, r.target, doc["Mountpoint"])
                mounts.append((r, doc["Mountpoint"]))
                used.append({"Name": doc["Name"], "Destination": r.target, "Anonymous": not r.source,
                             **({"ReadOnly": True} if r.readonly else {})})
        except BaseException:
            for name in made:
                remove_tree(self._vdir(name))
            raise
        return mounts, used

    def remove_anonymous(self, used: list[dict[str, Any]]) -> None:
        """Drop a container's anonymous volumes (`rm -v`, `run --rm`)."""
        for v in used:
            if v.get("Anonymous"):
                with contextlib.suppress(HutchError, OSError):
                    remove_tree(self._vdir(str(v["Name"])))
                    self._event("destroy", str(v["Name"]))


def copy_up(layers: list[str], target: str, data: str) -> None:
    """Copy the image's directory ``target`` (layers bottom first) into ``data``."""
    if not layers:
        return
    if len(layers) == 1:
        _copy_from(layers[0], target, data)
        return
    from hutch._sys.mount import mount, umount2

    view = tempfile.mkdtemp(prefix="hutch-copyup-", dir=os.path.dirname(os.path.dirname(data)))
    try:
        try:
            mount("overlay", view, "overlay", 1, "lowerdir=" + ":".join(reversed(layers)))  # MS_RDONLY
        except OSError as err:
            raise HutchError(f"volume {target}: cannot mount the image to copy from: {err.strerror}") from err
        try:
            _copy_from(view, target, data)
        finally:
            umount2(view, 2)
    finally:
        os.rmdir(view)


def _copy_from(root: str, target: str, data: str) -> None:
    rfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            src = open_in_root(rfd, target, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ENOTDIR):
                return  # nothing in the image there
            raise HutchError(f"volume {target}: cannot read the image's {target}: {err.strerror}") from err
    finally:
        os.close(rfd)
    try:
        dst = os.open(data, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            _copy_dir(src, dst, 0)
            st = os.fstat(src)
            os.fchown(dst, st.st_uid, st.st_gid)
            os.fchmod(dst, stat.S_IMODE(st.st_mode))
        finally:
            os.close(dst)
    except OSError as err:
        raise HutchError(f"volume {target}: copying the image's content failed: {err}") from err
    finally:
        os.close(src)


def _keep_meta(fd: int, st: os.stat_result, mode: int) -> None:
    """The copy keeps the original's owner, mode and times."""
    os.fchown(fd, st.st_uid, st.st_gid)
    os.fchmod(fd, mode)
    os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))


def _copy_dir(src: int, dst: int, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise HutchError(f"copying into a volume: more than {_MAX_DEPTH} levels of directories")
    nofollow = os.O_NOFOLLOW | os.O_CLOEXEC
    for name in os.listdir(src):
        st = os.stat(name, dir_fd=src, follow_symlinks=False)
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISDIR(st.st_mode):
            os.mkdir(name, 0o700, dir_fd=dst)
            s = os.open(name, os.O_RDONLY | os.O_DIRECTORY | nofollow, dir_fd=src)
            try:
                d = os.open(name, os.O_RDONLY | os.O_DIRECTORY | nofollow, dir_fd=dst)
                try:
                    _copy_dir(s, d, depth + 1)
                    _keep_meta(d, st, mode)
                finally:
                    os.close(d)
            finally:
                os.close(s)
        elif stat.S_ISREG(st.st_mode):
            s = os.open(name, os.O_RDONLY | nofollow, dir_fd=src)
            try:
                d = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow, 0o600, dir_fd=dst)
                try:
                    while os.sendfile(d, s, None, 1 << 20) > 0:
                        pass
                    _keep_meta(d, st, mode)
                finally:
                    os.close(d)
            finally:
                os.close(s)
        elif stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(name, dir_fd=src), name, dir_fd=dst)
            os.chown(name, st.st_uid, st.st_gid, dir_fd=dst, follow_symlinks=False)
        # device nodes, fifos, sockets (and whiteouts): not copied
