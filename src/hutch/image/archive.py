"""`hutch save` and `hutch load`: docker-archive and OCI-archive tarballs.

- docker-archive (what ``docker save`` and ``podman save`` write): ``manifest.json`` lists,
  per image, its config file (named by the config's sha256, which is the image id), its
  ``RepoTags`` and its layer tarballs (plain or gzip'd) bottom first.
- oci-archive (``podman save --format oci-archive``, ``skopeo copy oci-archive:``): an OCI
  image layout in a tar: ``oci-layout``, ``index.json`` (a tag in each manifest's
  ``org.opencontainers.image.ref.name``), ``blobs/sha256/...``.

Layers may be plain or compressed: gzip, bzip2, xz or zstd in a docker archive (told by
their first bytes), as their media type says in an OCI archive (``+gzip``, ``+zstd``).
Loading verifies everything against its digest: every blob of an OCI archive, and each
layer's uncompressed sha256 against the config's ``diff_ids``. Layers are stored
uncompressed (their blob digest is their diff id). An archive that fails any check leaves
the store as it was: no name, and none of the blobs or snapshots it added.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

from hutch.errors import HutchError
from hutch.image import compression, platform, reference
from hutch.image.additions import Additions
from hutch.image.content import CHUNK, DigestError, Hashing, check_digest
from hutch.image.store import LAYER, REF_NAME, Image, ImageStore

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any


class ArchiveError(HutchError):
    pass


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


def load(store: ImageStore, path: str, name: str | None = None,
         wrap: Callable[[IO[bytes]], Any] | None = None) -> list[str]:
    """Load every image in the archive at ``path`` (``name`` in messages, if not the
    path); the names (or ids) loaded. All or nothing: an archive that fails any check
    leaves the store as it was (hutch.image.additions). ``wrap``: what reads the file
    (a progress meter's reader)."""
    name = name or path
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as err:
        raise ArchiveError(f"open {name}: {os_reason(err)}") from err
    with f:
        try:
            tar = tarfile.open(fileobj=wrap(f) if wrap else f, mode="r:*")  # noqa: SIM115 - closed by the with below
            names = set(tar.getnames())
        except tarfile.TarError as err:
            raise ArchiveError(f"load {name}: not a tar archive") from err
        except (OSError, EOFError) as err:  # a compressed archive cut short, or a bad one
            raise ArchiveError(f"load {name}: not a tar archive ({err})") from err
        with tar, Additions(store) as added:
            try:
                if "manifest.json" in names or "./manifest.json" in names:
                    images = _read_docker(added, tar)
                elif "index.json" in names or "./index.json" in names:
                    images = _read_oci(added, tar)
                else:
                    raise ArchiveError(f"load {name}: neither a docker archive (manifest.json) "
                                       f"nor an OCI archive (index.json)")
            except tarfile.TarError as err:
                raise ArchiveError(f"load {name}: a damaged archive ({err})") from err
            loaded: list[str] = []
            for image, tags in images:
                for t in tags:
                    store.tag(t, image.manifest_digest)
                loaded += tags or [image.id]
            return loaded


def os_reason(err: OSError) -> str:
    """An OSError's reason as Go (and so docker) words it: "no such file or directory"."""
    reason = err.strerror or str(err)
    return reason[:1].lower() + reason[1:]


def _read_docker(added: Additions, tar: tarfile.TarFile) -> list[tuple[Image, list[str]]]:
    entries = _json(tar, "manifest.json")
    if not isinstance(entries, list) or not entries:
        raise ArchiveError("manifest.json lists no image")
    out = []
    for entry in entries:
        config_bytes = _member(tar, str(entry.get("Config", ""))).read()
        config = _parse(config_bytes, str(entry.get("Config")))
        diff_ids = _diff_ids(config, str(entry.get("Config")))
        layer_files = list(entry.get("Layers") or [])
        if len(diff_ids) != len(layer_files):
            raise ArchiveError(f"{entry.get('Config')}: {len(layer_files)} layers but "
                               f"{len(diff_ids)} diff_ids")
        layers = []
        for name, diff_id in zip(layer_files, diff_ids, strict=True):
            try:  # plain or compressed (gzip, bzip2, xz, zstd: told by the first bytes)
                digest, size = added.ingest(compression.detect(_member(tar, name)), diff_id)
            except DigestError as err:
                raise ArchiveError(f"layer {name}: its content is {err.actual}, "
                                   f"the config says {diff_id}") from err
            layers.append((digest, size, LAYER, diff_id))
        tags = [reference.normalize(t) for t in entry.get("RepoTags") or []]
        out.append((_add(added, layers, config_bytes, tags), tags))
    return out


def _parse(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as err:
        raise ArchiveError(f"{what} in the archive is not JSON: {err}") from err


def _diff_ids(config: Any, what: str) -> list[str]:
    diff_ids = list(config.get("rootfs", {}).get("diff_ids", [])) if isinstance(config, dict) else []
    for d in diff_ids:
        try:
            check_digest(d)
        except DigestError as err:
            raise ArchiveError(f"{what}: {err}") from err
    return diff_ids


def _add(added: Additions, layers: list[tuple[str, int, str, str]], config_bytes: bytes,
         tags: list[str]) -> Image:
    """Store the config as it is (its digest is the image id) and a manifest, and unpack
    the layers: a layer that is not a good tar fails the load. Tagging is the caller's."""
    from hutch.image.store import CONFIG, MANIFEST

    config_digest = added.put(config_bytes)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST,
                "config": {"mediaType": CONFIG, "digest": config_digest, "size": len(config_bytes)},
                "layers": [{"mediaType": mt, "digest": d, "size": s} for d, s, mt, _ in layers]}
    digest = added.put(json.dumps(manifest, separators=(",", ":")).encode())
    image = Image(added.store, digest, tags)
    added.snapshots(image.diff_ids, image.layers)
    return image


def _read_oci(added: Additions, tar: tarfile.TarFile) -> list[tuple[Image, list[str]]]:
    index = _json(tar, "index.json")
    out = []
    for desc in index.get("manifests", []):
        manifest_desc = _pick_platform(tar, desc)
        manifest = _parse(_blob(tar, manifest_desc["digest"]), f"manifest {manifest_desc['digest']}")
        config_bytes = _blob(tar, manifest["config"]["digest"])
        diff_ids = _diff_ids(_parse(config_bytes, "the config"), f"config {manifest['config']['digest']}")
        if len(diff_ids) != len(manifest.get("layers", [])):
            raise ArchiveError(f"manifest {manifest_desc['digest']}: layers and diff_ids do not match")
        layers = []
        for layer, diff_id in zip(manifest.get("layers", []), diff_ids, strict=True):
            blob = _member(tar, f"blobs/sha256/{layer['digest'].removeprefix('sha256:')}")
            raw = Hashing(blob)  # the blob's digest is of its compressed bytes
            media_type = str(layer.get("mediaType", LAYER))
            try:
                digest, size = added.ingest(compression.open_layer(raw, media_type), diff_id)
            except DigestError as err:
                raise ArchiveError(f"layer {layer['digest']}: its content is {err.actual}, "
                                   f"the config says {diff_id}") from err
            while raw.read(CHUNK):  # bytes after the end of the compressed stream
                pass
            if raw.digest != layer["digest"]:
                raise ArchiveError(f"layer blob {layer['digest']} does not match its digest")
            layers.append((digest, size, LAYER, diff_id))
        # a full NAME:TAG names the image; a bare tag (as skopeo writes) has no repository
        name = str(desc.get("annotations", {}).get(REF_NAME, ""))
        tags = [reference.normalize(name)] if ":" in name or "/" in name else []
        out.append((_add(added, layers, config_bytes, tags), tags))
    return out


def _pick_platform(tar: tarfile.TarFile, desc: dict[str, Any]) -> dict[str, Any]:
    """A manifest descriptor; from an image index, the one for linux and this architecture."""
    if desc.get("mediaType") != "application/vnd.oci.image.index.v1+json":
        return desc
    arch = platform.host()[1]
    inner = json.loads(_member(tar, f"blobs/sha256/{desc['digest'].removeprefix('sha256:')}").read())
    for m in inner.get("manifests", []):
        p = m.get("platform", {})
        if p.get("os") == "linux" and p.get("architecture") == arch:
            return dict(m)
    raise ArchiveError(f"index {desc['digest']} has no manifest for linux/{arch}")


def _blob(tar: tarfile.TarFile, digest: str) -> bytes:
    data = _member(tar, f"blobs/sha256/{digest.removeprefix('sha256:')}").read()
    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
        raise ArchiveError(f"blob {digest} does not match its digest")
    return data


def save(store: ImageStore, refs: list[str], path: str, fmt: str = "docker-archive",
         wrap: Callable[[IO[bytes]], Any] | None = None) -> None:
    """Write the images ``refs`` to ``path`` as a docker-archive or an oci-archive (a
    temporary file renamed into place: a failed save leaves no half archive). ``wrap``:
    what writes the file (a progress meter's writer)."""
    images = _to_save(store, refs, fmt)
    tmp = f"{path}.tmp-hutch"
    try:
        with open(tmp, "wb") as f:
            _write(store, images, wrap(f) if wrap else f, fmt)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_to(store: ImageStore, refs: list[str], out: IO[bytes], fmt: str = "docker-archive") -> None:
    """Write the archive to the stream ``out`` (``hutch save`` without -o: standard
    output); every name is resolved before the first byte is written."""
    _write(store, _to_save(store, refs, fmt), out, fmt)


def _to_save(store: ImageStore, refs: list[str], fmt: str) -> list[tuple[str, Image]]:
    if fmt not in ("docker-archive", "oci-archive"):
        raise ArchiveError(f"--format {fmt!r}: use docker-archive or oci-archive")
    return [(ref, store.get(ref)) for ref in refs]


def _write(store: ImageStore, images: list[tuple[str, Image]], f: IO[bytes], fmt: str) -> None:
    with tarfile.open(fileobj=f, mode="w|") as out:
        if fmt == "docker-archive":
            _save_docker(store, images, out)
        else:
            _save_oci(store, images, out)


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


def _add_uncompressed(store: ImageStore, out: tarfile.TarFile, name: str, layer: dict[str, Any]) -> None:
    """A compressed layer blob (a pulled one), as the plain tar a docker-archive holds."""
    import shutil

    from hutch.image.store import layer_reader

    os.makedirs(store.content.ingest_dir, exist_ok=True)
    tmp = os.path.join(store.content.ingest_dir, f"save-{os.urandom(8).hex()}")
    try:
        with open(store.content.path(layer["digest"]), "rb") as src, open(tmp, "xb") as dst:
            shutil.copyfileobj(layer_reader(src, str(layer.get("mediaType", ""))), dst, 1 << 20)
        ti = out.gettarinfo(tmp, arcname=name)
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        ti.mode = 0o644
        with open(tmp, "rb") as f:
            out.addfile(ti, f)
    finally:
        os.unlink(tmp)


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
        for layer, diff_id in zip(image.layers, image.diff_ids, strict=True):
            name = diff_id.removeprefix("sha256:") + "/layer.tar"  # docker's: the uncompressed tar
            if name not in seen:
                if layer["digest"] == diff_id:
                    _add_blob(store, out, name, layer["digest"])
                else:
                    _add_uncompressed(store, out, name, layer)
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
