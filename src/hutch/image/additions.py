"""What one load (or pull) adds to the image store, taken back if it fails.

    with Additions(store) as added:
        added.ingest(reader, expected_digest)     # a blob, checked against its digest
        added.put(data)                           # a small blob (a config, a manifest)
        added.snapshots(diff_ids, layers)         # unpacked layers (descriptors)
        store.tag(...)                            # last, once everything is checked

When the block raises, every blob and snapshot it added (ones the store did not have
before) is deleted again, under the store's lock, unless an image in the index names it
by then (another command stored the same content meanwhile). Blobs and snapshots that
were there before stay. The ``ingest/`` directory needs nothing: a failed blob write
leaves no file there (hutch.image.content).
"""

from __future__ import annotations

import os

from hutch.image.store import chain_ids
from hutch.util.tree import remove_tree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.image.store import ImageStore


class Additions:
    def __init__(self, store: ImageStore) -> None:
        self.store = store
        self.blobs: list[str] = []  # digests this operation wrote, not in the store before
        self.chains: list[str] = []  # chain ids (hex) of snapshots it unpacked

    def __enter__(self) -> Additions:
        return self

    def __exit__(self, kind: object, err: object, _tb: object) -> None:
        if kind is not None:
            try:
                self.rollback()
            except Exception as cleanup:
                if isinstance(err, BaseException):
                    err.add_note(f"cleanup also failed: {cleanup!r}")

    def ingest(self, src: Any, expected: str) -> tuple[str, int]:
        """Stream ``src`` in as the blob ``expected`` (a DigestError if it is not);
        (digest, size)."""
        existed = self.store.content.has(expected)
        digest, size = self.store.content.ingest(src, expected)
        if not existed:
            self.blobs.append(digest)
        return digest, size

    def put(self, data: bytes) -> str:
        from hutch.image.content import sha256_of

        digest = sha256_of(data)
        existed = self.store.content.has(digest)
        self.store.content.put(data, digest)
        if not existed:
            self.blobs.append(digest)
        return digest

    def snapshots(self, diff_ids: list[str], layers: list[dict[str, Any]]) -> list[str]:
        """The layers unpacked (as ImageStore.snapshot), remembering the ones made here."""
        missing = [c for c in chain_ids(diff_ids)
                   if not os.path.isdir(os.path.join(self.store.snapshots, c.removeprefix("sha256:"), "fs"))]
        try:
            return self.store.snapshot(diff_ids, layers)
        finally:
            self.chains += [c.removeprefix("sha256:") for c in missing
                            if os.path.isdir(os.path.join(self.store.snapshots, c.removeprefix("sha256:")))]

    def rollback(self) -> None:
        """Delete what this operation added that no image in the index names."""
        store = self.store
        with store.locked():
            named: set[str] = set()
            chains: set[str] = set()
            for image in store.images():
                named.update([image.manifest_digest, image.id])
                named.update(layer["digest"] for layer in image.manifest.get("layers", []))
                chains.update(c.removeprefix("sha256:") for c in chain_ids(image.diff_ids))
            for digest in self.blobs:
                if digest not in named:
                    store.content.delete(digest)
            for chain in self.chains:
                if chain not in chains:
                    remove_tree(os.path.join(store.snapshots, chain))
        self.blobs, self.chains = [], []
