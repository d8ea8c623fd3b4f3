"""The engine's containers: records on disk, the overlayfs root, and the OCI runtime.

    ROOT/containers/<id>/container.json   the record (name, image, state, exit code)
    ROOT/containers/<id>/upper, work      the container's writable overlayfs layer
    ROOT/containers/<id>/merged           its root, mounted while it runs
    ROOT/containers/<id>/bundle           the OCI bundle the runtime gets (config.json)
    RUNROOT/runtime                       the OCI runtime's --root

The engine never forks into namespaces itself: it runs the OCI runtime's CLI (hutch-runtime
by default, or runc, crun...), as docker runs containerd and runc. Names are unique: a
flock on ROOT/containers/lock covers name checks and record writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys

from hutch import filelock
from hutch.engine import ocispec
from hutch.engine.volumes import VolumeStore
from hutch.errors import HutchError
from hutch.image.store import ImageStore, now_rfc3339

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_ROOT = "/var/lib/hutch"
DEFAULT_RUNROOT = "/run/hutch-engine"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


class ContainerNotFound(HutchError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"No such container: {ref}")


def find_runtime(name: str | None) -> str:
    """The OCI runtime binary: a path, a name on PATH, or (default) hutch-runtime beside `hutch`."""
    if name and "/" in name:
        if not os.access(name, os.X_OK):
            raise HutchError(f"--runtime {name}: not an executable file")
        return name
    if not name or name == "hutch-runtime":
        beside = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "hutch-runtime")
        if os.access(beside, os.X_OK):
            return beside
        name = "hutch-runtime"
    found = shutil.which(name)
    if found is None:
        raise HutchError(f"--runtime {name}: not found on PATH")
    return found


def runtime_failure_code(log: str, code: int) -> int:
    """docker's exit status when the runtime, not the container, failed (an error in its
    JSON log): 127 for a command that does not exist, 126 for one that cannot be run, 125
    for anything else. A container's own non-zero status passes through."""
    errors = []
    try:
        with open(log) as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("level") in ("error", "fatal"):
                    errors.append(str(entry.get("msg", "")).lower())
    except OSError:
        return code
    if not errors:
        return code
    msg = errors[-1]
    if "not found" in msg or "no such file or directory" in msg:
        return 127
    if "permission denied" in msg:
        return 126
    return 125


