"""`hutch commit`: a container's writable layer as a new image (docker's semantics).

The new image is the container's image plus one layer (the overlayfs upper directory, see
hutch.image.commit), with the container's command and environment as its Cmd and Env
(docker does the same), then the ``--change`` instructions. The layer is written to a
temporary file in the store's ingest directory, streamed into the content store (hashed,
fsync'd, renamed), and unpacked into its snapshot before anything is named: a commit that
fails anywhere (a full disk, a bad --change) leaves no blob or snapshot behind.

A running container is paused for the copy (``runtime pause``/``resume``), as docker does.
"""

from __future__ import annotations

import contextlib
import json
import os

from hutch.engine.model import RUNNING
from hutch.errors import HutchError
from hutch.image import commit as layer
from hutch.image import reference
from hutch.image.store import LAYER, Image, chain_ids
from hutch.util import timefmt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from hutch.engine.containers import Engine


def _runtime(eng: Engine, record: dict[str, Any], verb: str) -> None:
    r = eng.runtime(record).call(verb, record["id"])
    if r.returncode != 0:
        msg = (r.stderr.decode(errors="replace").strip().splitlines() or [f"exit status {r.returncode}"])[-1]
        raise HutchError(f"cannot {verb} container {record['name']}: {msg}")


def pause(eng: Engine, record: dict[str, Any]) -> None:
    """Freeze the running container's processes (its runtime's `pause`)."""
    _runtime(eng, record, "pause")


def resume(eng: Engine, record: dict[str, Any]) -> None:
    _runtime(eng, record, "resume")


@contextlib.contextmanager
def paused(eng: Engine, record: dict[str, Any], wanted: bool = True) -> Iterator[None]:
    """The container frozen for the block when it is running (and ``wanted``)."""
    if not wanted or record["state"]["status"] != RUNNING:
        yield
        return
    pause(eng, record)
    try:
        yield
    finally:
        resume(eng, record)


def image_config(eng: Engine, record: dict[str, Any]) -> dict[str, Any]:
    """The config of the container's image (by id: it may have lost its names since)."""
    config: dict[str, Any] = json.loads(eng.images.content.read(record["image_id"]))
    return config


def lowers(eng: Engine, record: dict[str, Any]) -> list[str]:
    """The container's image layers, bottom first, unpacked again if a snapshot is missing."""
    diff_ids = list(image_config(eng, record).get("rootfs", {}).get("diff_ids", []))
    return eng.images.snapshot(diff_ids, eng.images.layers_of(record["image_id"]))


def _container_config(eng: Engine, record: dict[str, Any], parent: dict[str, Any]) -> dict[str, Any]:
    """The parent's ``config`` with the container's command, environment and workdir."""
    inner = dict(parent.get("config") or {})
    kept = record.get("config") or {}
    args = list(record.get("args") or [])
    entry = list(inner.get("Entrypoint") or [])
    if "entrypoint" in kept:  # as docker: the container's own Entrypoint and Cmd, apart
        inner["Entrypoint"], inner["Cmd"] = list(kept["entrypoint"]) or None, list(kept["cmd"]) or None
        inner = {k: v for k, v in inner.items() if v is not None}
    elif args:  # (a record from before they were kept)
        if entry and args[:len(entry)] == entry:
            inner["Cmd"] = args[len(entry):]
        else:
            inner.pop("Entrypoint", None)
            inner["Cmd"] = args
    try:
        with open(eng.layout(record["id"]).config) as f:
            process = json.load(f).get("process", {})
    except (OSError, ValueError):
        process = {}
    if process.get("env"):
        inner["Env"] = list(process["env"])
    if process.get("cwd") and process["cwd"] != "/":
        inner["WorkingDir"] = process["cwd"]
    return {**parent, "config": inner}


def commit(eng: Engine, ref: str, repo: str | None = None, message: str = "", author: str = "",
           changes: list[str] | None = None, pause_it: bool = True) -> Image:
    """Commit the container ``ref``; the new image (tagged ``repo`` when given)."""
    record = eng.find(ref)
    if repo is not None:
        reference.parse(repo)
    store = eng.images
    parent = _container_config(eng, record, image_config(eng, record))
    created = timefmt.now()
    created_by = " ".join(record.get("args") or [])
    # a bad --change fails here, before any blob is written
    layer.new_config(parent, "sha256:" + "0" * 64, created, created_by, message, author, changes)
    upper = eng.layout(record["id"]).upper
    try:
        with paused(eng, record, pause_it):
            diff_id, _ = store.content.ingest_written(lambda out: layer.write_diff(upper, out))
    except OSError as err:
        raise HutchError(f"commit {record['name']}: {err.strerror or err}") from err
    parent_ids = list(parent.get("rootfs", {}).get("diff_ids", []))
    diff_ids = [*parent_ids, diff_id]
    config = layer.new_config(parent, diff_id, created, created_by, message, author, changes)
    layers = [(str(d["digest"]), int(d.get("size") or os.path.getsize(store.content.path(d["digest"]))),
               str(d.get("mediaType") or LAYER), diff)
              for d, diff in zip(store.layers_of(record["image_id"]), parent_ids, strict=True)]
    layers.append((diff_id, os.path.getsize(store.content.path(diff_id)), LAYER, diff_id))
    previous = _named(eng, repo)
    try:
        store.snapshot(diff_ids, [{"digest": dg, "mediaType": mt} for dg, _, mt, _ in layers])
        image = store.add_image(layers, config, repo)
        if repo is None:
            store.keep_untagged(image.manifest_digest)
        elif previous is not None and previous.names == [reference.normalize(repo)]:
            store.keep_untagged(previous.manifest_digest)  # docker: the old image is now <none>
    except BaseException:
        _forget_layer(eng, diff_ids)
        raise
    return image


def _named(eng: Engine, repo: str | None) -> Image | None:
    from hutch.image.store import ImageNotFound

    if repo is None:
        return None
    try:
        return eng.images.get(repo)
    except ImageNotFound:
        return None


def _forget_layer(eng: Engine, diff_ids: list[str]) -> None:
    """Drop the new top layer's blob and snapshot after a failed commit (unless another
    image has the same layer)."""
    from hutch.util.tree import remove_tree

    top = chain_ids(diff_ids)[-1].removeprefix("sha256:")
    digest = diff_ids[-1]
    for image in eng.images.images():
        if digest in image.diff_ids:
            return
    eng.images.content.delete(digest)
    remove_tree(os.path.join(eng.images.snapshots, top))
