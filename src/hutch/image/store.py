"""The engine's image store: an OCI image layout under the engine root, plus snapshots.

    ROOT/oci-layout, ROOT/index.json   the layout; each tagged manifest in index.json
                                       carries its name in org.opencontainers.image.ref.name
    ROOT/blobs/sha256/<hex>            manifests, configs, layers (hutch.image.content)
    ROOT/snapshots/<chain id hex>/fs   each layer unpacked once, over its parents
                                       (overlayfs lower directories; "chain id" as in the
                                       OCI image spec), complete once ``fs`` is renamed in

Writers hold an exclusive flock on ROOT/lock, so two hutch processes never interleave
index updates; the index is replaced atomically (write, fsync, rename).
"""

from __future__ import annotations

import errno
import os

from hutch import errors, filelock
from hutch.errors import HutchError
from hutch.fastjson import loads
from hutch.image import reference
from hutch.image.content import CHUNK, ContentStore, Counting, Hashing, sha256_of
from hutch.util import arch, atomic, timefmt
from hutch.util.ignoring import ignoring
from hutch.util.tree import remove_tree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from typing import Any, BinaryIO

REF_NAME = "org.opencontainers.image.ref.name"
#: an index entry's annotation: a build step's image, not an image of its own (hutch.build)
INTERMEDIATE = "io.github.hutch.build.intermediate"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


class ImageNotFound(errors.ImageNotFound):
    def __init__(self, ref: str) -> None:
        super().__init__(f"No such image: {ref}")


def chain_ids(diff_ids: list[str]) -> list[str]:
    """The OCI chain id of each layer prefix: ChainID(L1) = DiffID(L1),
    ChainID(L1..Ln) = sha256(ChainID(L1..Ln-1) + " " + DiffID(Ln))."""
    out: list[str] = []
    for d in diff_ids:
        out.append(d if not out else sha256_of(f"{out[-1]} {d}".encode()))
    return out


class Image:
    """One manifest of the store: its digest, names (full tags, ``docker.io/library/x:1``),
    repo digests (``docker.io/library/x@sha256:...``: the digest a registry gave it, maybe
    of an index), config, and layers."""

    def __init__(self, store: ImageStore, manifest_digest: str, names: list[str],
                 repo_digests: list[str] | None = None, intermediate: bool = False) -> None:
        self.manifest_digest = manifest_digest
        self.intermediate = intermediate  # (a build step's: hutch.build)
        self.names = names
        self.repo_digests = repo_digests or []
        self.manifest: dict[str, Any] = _object(store.content.read(manifest_digest), manifest_digest)
        self.config_digest: str = self.manifest["config"]["digest"]
        self.config: dict[str, Any] = _object(store.content.read(self.config_digest), self.config_digest)

    @property
    def id(self) -> str:
        """docker's image id: the config's digest."""
        return self.config_digest

    @property
    def size(self) -> int:
        return sum(int(layer.get("size", 0)) for layer in self.manifest.get("layers", []))

    @property
    def diff_ids(self) -> list[str]:
        return list(self.config.get("rootfs", {}).get("diff_ids", []))

    @property
    def layers(self) -> list[dict[str, Any]]:
        """The manifest's layer descriptors, bottom first."""
        return list(self.manifest.get("layers", []))


