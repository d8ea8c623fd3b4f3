"""A one-layer OCI image archive (image-spec image-layout, tarred) from a root filesystem,
for `ctr image import` and friends: no registry, no other tool needed."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path


def _blob(out: tarfile.TarFile, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo("blobs/sha256/" + digest.split(":")[1])
    info.size = len(data)
    out.addfile(info, io.BytesIO(data))
    return digest


def _file(out: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    out.addfile(info, io.BytesIO(data))


def build_oci_archive(rootfs: Path, dest: Path, ref: str) -> None:
    layer_buf = io.BytesIO()
    with tarfile.open(fileobj=layer_buf, mode="w") as layer:
        layer.add(rootfs, arcname=".")
    layer_bytes = layer_buf.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }).encode()
    with tarfile.open(dest, "w") as out:
        layer_digest = _blob(out, layer_bytes)
        config_digest = _blob(out, config)
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer_digest, "size": len(layer_bytes)}],
        }).encode()
        manifest_digest = _blob(out, manifest)
        _file(out, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _file(out, "index.json", json.dumps({
            "schemaVersion": 2,
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": manifest_digest, "size": len(manifest),
                           "annotations": {"io.containerd.image.name": ref,
                                           "org.opencontainers.image.ref.name": ref}}],
        }).encode())


def build_docker_archive(rootfs: Path, dest: Path, ref: str) -> None:
    """The same image as a docker-archive (`docker save`'s format), for `docker load`."""
    layer_buf = io.BytesIO()
    with tarfile.open(fileobj=layer_buf, mode="w") as layer:
        layer.add(rootfs, arcname=".")
    layer_bytes = layer_buf.getvalue()
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(layer_bytes).hexdigest()]},
    }).encode()
    with tarfile.open(dest, "w") as out:
        _file(out, "layer.tar", layer_bytes)
        _file(out, "config.json", config)
        _file(out, "manifest.json", json.dumps(
            [{"Config": "config.json", "RepoTags": [ref], "Layers": ["layer.tar"]}]).encode())
