"""`hutch push`: an image of the store to a registry.

Each layer, in parallel: nothing when the registry has it (HEAD), a cross-repository
mount (``POST .../blobs/uploads/?mount=DIGEST&from=REPO``) when the image came from
another repository of the same registry, else an upload: one PUT, or PATCHes of
``chunk`` bytes and a closing PUT. Non-distributable (foreign) layers are skipped, as
containerd does. Then the config, then the manifest, by tag, exactly as the store has it
(so its digest is the one the store knows). The registry's digest is checked against
ours, and recorded as a repo digest of the image.
"""

from __future__ import annotations

import os
import threading

from hutch.errors import HutchError
from hutch.image import reference
from hutch.image.compression import is_foreign
from hutch.image.content import Counting
from hutch.image.registry import client as api

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.image.registry.progress import Progress
    from hutch.image.registry.session import Session
    from hutch.image.store import ImageStore


class PushError(HutchError):
    pass


def push(store: ImageStore, session: Session, src: str, dest: str | None, progress: Progress, *,
         chunk: int = 0, max_concurrent: int = 5) -> str:
    """Push the image ``src`` as ``dest`` (default: ``src``'s name); the manifest digest."""
    from concurrent.futures import ThreadPoolExecutor

    image = store.get(src)
    try:
        ref = reference.parse(dest or src)
    except HutchError:
        raise PushError(f"An image does not exist locally with the tag: {dest or src}") from None
    if ref.digest:
        raise PushError(f"cannot push to a digest reference: {dest or src}")
    if dest is None and str(ref) not in image.names:
        raise PushError(f"An image does not exist locally with the tag: {src}")
    endpoint = session.push_endpoint(ref.name)
    repo = session.repository(endpoint)
    repo.push = True
    progress.message(f"The push refers to repository [{ref.name}]")
    sources = list(dict.fromkeys(  # other repositories of this registry the image is in
        reference.parse(n, default_tag=False).path for n in image.names + image.repo_digests
        if n.startswith(ref.domain + "/") and not n.startswith((ref.name + ":", ref.name + "@"))))
    layers = image.layers
    lock = threading.Lock()

    def one(desc: dict[str, Any]) -> None:
        digest = str(desc["digest"])
        short = digest[7:19]
        if is_foreign(str(desc.get("mediaType", ""))):
            progress.update(short, "Skipped foreign layer")
            return
        if repo.has_blob(digest):
            progress.update(short, "Layer already exists")
            return
        # one mount attempt (from where the image came): a registry that cannot mount opens
        # an upload instead, which serves as well
        location = repo.mount(digest, sources[0]) if sources else repo.start_upload()
        if not location:
            progress.update(short, f"Mounted from {sources[0]}")
            return
        path = store.content.path(digest)
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            reader = Counting(f, lambda n: progress.update(short, "Pushing", n, size))
            progress.update(short, "Pushing", 0, size)
            repo.upload(location, digest, reader, size, chunk)  # type: ignore[arg-type]  # duck-typed
        with lock:
            progress.update(short, "Pushed")

    for desc in reversed(layers):
        progress.update(str(desc["digest"])[7:19], "Preparing")
    with ThreadPoolExecutor(max_workers=max(1, max_concurrent), thread_name_prefix="hutch-push") as pool:
        for fut in [pool.submit(one, d) for d in reversed(layers)]:
            fut.result()
    if not repo.has_blob(image.config_digest):
        data = store.content.read(image.config_digest)
        import io

        repo.upload(repo.start_upload(), image.config_digest, io.BytesIO(data), len(data))
    data = store.content.read(image.manifest_digest)
    media_type = str(image.manifest.get("mediaType") or api.OCI_MANIFEST)
    claimed = repo.put_manifest(ref.tag, data, media_type)
    if claimed and claimed != image.manifest_digest:
        raise PushError(f"the registry stored manifest {ref.familiar()} as {claimed}, "
                        f"not as {image.manifest_digest}")
    store.set_names(image.manifest_digest, [f"{ref.name}@{image.manifest_digest}"])
    progress.message(f"{ref.tag}: digest: {image.manifest_digest} size: {len(data)}")
    return image.manifest_digest
