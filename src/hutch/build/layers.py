"""A build's layers and step images on the engine's image store (hutch.image.store).

A layer is written once, hashed as it is written into the store's ingest directory (a RUN's
container's upper directory through hutch.image.commit.write_diff, or a COPY's tar from
hutch.build.copylayer), then renamed in as a blob (its digest is its diff id: layers are
stored uncompressed). A step's
image is the stage's config over its layers, its snapshots unpacked for what runs next.
"""

from __future__ import annotations

import os

from hutch.errors import HutchError
from hutch.image.store import LAYER

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hutch.build.steps import Layer, State
    from hutch.image.store import Image, ImageStore


class LayerFailed(HutchError):
    """A layer could not be written (a full disk...)."""


def layers_of(store: ImageStore, image: Image) -> list[Layer]:
    """The image's layers as (digest, size, media type, diff id)."""
    return [(str(d["digest"]), int(d.get("size") or os.path.getsize(store.content.path(d["digest"]))),
             str(d.get("mediaType") or LAYER), diff)
            for d, diff in zip(image.layers, image.diff_ids, strict=True)]


def snapshot_dirs(store: ImageStore, layers: list[Layer]) -> list[str]:
    """The layers' snapshot directories, bottom first (unpacked if need be)."""
    if not layers:
        return []
    return store.snapshot([d for *_, d in layers],
                          [{"digest": dg, "mediaType": mt} for dg, _, mt, _ in layers])


def exists(dirs: list[str], path: str) -> bool:
    """Whether absolute ``path`` is in any of the layers ``dirs`` (whiteouts aside)."""
    return any(os.path.lexists(d + path) for d in dirs)


def is_dir(dirs: list[str], path: str) -> bool:
    """Whether ``path`` is a directory in the topmost of ``dirs`` that has it."""
    for d in reversed(dirs):
        if os.path.lexists(d + path):
            return os.path.isdir(d + path)
    return False


def written(store: ImageStore, write: Callable[[Any], None]) -> Layer:
    """A layer: ``write(file)`` writes its tar, hashed into a blob as it goes."""
    try:
        diff_id, size = store.content.ingest_written(write)
    except OSError as err:
        raise LayerFailed(f"cannot write the layer: {err.strerror or err}") from err
    return (diff_id, size, LAYER, diff_id)


def diff(store: ImageStore, upper: str) -> Layer:
    """A RUN's layer: its container's upper directory, whiteouts as OCI's."""
    from hutch.image.commit import write_diff

    return written(store, lambda out: write_diff(upper, out))


def add(store: ImageStore, state: State) -> Image:
    """The state as an image of the store (no index entry; its layers' snapshots unpacked)."""
    snapshot_dirs(store, state.layers)
    return store.add_image(list(state.layers), state.config, None)
