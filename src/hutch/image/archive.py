"""`hutch save` and `hutch load`: docker-archive and OCI-archive tarballs.

- docker-archive (what ``docker save`` and ``podman save`` write): ``manifest.json`` lists,
  per image, its config file (named by the config's sha256, which is the image id), its
  ``RepoTags`` and its layer tarballs (plain or gzip'd) bottom first.
- oci-archive (``podman save --format oci-archive``, ``skopeo copy oci-archive:``): an OCI
  image layout in a tar: ``oci-layout``, ``index.json`` (a tag in each manifest's
  ``org.opencontainers.image.ref.name``), ``blobs/sha256/...``.

Loading verifies everything against its digest: every blob of an OCI archive, and, for a
docker archive, each layer's uncompressed sha256 against the config's ``diff_ids``. Layers
are stored uncompressed (their blob digest is their diff id). An archive that fails any
check adds nothing to the store's index (blobs already written are kept only if named).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

from hutch.errors import HutchError
from hutch.image import reference
from hutch.image.store import LAYER, REF_NAME, Image, ImageStore, decompressed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any


class ArchiveError(HutchError):
    pass


class _Hashing:
    """Reads ``src``, hashing what it reads."""

    def __init__(self, src: IO[bytes]) -> None:
        self.src, self.h = src, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.src.read(n)
        self.h.update(data)
        return data


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    name = name.removeprefix("./")
    for candidate in (name, "./" + name):
        try:
            f = tar.extractfile(candidate)
        except KeyError:
            continue
        if f is not None:
            return f
    raise ArchiveError(f"the archive has no file {name!r}")


def _json(tar: tarfile.TarFile, name: str) -> Any:
    try:
        return json.loads(_member(tar, name).read())
    except ValueError as err:
        raise ArchiveError(f"{name} in the archive is not JSON: {err}") from err


def load(store: ImageStore, path: str) -> list[str]:
    """Load every image in the archive at ``path``; the names (or ids) loaded."""
    try:
        tar = tarfile.open(path, "r:*")  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, OSError) as err:
        raise ArchiveError(f"{path} is not a tar archive ({err})") from err
    with tar:
        names = set(tar.getnames())
        if "manifest.json" in names or "./manifest.json" in names:
            return _load_docker(store, tar)
        if "index.json" in names or "./index.json" in names:
            return _load_oci(store, tar)
    raise ArchiveError(f"{path} is neither a docker archive (manifest.json) nor an OCI archive (index.json)")


def _load_docker(store: ImageStore, tar: tarfile.TarFile) -> list[str]:
    entries = _json(tar, "manifest.json")
    if not isinstance(entries, list) or not entries:
        raise ArchiveError("manifest.json lists no image")
    loaded: list[str] = []
    for entry in entries:
        config_bytes = _member(tar, str(entry.get("Config", ""))).read()
        config = json.loads(config_bytes)
        diff_ids = list(config.get("rootfs", {}).get("diff_ids", []))
        layer_files = list(entry.get("Layers") or [])
        if len(diff_ids) != len(layer_files):
            raise ArchiveError(f"{entry.get('Config')}: {len(layer_files)} layers but "
                               f"{len(diff_ids)} diff_ids")
        layers = []
        for name, diff_id in zip(layer_files, diff_ids, strict=True):
            digest, size = store.content.ingest(decompressed(_member(tar, name)))
            if digest != diff_id:
                raise ArchiveError(f"layer {name}: its content is {digest}, the config says {diff_id}")
            layers.append((digest, size, LAYER, diff_id))
        tags = [reference.normalize(t) for t in entry.get("RepoTags") or []]
        image = _add(store, layers, config_bytes, tags)
        loaded += tags or [image.id]
    return loaded


def _add(store: ImageStore, layers: list[tuple[str, int, str, str]], config_bytes: bytes,
         tags: list[str]) -> Image:
    """Store the config as it is (its digest is the image id) and a manifest; tag it."""
    from hutch.image.store import CONFIG, MANIFEST

    config_digest = store.content.put(config_bytes)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST,
                "config": {"mediaType": CONFIG, "digest": config_digest, "size": len(config_bytes)},
                "layers": [{"mediaType": mt, "digest": d, "size": s} for d, s, mt, _ in layers]}
    digest = store.content.put(json.dumps(manifest, separators=(",", ":")).encode())
    image = Image(store, digest, tags)
    store.snapshot_dirs(image)  # unpacks now: a layer that is not a good tar fails the load
    for t in tags:
        store.tag(t, digest)
    return image


def _load_oci(store: ImageStore, tar: tarfile.TarFile) -> list[str]:
    index = _json(tar, "index.json")
    loaded: list[str] = []
    for desc in index.get("manifests", []):
        manifest_desc = _pick_platform(tar, desc)
        manifest = json.loads(_blob(store, tar, manifest_desc["digest"]))
        config_bytes = _blob(store, tar, manifest["config"]["digest"])
        config = json.loads(config_bytes)
        diff_ids = list(config.get("rootfs", {}).get("diff_ids", []))
        if len(diff_ids) != len(manifest.get("layers", [])):
            raise ArchiveError(f"manifest {manifest_desc['digest']}: layers and diff_ids do not match")
        layers = []
        for layer, diff_id in zip(manifest.get("layers", []), diff_ids, strict=True):
            blob = _member(tar, f"blobs/sha256/{layer['digest'].removeprefix('sha256:')}")
            raw = _Hashing(blob)  # the blob's digest is of its compressed bytes
            digest, size = store.content.ingest(decompressed(raw))  # type: ignore[arg-type]  # duck-typed reader
            if "sha256:" + raw.h.hexdigest() != layer["digest"]:
                raise ArchiveError(f"layer blob {layer['digest']} does not match its digest")
            if digest != diff_id:
                raise ArchiveError(f"layer {layer['digest']}: its content is {digest}, "
                                   f"the config says {diff_id}")
            layers.append((digest, size, LAYER, diff_id))
        # a full NAME:TAG names the image; a bare tag (as skopeo writes) has no repository
        name = str(desc.get("annotations", {}).get(REF_NAME, ""))
        tags = [reference.normalize(name)] if ":" in name or "/" in name else []
        image = _add(store, layers, config_bytes, tags)
        loaded += tags or [image.id]
    return loaded


def _pick_platform(tar: tarfile.TarFile, desc: dict[str, Any]) -> dict[str, Any]:
    """A manifest descriptor; from an image index, the one for linux and this architecture."""
    if desc.get("mediaType") != "application/vnd.oci.image.index.v1+json":
        return desc
    from hutch.seccomp.profile import GOARCH

    arch = GOARCH.get(os.uname().machine, os.uname().machine)
    inner = json.loads(_member(tar, f"blobs/sha256/{desc['digest'].removeprefix('sha256:')}").read())
    for m in inner.get("manifests", []):
        p = m.get("platform", {})
        if p.get("os") == "linux" and p.get("architecture") == arch:
            return dict(m)
    raise ArchiveError(f"index {desc['digest']} has no manifest for linux/{arch}")


def _blob(store: ImageStore, tar: tarfile.TarFile, digest: str) -> bytes:
    data = _member(tar, f"blobs/sha256/{digest.removeprefix('sha256:')}").read()
    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
        raise ArchiveError(f"blob {digest} does not match its digest")
    return data


def save(store: ImageStore, refs: list[str], path: str, fmt: str = "docker-archive") -> None:
    """Write the images ``refs`` to ``path`` as a docker-archive or an oci-archive."""
    if fmt not in ("docker-archive", "oci-archive"):
        raise ArchiveError(f"--format {fmt!r}: use docker-archive or oci-archive")
    images = [(ref, store.get(ref)) for ref in refs]
    tmp = f"{path}.tmp-hutch"
    try:
        with tarfile.open(tmp, "w") as out:
            if fmt == "docker-archive":
                _save_docker(store, images, out)
            else:
                _save_oci(store, images, out)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _add_bytes(out: tarfile.TarFile, name: str, data: bytes) -> None:
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode = len(data), 0o644
    out.addfile(ti, io.BytesIO(data))


def _add_blob(store: ImageStore, out: tarfile.TarFile, name: str, digest: str) -> None:
    path = store.content.path(digest)
    ti = out.gettarinfo(path, arcname=name)
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    with open(path, "rb") as f:
        out.addfile(ti, f)


def _tags(ref: str, image: Image) -> list[str]:
    try:
        wanted = reference.normalize(ref)
    except HutchError:
        wanted = ""
    return [wanted] if wanted in image.names else list(image.names)


def _save_docker(store: ImageStore, images: list[tuple[str, Image]], out: tarfile.TarFile) -> None:
    manifest, seen = [], set()
    for ref, image in images:
        config_name = image.id.removeprefix("sha256:") + ".json"
        layer_names = []
        for layer in image.manifest.get("layers", []):
            name = layer["digest"].removeprefix("sha256:") + "/layer.tar"
            if name not in seen:
                _add_blob(store, out, name, layer["digest"])
                seen.add(name)
            layer_names.append(name)
        if config_name not in seen:
            _add_blob(store, out, config_name, image.id)
            seen.add(config_name)
        tags = [reference.familiar(t) for t in _tags(ref, image)]
        manifest.append({"Config": config_name, "RepoTags": tags, "Layers": layer_names})
    _add_bytes(out, "manifest.json", json.dumps(manifest).encode())


def _save_oci(store: ImageStore, images: list[tuple[str, Image]], out: tarfile.TarFile) -> None:
    from hutch.image.store import MANIFEST

    _add_bytes(out, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
    seen: set[str] = set()
    index: dict[str, Any] = {"schemaVersion": 2, "manifests": []}
    for ref, image in images:
        layer_digests = [x["digest"] for x in image.manifest.get("layers", [])]
        for digest in [image.manifest_digest, image.id, *layer_digests]:
            if digest not in seen:
                _add_blob(store, out, f"blobs/sha256/{digest.removeprefix('sha256:')}", digest)
                seen.add(digest)
        size = os.path.getsize(store.content.path(image.manifest_digest))
        for tag in _tags(ref, image) or [""]:
            desc: dict[str, Any] = {"mediaType": MANIFEST, "digest": image.manifest_digest, "size": size}
            if tag:
                desc["annotations"] = {REF_NAME: tag}
            index["manifests"].append(desc)
    _add_bytes(out, "index.json", json.dumps(index).encode())
