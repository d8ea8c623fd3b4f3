"""`hutch container prune`, `hutch image prune [-a]` and `hutch system prune`.

Image pruning removes index entries (dangling ones: no name; with ``everything``: every
image no container was made from), then collects garbage under the store's lock: every
blob and snapshot that no remaining image and no container needs is deleted. A blob or
snapshot younger than ``grace`` seconds is kept: it may be an import, load or commit in
progress, which writes its blobs before its index entry (containerd protects those with
leases; this is the cheap equivalent).
"""

from __future__ import annotations

import json
import os
import time

from hutch.engine.model import BUSY
from hutch.errors import HutchError
from hutch.image.reference import familiar
from hutch.image.store import INTERMEDIATE, REF_NAME, chain_ids
from hutch.util.tree import remove_tree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from hutch.engine.containers import Engine

    #: a prune filter: (labels, RFC 3339 creation time) -> whether the object may go
    Wanted = Callable[[Mapping[str, str], str], bool]

GRACE = 60.0
INGEST_KEEP = 24 * 3600.0


def tree_size(path: str) -> int:
    """Apparent size of everything under ``path`` (a hard-linked file once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                st = os.lstat(os.path.join(top, name))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size if not os.path.isdir(os.path.join(top, name)) else 0
    return total


def containers(eng: Engine, wanted: Wanted | None = None) -> tuple[list[str], int]:
    """Remove every container that is not running (and that ``wanted`` keeps: its labels and
    creation time); (their ids, bytes reclaimed)."""
    ids, freed = [], 0
    for record in eng.records():
        if record["state"]["status"] in BUSY:
            continue
        if wanted is not None and not wanted(record.get("labels") or {}, str(record.get("created", ""))):
            continue
        size = tree_size(eng.layout(record["id"]).upper)
        try:
            eng.remove(record["id"])
        except HutchError:
            continue
        ids.append(record["id"])
        freed += size
    return ids, freed


def images(eng: Engine, everything: bool = False, grace: float = GRACE,
           wanted: Wanted | None = None) -> tuple[list[str], int]:
    """Remove dangling images (``everything``: all images no container uses; ``wanted``: only
    those it keeps, by their config's labels and creation time), then the blobs and snapshots
    nothing needs; (the lines docker prints, bytes reclaimed)."""
    store = eng.images
    used = {r.get("image_id") for r in eng.records()}
    lines: list[str] = []
    with store.locked():
        index = store._index()
        keep, gone = [], []
        tagged = {m["digest"] for m in index["manifests"]  # a repo digest alone is no tag: dangling
                  if "@" not in m.get("annotations", {}).get(REF_NAME, "@")}
        for m in index["manifests"]:
            name = m.get("annotations", {}).get(REF_NAME)
            config = _config_digest(eng, m["digest"])
            step = INTERMEDIATE in m.get("annotations", {})  # (the build cache's: only with -a)
            if config not in used and (everything or (m["digest"] not in tagged and not step)) and \
                    (wanted is None or _wanted(eng, config, wanted)):
                gone.append((m, name, config))
            else:
                keep.append(m)
        if gone:
            index["manifests"] = keep
            store._save_index(index)
        for _, name, _config in gone:
            if name:
                lines.append(f"untagged: {familiar(name)}")
        if everything:  # (the build cache names step images: with them gone, it is gone too)
            remove_tree(os.path.join(eng.root, "build-cache"))
        kept = {_config_digest(eng, m["digest"]) for m in keep}
        lines += [f"deleted: {c}" for c in dict.fromkeys(c for _, _, c in gone) if c and c not in kept]
        freed = _collect(eng, [m["digest"] for m in keep], grace)
    return lines, freed


def build_cache(eng: Engine, everything: bool = False, grace: float = GRACE) -> tuple[list[str], int]:
    """`builder prune`: the build's step images no container uses and the cache naming them
    (``everything``: the RUN --mount caches too), then the blobs nothing needs; (the ids
    removed, bytes reclaimed)."""
    store = eng.images
    used = {r.get("image_id") for r in eng.records()}
    with store.locked():
        index = store._index()
        keep: list[dict[str, Any]] = []
        gone: list[dict[str, Any]] = []
        for m in index["manifests"]:
            step = INTERMEDIATE in m.get("annotations", {}) and not m.get("annotations", {}).get(REF_NAME)
            (gone if step and _config_digest(eng, m["digest"]) not in used else keep).append(m)
        ids = list(dict.fromkeys(_config_digest(eng, m["digest"]).removeprefix("sha256:") for m in gone))
        if gone:
            index["manifests"] = keep
            store._save_index(index)
        freed = tree_size(os.path.join(eng.root, "build-cache"))
        remove_tree(os.path.join(eng.root, "build-cache"))
        if everything:
            freed += tree_size(os.path.join(eng.root, "build-mounts"))
            remove_tree(os.path.join(eng.root, "build-mounts"))
        freed += _collect(eng, [m["digest"] for m in keep], grace)
    return ids, freed


def _wanted(eng: Engine, config: str, wanted: Wanted) -> bool:
    try:
        doc = json.loads(eng.images.content.read(config))
    except (HutchError, ValueError):
        return False
    return wanted((doc.get("config") or {}).get("Labels") or {}, str(doc.get("created", "")))


def _config_digest(eng: Engine, manifest_digest: str) -> str:
    try:
        return str(json.loads(eng.images.content.read(manifest_digest))["config"]["digest"])
    except (HutchError, ValueError, KeyError):
        return ""


def _collect(eng: Engine, manifests: list[str], grace: float) -> int:
    store = eng.images
    blobs: set[str] = set()
    chains: set[str] = set()
    configs = {str(r.get("image_id")) for r in eng.records() if r.get("image_id")}
    for digest in manifests:
        blobs.add(digest)
        try:
            manifest: dict[str, Any] = json.loads(store.content.read(digest))
        except (HutchError, ValueError):
            continue
        configs.add(manifest["config"]["digest"])
        blobs.update(layer["digest"] for layer in manifest.get("layers", []))
    for config in configs:
        blobs.add(config)
        try:
            diff_ids = json.loads(store.content.read(config)).get("rootfs", {}).get("diff_ids", [])
        except (HutchError, ValueError):
            continue
        blobs.update(diff_ids)  # layers are stored uncompressed: blob digest = diff id
        chains.update(c.removeprefix("sha256:") for c in chain_ids(diff_ids))
    cutoff = time.time() - grace
    freed = 0
    for name in _listdir(store.content.blobs):
        path = os.path.join(store.content.blobs, name)
        st = os.lstat(path)
        if f"sha256:{name}" not in blobs and st.st_mtime < cutoff:
            os.unlink(path)
            freed += st.st_size
    # what pulls left in ingest/: partial downloads stay a day (the next pull resumes them),
    # anything else (an import or commit killed midway) the grace period
    stale = time.time() - INGEST_KEEP
    for name in _listdir(store.content.ingest_dir):
        path = os.path.join(store.content.ingest_dir, name)
        st = os.lstat(path)
        if st.st_mtime < (stale if name.endswith((".partial", ".complete")) else cutoff):
            os.unlink(path)
            freed += st.st_size
    for name in _listdir(store.snapshots):
        path = os.path.join(store.snapshots, name)
        if name not in chains and os.lstat(path).st_mtime < cutoff:
            freed += tree_size(path)
            remove_tree(path)
    return freed


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []
