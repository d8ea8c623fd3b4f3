"""`hutch system df`: what the store's images, containers and volumes take, as docker's
/system/df reports it (types.DiskUsage): per image its size (its layers' blobs, as `hutch
images` shows), the part shared with other images and the number of containers using it;
per container the size of its writable layer (SizeRw); per volume its size and links (the
containers naming it). hutch has no build cache: it is always empty.
"""

from __future__ import annotations

import os

from hutch.engine.model import LIVE
from hutch.engine.prune import tree_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.containers import Engine


def usage(eng: Engine) -> dict[str, Any]:
    """docker's DiskUsage: LayersSize, Images, Containers, Volumes, BuildCache."""
    from hutch.image.reference import familiar

    records = eng.records()
    images = eng.images.images()
    users: dict[str, int] = {}
    for r in records:
        users[str(r.get("image_id", ""))] = users.get(str(r.get("image_id", "")), 0) + 1
    layer_size: dict[str, int] = {}
    layer_images: dict[str, int] = {}
    for image in images:
        for layer in {str(layer["digest"]): layer for layer in image.layers}.values():
            layer_size[str(layer["digest"])] = int(layer.get("size", 0))
            layer_images[str(layer["digest"])] = layer_images.get(str(layer["digest"]), 0) + 1
    image_rows = []
    for image in images:
        digests = {str(layer["digest"]) for layer in image.layers}
        size = sum(layer_size[d] for d in digests)
        shared = sum(layer_size[d] for d in digests if layer_images[d] > 1)
        image_rows.append({"Id": image.id, "RepoTags": [familiar(n) for n in image.names],  # (docker's API)
                           "Created": str(image.config.get("created", "")), "Size": size,
                           "SharedSize": shared, "Containers": users.get(image.id, 0)})
    container_rows = []
    for r in records:
        rw = tree_size(eng.layout(r["id"]).upper)
        container_rows.append({"Id": r["id"], "Names": [r["name"]], "Image": r.get("image", ""),
                               "Command": " ".join(r.get("args") or []), "Created": r.get("created", ""),
                               "State": r["state"]["status"], "SizeRw": rw,
                               "Volumes": len(r.get("volumes") or []),
                               "Running": r["state"]["status"] in LIVE})
    links: dict[str, int] = {}
    for r in records:
        for v in r.get("volumes") or []:
            links[str(v.get("Name"))] = links.get(str(v.get("Name")), 0) + 1
    from hutch.engine.volumes import VolumeStore

    volume_rows = [{"Name": v["Name"], "Driver": v.get("Driver", "local"), "Mountpoint": v["Mountpoint"],
                    "UsageData": {"Size": _size(v["Mountpoint"]), "RefCount": links.get(v["Name"], 0)}}
                   for v in VolumeStore(eng.root).all()]
    return {"LayersSize": sum(layer_size.values()), "Images": image_rows, "Containers": container_rows,
            "Volumes": volume_rows, "BuildCache": []}


def _size(path: str) -> int:
    return tree_size(path) if os.path.isdir(path) else 0
