"""`hutch pull`: an image from a registry into the store, verified, resumable, in parallel.

    resolve   registries.conf: the repository's mirrors, then itself; the first that
              has the manifest serves the whole pull
    manifest  by tag or digest; an index picks this host's platform (or --platform);
              every manifest is checked against its digest (a tag's against the
              Docker-Content-Digest the registry claims, when it claims one)
    config    fetched and verified; its diff ids pair with the manifest's layers
    layers    downloaded in parallel (3 at a time by default) into ``ingest/<hex>.partial``,
              hashed as they stream, renamed ``<hex>.complete`` once size and digest are
              right; each is unpacked (and its diff id checked) as soon as its turn comes,
              while later ones still download
    commit    the blobs move into ``blobs/``, then the tag and the repo digest are named
              in one index update: until then nothing is named, and a failure removes
              the snapshots this pull made

A pull that is cut off (network error, Ctrl-C, kill -9) leaves its partial downloads in
``ingest/``: the next pull of any image with that layer hashes what is there and asks
the registry for the rest (``Range: bytes=N-``). A blob whose bytes do not match its
digest is deleted and named in the error. Two pulls of one blob take turns on its flock.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time

from hutch.errors import HutchError
from hutch.image import platform as platforms
from hutch.image import reference
from hutch.image.additions import Additions
from hutch.image.compression import LAYER_MEDIA_TYPES, is_foreign
from hutch.image.content import DigestError, check_digest
from hutch.image.registry import client as api
from hutch.image.registry.errors import NotFound, RegistryError, Unauthorized
from hutch.image.registry.transport import TransportError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurrent.futures import Future
    from typing import Any

    from hutch.image.reference import Reference
    from hutch.image.registry.progress import Progress
    from hutch.image.registry.session import Session
    from hutch.image.registry.transport import Response
    from hutch.image.store import Image, ImageStore

CHUNK = 1 << 20


class PullError(HutchError):
    pass


class Cancelled(HutchError):
    pass


class Pulled:
    """What a pull did: the image, its reference, the digest the registry gave it (an
    index's, for a multi-platform image), and whether anything new came."""

    def __init__(self, image: Image, ref: Reference, digest: str, fresh: bool) -> None:
        self.image, self.ref, self.digest, self.fresh = image, ref, digest, fresh


def candidates(ref: str, search: list[str]) -> list[Reference]:
    """The references a name may mean: itself when it names its registry (or no search
    registries are configured: docker's rule, docker.io), else one per
    ``unqualified-search-registries`` entry, in order."""
    parsed = reference.parse(ref)
    first, slash, _ = ref.partition("/")
    explicit = bool(slash) and ("." in first or ":" in first or first == "localhost")
    if explicit or not search:
        return [parsed]
    name_part = ref.partition("@")[0]
    out = []
    for registry in search:
        try:
            digest = f"@{parsed.digest}" if parsed.digest else ""
            out.append(reference.parse(f"{registry}/{name_part}{digest}"))
        except HutchError:
            continue
    return out or [parsed]


def pull(store: ImageStore, session: Session, ref: str, progress: Progress, *,
         platform: str | None = None, max_concurrent: int = 3) -> Pulled:
    """Pull ``ref`` (as the user wrote it) into ``store``."""
    want = platforms.parse(platform) if platform else platforms.host()
    errors: list[HutchError] = []
    for cand in candidates(ref, session.conf.search):
        try:
            return _Pull(store, session, cand, progress, want, max_concurrent).run()
        except NotFound as err:  # not at this search registry: the next one
            errors.append(err)
    raise errors[-1] if len(errors) == 1 else PullError("; ".join(str(e) for e in errors))


class _Pull:
    def __init__(self, store: ImageStore, session: Session, ref: Reference, progress: Progress,
                 want: tuple[str, str, str], max_concurrent: int) -> None:
        self.store, self.session, self.ref, self.progress = store, session, ref, progress
        self.want, self.max_concurrent = want, max(1, max_concurrent)
        self.cancel = threading.Event()
        self.active: set[Response] = set()  # responses being read: interrupted on cancel
        self.ingest = store.content.ingest_dir

    # ---- manifest and config -----------------------------------------------------------

    def resolve(self) -> tuple[api.Repository, bytes, str, str]:
        """(repository, body, media type, digest) of the manifest or index the reference
        names, from the first endpoint that has it."""
        target = self.ref.digest or self.ref.tag
        last: HutchError | None = None
        for endpoint in self.session.endpoints(self.ref.name):
            repo = self.session.repository(endpoint)
            try:
                body, media_type, claimed = repo.manifest(target)
            except (TransportError, RegistryError) as err:
                if isinstance(err, Unauthorized) and not endpoint.mirror:
                    short = reference.familiar_name(self.ref.name)
                    raise PullError(f"pull access denied for {short}, repository does not exist or may "
                                    f"require 'hutch login': {err}") from err
                last = err
                continue
            digest = _verified(body, self.ref.digest or "", claimed, f"manifest for {self.ref.familiar()}")
            return repo, body, media_type, digest
        assert last is not None
        if isinstance(last, NotFound):
            raise NotFound(f"manifest for {self.ref.familiar()} not found: manifest unknown", 404,
                               "MANIFEST_UNKNOWN")
        raise last

    def image_manifest(self, repo: api.Repository, body: bytes, media_type: str,
                       digest: str) -> tuple[bytes, str, dict[str, Any]]:
        """The image manifest (body, digest, document): ``body`` itself, or the one an
        index has for the wanted platform."""
        doc = _json(body, f"manifest {digest}")
        media_type = str(doc.get("mediaType") or media_type)
        if doc.get("schemaVersion") == 1 or media_type in api.DOCKER_SCHEMA1:
            raise PullError(f"{self.ref.familiar()} uses docker's image manifest schema 1, which hutch "
                            f"does not support (deprecated since 2017): push the image again with a current "
                            f"client")
        if media_type in api.INDEXES or (not media_type and "manifests" in doc):
            chosen = platforms.pick(list(doc.get("manifests") or []), self.want)
            if chosen is None:
                raise PullError(f"no matching manifest for {platforms.name(self.want)} in the manifest list "
                                f"entries of {self.ref.familiar()}")
            sub_digest = str(chosen.get("digest", ""))
            check_digest(sub_digest)
            sub, sub_type, _ = repo.manifest(sub_digest)
            _verified(sub, sub_digest, "", f"manifest {sub_digest}")
            return self.image_manifest(repo, sub, sub_type, sub_digest)
        if media_type not in api.MANIFESTS and not (not media_type and "layers" in doc):
            raise PullError(f"{self.ref.familiar()}: unsupported manifest type {media_type!r}")
        if not isinstance(doc.get("config"), dict) or not isinstance(doc.get("layers"), list):
            raise PullError(f"manifest {digest} has no config or layers")
        for layer in doc["layers"]:
            if str(layer.get("mediaType", "")) not in LAYER_MEDIA_TYPES:
                raise PullError(f"layer {layer.get('digest')} has an unsupported media type "
                                f"{layer.get('mediaType')!r}")
            check_digest(str(layer.get("digest", "")))
        return body, digest, doc

    def fetch_small(self, repo: api.Repository, desc: dict[str, Any], what: str) -> bytes:
        digest = str(desc.get("digest", ""))
        check_digest(digest)
        if self.store.content.has(digest):
            return self.store.content.read(digest)
        data = repo.blob(digest).body(16 << 20)
        _verified(data, digest, "", f"{what} {digest}")
        if "size" in desc and int(desc["size"]) != len(data):
            raise PullError(f"{what} {digest} is {len(data)} bytes, its descriptor says {desc['size']}")
        return data

    # ---- the pull ---------------------------------------------------------------------

    def run(self) -> Pulled:
        from concurrent.futures import ThreadPoolExecutor

        repo, body, media_type, top_digest = self.resolve()
        self.progress.message(f"{self.ref.digest or self.ref.tag}: Pulling from {self.ref.path}")
        manifest_bytes, manifest_digest, manifest = self.image_manifest(repo, body, media_type, top_digest)
        config_bytes = self.fetch_small(repo, manifest["config"], "config")
        config = _json(config_bytes, f"config {manifest['config']['digest']}")
        diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
        layers: list[dict[str, Any]] = manifest["layers"]
        if len(diff_ids) != len(layers):
            raise PullError(f"manifest {manifest_digest} has {len(layers)} layers, its config "
                            f"{len(diff_ids)} diff ids")
        names = [str(self.ref.with_tag(self.ref.tag))] if self.ref.tag and not self.ref.digest else []
        names.append(f"{self.ref.name}@{top_digest}")
        existing = self._existing(manifest_digest)
        if existing is not None and f"{self.ref.name}@{top_digest}" in existing.repo_digests and \
                all(n in existing.names for n in names if "@" not in n):
            self.store.snapshot_dirs(existing)
            return Pulled(existing, self.ref, top_digest, False)

        added = Additions(self.store)  # what this pull adds to the store, taken back if it fails
        pool = ThreadPoolExecutor(max_workers=self.max_concurrent, thread_name_prefix="hutch-pull")
        try:
            futures: list[Future[str] | None] = []
            for layer in layers:
                short = layer["digest"][7:19]
                if self.store.content.has(layer["digest"]):
                    self.progress.update(short, "Already exists")
                    futures.append(None)
                    continue
                self.progress.update(short, "Pulling fs layer")
                futures.append(pool.submit(self.download, repo, layer))
                if len([f for f in futures if f is not None]) > self.max_concurrent:
                    self.progress.update(short, "Waiting")
            blobs: list[str] = []
            for i, (layer, fut) in enumerate(zip(layers, futures, strict=True)):
                path = fut.result() if fut is not None else self.store.content.path(layer["digest"])
                blobs.append(path)
                chain = self.store.snapshot_path(diff_ids[:i + 1])
                if os.path.isdir(chain):
                    if fut is not None:
                        self.progress.update(layer["digest"][7:19], "Pull complete")
                    continue
                self.extract(diff_ids[:i + 1], layer, path)
                added.chains.append(os.path.basename(os.path.dirname(chain)))
            # everything is here and checked: store it, then name it
            added.put(config_bytes)
            added.put(manifest_bytes)
            for layer, path in zip(layers, blobs, strict=True):
                self._keep(layer["digest"], path, added)
            self.store.set_names(manifest_digest, names)
        except BaseException:
            self.cancel.set()
            for resp in list(self.active):
                resp.interrupt()
            pool.shutdown(wait=True, cancel_futures=True)
            added.rollback()
            raise
        pool.shutdown(wait=True)
        return Pulled(self.store.get(f"{self.ref.name}@{top_digest}"), self.ref, top_digest, True)

    def _keep(self, digest: str, path: str, added: Additions) -> None:
        """Move a downloaded blob from ingest/ into the store (another pull of the same
        blob may have moved it already)."""
        if not path.endswith(".complete"):
            return
        target = self.store.content.path(digest)
        existed = os.path.exists(target)
        try:
            os.replace(path, target)
        except FileNotFoundError:
            if not os.path.exists(target):
                raise
        if not existed:
            added.blobs.append(digest)

    def _existing(self, manifest_digest: str) -> Image | None:
        for image in self.store.images():
            if image.manifest_digest == manifest_digest:
                return image
        return None

    def extract(self, diff_ids: list[str], layer: dict[str, Any], path: str) -> None:
        short, size = layer["digest"][7:19], int(layer.get("size") or 0)

        def seen(n: int) -> None:
            self.progress.update(short, "Extracting", n, size)

        seen(0)
        stored = self.store.content.path(layer["digest"])
        try:
            self.store.unpack_layer(diff_ids, layer, path, on_read=seen, check_blob=path == stored)
        except HutchError:
            # a concurrent pull of the same layer moved its download into the store meanwhile
            if path == stored or not os.path.exists(stored):
                raise
            self.store.unpack_layer(diff_ids, layer, stored, on_read=seen)
        self.progress.update(short, "Pull complete")

    def download(self, repo: api.Repository, layer: dict[str, Any]) -> str:
        """The layer's blob, complete and verified, in ingest/ (resuming a partial one)."""
        digest, size = str(layer["digest"]), int(layer.get("size") or 0)
        hexd, short = check_digest(digest), digest[7:19]
        os.makedirs(self.ingest, exist_ok=True)
        complete = os.path.join(self.ingest, f"{hexd}.complete")
        partial = os.path.join(self.ingest, f"{hexd}.partial")
        fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "r+b", buffering=0) as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # another pull of this blob: wait for it
            if os.path.exists(complete) or self.store.content.has(digest):
                _unlink(partial)
                return complete if os.path.exists(complete) else self.store.content.path(digest)
            h = hashlib.sha256()
            offset = 0
            while chunk := f.read(CHUNK):  # what an earlier pull received
                h.update(chunk)
                offset += len(chunk)
            if offset > size:
                f.seek(0)
                f.truncate()
                h, offset = hashlib.sha256(), 0
            retries = 0
            while offset < size or not size:  # all there already (killed before the rename)? verify it
                if self.cancel.is_set():
                    raise Cancelled("pull cancelled")
                try:
                    try:
                        resp = repo.blob(digest, offset)
                    except RegistryError as err:
                        if isinstance(err, NotFound) and is_foreign(str(layer.get("mediaType", ""))):
                            raise PullError(f"layer {digest} is non-distributable and this registry does not "
                                            f"have it: hutch does not fetch layers from their URLs") from err
                        if err.status != 416 or not offset:
                            raise
                        f.seek(0)  # the registry will not give this range: all of it, then
                        f.truncate()
                        h, offset = hashlib.sha256(), 0
                        continue
                    if offset and resp.status == 200:  # no Range here: from the start
                        f.seek(0)
                        f.truncate()
                        h, offset = hashlib.sha256(), 0
                    self.progress.update(short, "Downloading", offset, size)
                    self.active.add(resp)
                    while True:
                        if self.cancel.is_set():
                            resp.abort()
                            raise Cancelled("pull cancelled")
                        data = resp.read1(CHUNK)
                        if not data:
                            break
                        f.write(data)
                        h.update(data)
                        offset += len(data)
                        if offset > size:
                            resp.abort()
                            raise DigestError(f"blob {digest} is larger than the {size} bytes its "
                                              f"manifest says")
                        self.progress.update(short, "Downloading", offset, size)
                    resp.close()
                    self.active.discard(resp)
                    if offset < size:
                        raise TransportError(f"blob {digest}: the connection closed after {offset} of "
                                             f"{size} bytes")
                    break
                except TransportError:
                    if self.cancel.is_set():
                        raise Cancelled("pull cancelled") from None
                    retries += 1
                    if retries > self.session.transport.retries:
                        raise
                    time.sleep(self.session.transport.backoff * 2 ** (retries - 1))
                except DigestError:
                    f.truncate(0)
                    _unlink(partial)
                    raise
            self.progress.update(short, "Verifying Checksum")
            got = "sha256:" + h.hexdigest()
            if got != digest:
                _unlink(partial)
                raise DigestError(f"blob {digest}: the registry sent content whose digest is {got}: refused")
            os.fsync(f.fileno())
            os.rename(partial, complete)
        self.progress.update(short, "Download complete")
        return complete


def _verified(body: bytes, digest: str, claimed: str, what: str) -> str:
    """The digest of ``body``, which must be ``digest`` (when given) and the digest the
    registry ``claimed`` (when it claimed one): a registry that lies is refused."""
    got = "sha256:" + hashlib.sha256(body).hexdigest()
    if digest and got != digest:
        raise DigestError(f"{what}: the registry sent content whose digest is {got}, not {digest}")
    if claimed and claimed.startswith("sha256:") and claimed != got:
        raise DigestError(f"{what}: the registry says its digest is {claimed}, its content is {got}")
    return got


def _json(data: bytes, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except ValueError as err:
        raise PullError(f"{what} is not JSON: {err}") from err
    if not isinstance(doc, dict):
        raise PullError(f"{what} is not a JSON object")
    return doc


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