class Engine:
    def __init__(self, root: str = DEFAULT_ROOT, runroot: str = DEFAULT_RUNROOT,
                 runtime: str | None = None) -> None:
        self.root = root
        self.runroot = runroot
        self.images = ImageStore(os.path.join(root, "images"))
        self.dir = os.path.join(root, "containers")
        self.runtime_name = runtime

    # ---- records ------------------------------------------------------------------------

    def locked(self) -> contextlib.AbstractContextManager[None]:
        return filelock.locked(self.dir)

    def records(self) -> list[dict[str, Any]]:
        out = []
        try:
            ids = os.listdir(self.dir)
        except FileNotFoundError:
            return []
        for cid in ids:
            try:
                with open(os.path.join(self.dir, cid, "container.json")) as f:
                    out.append(json.load(f))
            except (OSError, ValueError):
                continue
        out.sort(key=lambda r: str(r.get("created", "")), reverse=True)
        return out

    def find(self, ref: str) -> dict[str, Any]:
        """A container by name, full id or unique id prefix."""
        records = self.records()
        for r in records:
            if ref in (r["name"], r["id"]):
                return r
        hits = [r for r in records if len(ref) >= 1 and r["id"].startswith(ref)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise HutchError(f"container id prefix {ref!r} is ambiguous")
        raise ContainerNotFound(ref)

    def _save(self, record: dict[str, Any]) -> None:
        path = os.path.join(self.dir, record["id"], "container.json")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(record, f, indent=2)
        os.replace(tmp, path)

    # ---- run ----------------------------------------------------------------------------

    def run(self, image_ref: str, opts: ocispec.RunOptions, name: str | None = None,
            remove: bool = False) -> int:
        """`hutch run` in the foreground: the container's exit status."""
        runtime = find_runtime(self.runtime_name)
        image = self.images.get(image_ref)
        lowers = self.images.snapshot_dirs(image)
        cid = secrets.token_hex(32)
        if name is not None and (not name or not set(name) <= _NAME_CHARS or not name[0].isalnum()):
            raise HutchError(f"invalid container name {name!r}: use [a-zA-Z0-9][a-zA-Z0-9_.-]*")
        cdir = os.path.join(self.dir, cid)
        merged = os.path.join(cdir, "merged")
        mounted = False
        with self.locked():
            if name is not None and any(r["name"] == name for r in self.records()):
                raise HutchError(f'the container name "{name}" is already in use')
            config = ocispec.build(image.config, merged, cid, opts, lowers, VolumeStore(self.root))
            config["linux"]["cgroupsPath"] = f"/hutch/{cid}"
            for sub in ("upper", "work", "merged", "bundle"):
                os.makedirs(os.path.join(cdir, sub))
            record: dict[str, Any] = {
                "id": cid, "name": name or f"hutch_{cid[:8]}", "image": image_ref, "image_id": image.id,
                "created": now_rfc3339(), "args": config["process"]["args"], "runtime": runtime,
                "labels": ocispec.labels(image.config, opts), "volumes": ocispec.volumes_of(config),
                "state": {"status": "created", "exit_code": 0, "started_at": "", "finished_at": ""},
            }
            self._save(record)
        try:
            self._mount(lowers, cdir)
            mounted = True
            bundle = os.path.join(cdir, "bundle")
            with open(os.path.join(bundle, "config.json"), "w") as f:
                json.dump(config, f, indent=2)
            record["state"].update(status="running", started_at=now_rfc3339())
            self._save(record)
            log = os.path.join(cdir, "runtime.log")
            argv = [runtime, "--root", os.path.join(self.runroot, "runtime"), "--log", log,
                    "--log-format", "json", "run", "--bundle", bundle, cid]
            code = subprocess.run(argv, check=False).returncode
            if code != 0:
                code = runtime_failure_code(log, code)
            record["state"].update(status="exited", exit_code=code, finished_at=now_rfc3339())
            self._save(record)
            return code
        except BaseException:
            remove = True  # a container that never ran is not kept
            raise
        finally:
            if mounted:
                self._unmount(merged)
            if remove:
                shutil.rmtree(cdir, ignore_errors=True)
                VolumeStore(self.root).remove_anonymous(record.get("volumes") or [])

    @staticmethod
    def _mount(lowers: list[str], cdir: str) -> None:
        from hutch._sys.mount import mount

        data = "lowerdir={},upperdir={},workdir={}".format(
            ":".join(reversed(lowers)), os.path.join(cdir, "upper"), os.path.join(cdir, "work"))
        try:
            mount("overlay", os.path.join(cdir, "merged"), "overlay", 0, data)
        except OSError as err:
            raise HutchError(f"cannot mount the container's overlayfs root: {err.strerror}") from err

    @staticmethod
    def _unmount(merged: str) -> None:
        from hutch._sys.mount import umount2

        with contextlib.suppress(OSError):
            umount2(merged, 2)  # MNT_DETACH: a process may still hold it for a moment

    # ---- rm -----------------------------------------------------------------------------

    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> str:
        record = self.find(ref)
        if record["state"]["status"] == "running" and not force:
            raise HutchError(f"cannot remove container {record['name']}: it is running (use -f)")
        runtime = record.get("runtime") or find_runtime(self.runtime_name)
        subprocess.run([runtime, "--root", os.path.join(self.runroot, "runtime"), "delete", "--force",
                        record["id"]], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cdir = os.path.join(self.dir, record["id"])
        self._unmount(os.path.join(cdir, "merged"))
        shutil.rmtree(cdir, ignore_errors=True)
        if volumes:
            VolumeStore(self.root).remove_anonymous(record.get("volumes") or [])
        return str(record["id"])