class ImageStore:
    def __init__(self, root: str) -> None:
        self.root = root
        self.content = ContentStore(root)
        self.snapshots = os.path.join(root, "snapshots")

    # ---- the index --------------------------------------------------------------------

    def locked(self) -> AbstractContextManager[None]:
        return filelock.locked(self.root)

    def _index(self) -> dict[str, Any]:
        try:
            with open(os.path.join(self.root, "index.json"), "rb") as f:
                index = loads(f.read())
        except FileNotFoundError:
            return {"schemaVersion": 2, "manifests": []}
        if not isinstance(index, dict):
            raise HutchError(f"{self.root}/index.json is not a JSON object")
        return index

    def _save_index(self, index: dict[str, Any]) -> None:
        layout = os.path.join(self.root, "oci-layout")
        if not os.path.exists(layout):
            atomic.write(layout, b'{"imageLayoutVersion": "1.0.0"}', 0o666, durable=True)
        import json

        atomic.write(os.path.join(self.root, "index.json"), json.dumps(index, indent=2).encode(), 0o666,
                     durable=True)

    def tag(self, ref: str, manifest_digest: str) -> None:
        """Point ``ref`` (a tag, or ``NAME@DIGEST``: a repo digest) at the manifest,
        replacing what it named before."""
        self.set_names(manifest_digest, [ref])

    def set_names(self, manifest_digest: str, refs: list[str]) -> None:
        """Point every name in ``refs`` at the manifest, in one index update."""
        names = [reference.normalize(r) for r in refs]
        size = len(self.content.read(manifest_digest))
        manifest: Any = loads(self.content.read(manifest_digest))
        media_type = str(manifest.get("mediaType") or MANIFEST)
        with self.locked():
            index = self._index()
            index["manifests"] = [m for m in index["manifests"] if _name_of(m) not in names]
            for name in names:
                index["manifests"].append({"mediaType": media_type, "digest": manifest_digest, "size": size,
                                           "annotations": {REF_NAME: name}})
            self._save_index(index)

    def keep_untagged(self, manifest_digest: str, intermediate: bool = False) -> None:
        """List the manifest in the index without a name (docker's ``<none>:<none>``),
        unless the index has it already; ``intermediate``: a build step's image (`images`
        shows it with -a only; the build cache names it), else it is an image of its own now."""
        size = len(self.content.read(manifest_digest))
        with self.locked():
            index = self._index()
            same = [m for m in index["manifests"] if m["digest"] == manifest_digest]
            if not same:
                entry: dict[str, Any] = {"mediaType": MANIFEST, "digest": manifest_digest, "size": size}
                if intermediate:
                    entry["annotations"] = {INTERMEDIATE: "true"}
                index["manifests"].append(entry)
            elif not intermediate and any(INTERMEDIATE in m.get("annotations", {}) for m in same):
                for m in same:
                    m.get("annotations", {}).pop(INTERMEDIATE, None)
            else:
                return
            self._save_index(index)

    def untag(self, ref: str) -> list[str]:
        """Remove the name ``ref`` (a tag or a repo digest); the names removed. As docker,
        an image that loses its last tag loses its repo digests too (it is gone)."""
        name = reference.normalize(ref)
        with self.locked():
            index = self._index()
            found = [m for m in index["manifests"] if _name_of(m) == name]
            if not found:
                raise ImageNotFound(ref)
            digest = found[0]["digest"]
            index["manifests"] = [m for m in index["manifests"] if m not in found]
            removed = [name]
            same = [m for m in index["manifests"] if m["digest"] == digest]
            if not any("@" not in _name_of(m) and _name_of(m) for m in same):
                index["manifests"] = [m for m in index["manifests"] if m["digest"] != digest]
                removed += [_name_of(m) for m in same if _name_of(m)]
            self._save_index(index)
        return removed

    def images(self) -> list[Image]:
        """Every manifest in the index, with its names, newest first."""
        names: dict[str, list[str]] = {}
        steps: dict[str, bool] = {}  # digest -> only a build step's (no name, INTERMEDIATE)
        for m in self._index()["manifests"]:
            names.setdefault(m["digest"], []).append(_name_of(m))
            step = not _name_of(m) and INTERMEDIATE in m.get("annotations", {})
            steps[m["digest"]] = steps.get(m["digest"], True) and step
        out = []
        for digest, ns in names.items():
            full = [n for n in ns if n]
            out.append(Image(self, digest, [n for n in full if "@" not in n], [n for n in full if "@" in n],
                             intermediate=steps[digest]))
        out.sort(key=lambda i: str(i.config.get("created", "")), reverse=True)
        return out

    def get(self, ref: str) -> Image:
        """The image a name (tag or digest reference), an image id or an unambiguous id
        prefix (>= 4 hex digits) names."""
        want = ref.removeprefix("sha256:")
        images = self.images()
        looks_like_id = len(want) >= 4 and all(c in "0123456789abcdef" for c in want)
        if (":" not in ref or ref.startswith("sha256:")) and looks_like_id:
            hits = [i for i in images if i.id.removeprefix("sha256:").startswith(want)]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise HutchError(f"image id prefix {ref!r} is ambiguous")
        try:
            r = reference.parse(ref)
        except HutchError:
            raise ImageNotFound(ref) from None
        if r.digest:  # NAME@DIGEST: a repo digest, or the manifest's own digest
            for i in images:
                if f"{r.name}@{r.digest}" in i.repo_digests or (
                        i.manifest_digest == r.digest and any(n.startswith(r.name + ":") or
                                                               n.startswith(r.name + "@")
                                                               for n in i.names + i.repo_digests)):
                    return i
            raise ImageNotFound(ref)
        name = str(r)
        for i in images:
            if name in i.names:
                return i
        raise ImageNotFound(ref)

    def layers_of(self, config_digest: str) -> list[dict[str, Any]]:
        """The layer descriptors of an image given by its id (a container's image may have
        lost its names): from a manifest in the store that has this config, else the
        config's diff ids as uncompressed blobs (what import, load and commit store)."""
        for image in self.images():
            if image.config_digest == config_digest:
                return image.layers
        config: Any = loads(self.content.read(config_digest))
        return [{"mediaType": LAYER, "digest": d} for d in config.get("rootfs", {}).get("diff_ids", [])]

    # ---- writing images ---------------------------------------------------------------

    def add_image(self, layers: list[tuple[str, int, str, str]], config: dict[str, Any],
                  ref: str | None) -> Image:
        """Store a config and manifest for ``layers`` (digest, size, media type, diff id),
        whose blobs are in the store already; tag it ``ref``."""
        import json

        config = dict(config)
        config.setdefault("rootfs", {})["type"] = "layers"
        config["rootfs"]["diff_ids"] = [layer[3] for layer in layers]
        config_bytes = json.dumps(config, separators=(",", ":")).encode()
        new: list[str] = []  # blobs this call added: dropped again if it fails (a full disk)

        def put(data: bytes) -> str:
            digest = sha256_of(data)
            if not self.content.has(digest):
                new.append(digest)
            return self.content.put(data, digest)

        try:
            config_digest = put(config_bytes)
            manifest = {
                "schemaVersion": 2,
                "mediaType": MANIFEST,
                "config": {"mediaType": CONFIG, "digest": config_digest, "size": len(config_bytes)},
                "layers": [{"mediaType": mt, "digest": dg, "size": size} for dg, size, mt, _ in layers],
            }
            manifest_digest = put(json.dumps(manifest, separators=(",", ":")).encode())
            if ref is not None:
                self.tag(ref, manifest_digest)
        except BaseException:
            for digest in new:
                self.content.delete(digest)
            raise
        return Image(self, manifest_digest, [reference.normalize(ref)] if ref else [])

    def import_rootfs(self, src: BinaryIO, ref: str | None, changes: dict[str, Any] | None = None,
                      comment: str = "") -> Image:
        """``hutch import``: a root filesystem tarball (plain, or gzip, bzip2, xz or zstd
        compressed: stored uncompressed) as a one-layer image.

        The tarball is checked by unpacking it into its snapshot before anything is
        tagged: a tarball that is not one, or that escapes, leaves the store unchanged.
        """
        if ref is not None:
            reference.parse(ref)
        from hutch.image import compression

        digest, size = self.content.ingest(compression.detect(src))
        diff_id = digest  # the blob is the uncompressed tar
        had_snapshot = os.path.isdir(self.snapshot_path([diff_id]))
        try:
            self.snapshot([diff_id], [{"digest": digest, "mediaType": LAYER}])
            created = timefmt.now()
            config: dict[str, Any] = {"created": created, "architecture": arch.goarch(), "os": "linux",
                                      "config": dict(changes or {}),
                                      "history": [{"created": created, "created_by": "hutch import",
                                                   **({"comment": comment} if comment else {})}]}
            return self.add_image([(digest, size, LAYER, diff_id)], config, ref)
        except BaseException:
            if self._unreferenced(digest) and not had_snapshot:
                remove_tree(os.path.dirname(self.snapshot_path([diff_id])))
            raise

    def snapshot_path(self, diff_ids: list[str]) -> str:
        """Where the snapshot of the layers ``diff_ids`` (bottom first) is: its fs directory."""
        chain = chain_ids(diff_ids)[-1]
        return os.path.join(self.snapshots, chain.removeprefix("sha256:"), "fs")

    def _unreferenced(self, digest: str) -> bool:
        """Drop a blob no manifest names (a failed import's layer); whether it was dropped."""
        for image in self.images():
            if any(layer["digest"] == digest for layer in image.manifest.get("layers", [])):
                return False
        self.content.delete(digest)
        return True

    # ---- snapshots --------------------------------------------------------------------

    def snapshot_dirs(self, image: Image) -> list[str]:
        """The image's unpacked layers, bottom first (unpacking any that are missing)."""
        return self.snapshot(image.diff_ids, image.layers)

    def snapshot(self, diff_ids: list[str], layers: list[dict[str, Any]]) -> list[str]:
        """The snapshot directories of the layers (descriptors: digest, mediaType; bottom
        first), unpacking those that are missing; ``unpack_layer`` says how."""
        if len(diff_ids) != len(layers):
            raise HutchError(f"the image has {len(layers)} layers but {len(diff_ids)} diff ids")
        return [self.unpack_layer(diff_ids[:i + 1], layer) for i, layer in enumerate(layers)]

    def unpack_layer(self, diff_ids: list[str], layer: dict[str, Any], path: str | None = None,
                     on_read: Callable[[int], None] | None = None, check_blob: bool = True) -> str:
        """The snapshot of the layer ``layer`` over its parents (``diff_ids``: the chain,
        this layer's last). Unpacked once: into a work directory that is renamed to
        ``fs`` when complete, decompressed as its media type says, and checked against
        its diff id (the sha256 of the uncompressed tar) before it is renamed. The blob is
        read from ``path`` when given (a pull's download, not in the store yet);
        ``on_read`` hears how many of its bytes were read so far. The blob's own digest is
        checked too, unless ``check_blob`` is off (a pull has just checked it)."""
        chain = chain_ids(diff_ids)[-1]
        top = os.path.join(self.snapshots, chain.removeprefix("sha256:"))
        fs = os.path.join(top, "fs")
        if os.path.isdir(fs):
            return fs
        from hutch.image import unpack  # (with ctypes: only when a layer is unpacked)

        os.makedirs(top, exist_ok=True)
        work = os.path.join(top, f"unpacking-{os.urandom(6).hex()}")
        os.mkdir(work, 0o755)
        blob = path or self.content.path(layer["digest"])
        try:
            with open(blob, "rb") as raw:
                f: Any = Counting(raw, on_read, 4 << 20) if on_read is not None else raw
                packed = Hashing(f) if check_blob else None
                stream = Hashing(layer_reader(packed or f, str(layer.get("mediaType", ""))))
                unpack.apply(stream, work)  # type: ignore[arg-type]  # a duck-typed reader
                while stream.read(CHUNK):  # tar's end blocks and padding count too
                    pass
                if packed is not None:
                    while packed.read(CHUNK):
                        pass
                    if packed.digest != layer["digest"]:
                        raise HutchError(f"layer blob {layer['digest']} in the store does not match its "
                                         f"digest ({packed.digest}): pull the image again")
            if stream.digest != diff_ids[-1]:
                raise HutchError(f"layer {layer['digest']}: its content is {stream.digest}, "
                                 f"the image config says {diff_ids[-1]}")
            try:
                os.rename(work, fs)
            except OSError as err:  # another process unpacked the same layer meanwhile: use its
                if err.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not os.path.isdir(fs):
                    raise
                remove_tree(work)
        except HutchError as err:
            remove_tree(work)
            with ignoring(OSError):
                os.rmdir(top)
            if layer["digest"] in str(err):
                raise
            raise HutchError(f"layer {layer['digest']}: {err}") from err
        except FileNotFoundError as err:
            remove_tree(work)
            with ignoring(OSError):
                os.rmdir(top)
            if err.filename == blob:
                raise HutchError(f"layer {layer['digest']} is not in the store: pull the image again") \
                    from err
            raise
        except BaseException:
            remove_tree(work)
            with ignoring(OSError):
                os.rmdir(top)
            raise
        return fs


def layer_reader(f: Any, media_type: str) -> Any:
    """A reader of the uncompressed tar in the layer blob ``f``. The media type must be a
    layer's (encrypted ones are refused); the compression is told by the first bytes, as
    containerd does: registries serve blobs whose media type and content disagree (skopeo
    reuses a plain blob under a ``+gzip`` type)."""
    from hutch.image import compression

    if media_type:
        compression.compression_of(media_type)
    return compression.detect(f)


def _name_of(entry: dict[str, Any]) -> str:
    """An index entry's name, normalised (stores written before names were full ones
    said ``busybox:1``); "" for none."""
    name = str(entry.get("annotations", {}).get(REF_NAME, ""))
    if not name:
        return ""
    try:
        return reference.normalize(name)
    except HutchError:
        return name


def _object(blob: bytes, digest: str) -> dict[str, Any]:
    """A JSON object blob of the store (a manifest, a config)."""
    doc = loads(blob)
    if not isinstance(doc, dict):
        raise HutchError(f"blob {digest} is not a JSON object")
    return doc


