"""`hutch rmi [-f]`: untag or delete an image, refusing as docker does when containers use it.

docker's rules (daemon/images/image_delete.go), with hutch's store:

- By name: the name goes, unless it is the image's last name, a container (running or
  not) uses the image and there is no ``-f``: "conflict: unable to remove repository
  reference ... (must force)". Once the last name is gone the image is deleted, or, when
  a container uses it, stays as ``<none>`` while that container exists.
- By id: a running container's image is never deleted ("cannot be forced"); without
  ``-f``, an image with several names ("referenced in multiple repositories") or one a
  stopped container uses ("must be forced") is refused. Otherwise every name goes, and the
  image too unless a running container uses it (stopped containers keep their layers:
  they still start, and prune keeps what they need).

"Deleted" means gone from the index; `image prune` frees its blobs and snapshots.
"""

from __future__ import annotations

from hutch.engine import events
from hutch.engine.model import BUSY
from hutch.errors import HutchError
from hutch.image import reference
from hutch.image.store import REF_NAME, ImageNotFound

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.engine.containers import Engine
    from hutch.image.store import ImageStore

ACTIVE = BUSY | {"restarting"}


class ImageConflict(HutchError):
    pass


def remove_image(eng: Engine, ref: str, force: bool = False) -> list[str]:
    """Remove the image ``ref`` names; docker's output lines ("Untagged: ...",
    "Deleted: ..."). ImageConflict when a container's use forbids it."""
    store = eng.images
    image = store.get(ref)
    short = image.id.removeprefix("sha256:")[:12]
    users = [r for r in eng.records() if r.get("image_id") == image.id]
    running = [r for r in users if r["state"]["status"] in ACTIVE]
    stopped = [r for r in users if r not in running]
    lines: list[str] = []
    if not _is_id(ref, image.id):  # a tag, or a repo digest (NAME@sha256:...)
        if not force and len(image.names) <= 1 and users:
            raise ImageConflict(f'conflict: unable to remove repository reference "{ref}" (must force) - '
                                f"container {users[0]['id'][:12]} is using its referenced image {short}")
        lines += [f"Untagged: {reference.familiar(n)}" for n in store.untag(reference.normalize(ref))]
        if any(i.manifest_digest == image.manifest_digest for i in store.images()):
            events.image(eng.root, "untag", image.id)
            return lines  # it has names left
    else:
        if running:
            raise ImageConflict(f"conflict: unable to delete {short} (cannot be forced) - image is being "
                                f"used by running container {running[0]['id'][:12]}")
        if not force and len(image.names) > 1:
            raise ImageConflict(f"conflict: unable to delete {short} (must be forced) - image is referenced "
                                f"in multiple repositories")
        if not force and stopped:
            raise ImageConflict(f"conflict: unable to delete {short} (must be forced) - image is being "
                                f"used by stopped container {stopped[0]['id'][:12]}")
        for name in image.names + image.repo_digests:
            try:
                lines += [f"Untagged: {reference.familiar(n)}" for n in store.untag(name)]
            except ImageNotFound:  # a repo digest gone with the image's last tag
                continue
    if any(line.startswith("Untagged:") for line in lines):
        events.image(eng.root, "untag", image.id)
    if running or (users and not force):  # docker keeps it, untagged, while a container runs it;
        store.keep_untagged(image.manifest_digest)  # -f deletes one only stopped containers use
    elif _drop(store, image.manifest_digest):
        lines.append(f"Deleted: {image.id}")
        events.image(eng.root, "delete", image.id)
    return lines


def _is_id(ref: str, image_id: str) -> bool:
    """Whether ``ref`` names the image by its id (or an id prefix), not by a name."""
    want = ref.removeprefix("sha256:")
    return len(want) >= 4 and image_id.removeprefix("sha256:").startswith(want)


def _drop(store: ImageStore, manifest_digest: str) -> bool:
    """Remove the manifest's unnamed index entries, unless it still has a name; whether
    the image is now gone from the index."""
    with store.locked():
        index = store._index()
        entries = [m for m in index["manifests"] if m["digest"] == manifest_digest]
        if any(m.get("annotations", {}).get(REF_NAME) for m in entries):
            return False
        if entries:
            index["manifests"] = [m for m in index["manifests"] if m["digest"] != manifest_digest]
            store._save_index(index)
    return True
