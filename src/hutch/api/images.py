"""docker-py's images collection and Image model over hutch's image store."""

from __future__ import annotations

import os

from hutch.api.answers import answered
from hutch.api.model import Model
from hutch.errors import HutchError, NotImplementedByHutch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import IO, Any

    from hutch.engine.containers import Engine
    from hutch.image.store import Image as StoredImage


class Image(Model):
    """docker-py's Image: ``id`` (sha256:...), ``short_id``, ``tags``, ``labels``, ``attrs``."""

    def __init__(self, engine: Engine, image: StoredImage) -> None:
        self._engine = engine
        self._image = image

    def __repr__(self) -> str:
        return f"<Image: '{', '.join(self.tags)}'>"

    @property
    def id(self) -> str:
        return self._image.id

    @property
    def short_id(self) -> str:
        return self.id[:19] if self.id.startswith("sha256:") else self.id[:12]

    @property
    def tags(self) -> list[str]:
        """Its names as docker shows them (``box:1``, ``registry:5000/x:2``)."""
        from hutch.image import reference

        return [reference.familiar(n) for n in self._image.names]

    @property
    def repo_digests(self) -> list[str]:
        """hutch's: the digests registries gave it (attrs["RepoDigests"])."""
        return list(self._image.repo_digests)

    @property
    def manifest_digest(self) -> str:
        """hutch's: its manifest's digest in the store."""
        return self._image.manifest_digest

    @property
    def labels(self) -> dict[str, str]:
        return dict((self._image.config.get("config") or {}).get("Labels") or {})

    @property
    def attrs(self) -> dict[str, Any]:
        from hutch.engine import inspect

        return inspect.image(self._image)

    def reload(self) -> Image:
        self._image = self._engine.images.get(self.id)
        return self

    def history(self) -> list[dict[str, Any]]:
        """docker's image history: newest first, {Id, Created (seconds), CreatedBy, Tags, Size, Comment}."""
        img = self._image
        sizes = [int(layer.get("size", 0)) for layer in reversed(img.layers)]
        out = []
        for i, h in enumerate(reversed(img.config.get("history", []))):
            size = 0 if h.get("empty_layer") or not sizes else sizes.pop(0)
            created = str(h.get("created", ""))
            out.append({"Id": img.id if i == 0 else "<missing>", "Created": _seconds(created),
                        "CreatedBy": str(h.get("created_by", "")), "Tags": self.tags if i == 0 else None,
                        "Size": size, "Comment": str(h.get("comment", ""))})
        return out

    def tag(self, repository: str, tag: str | None = None, **_kwargs: Any) -> bool:
        ref = f"{repository}:{tag}" if tag else repository
        self._engine.images.tag(ref, self._image.manifest_digest)
        self.reload()
        return True

    def save(self, chunk_size: int = 2 << 20, named: str | bool = False) -> Iterator[bytes]:
        """A docker-archive tarball of the image, in chunks (named: under its first tag, or ``named``)."""
        import tempfile

        from hutch.image import archive

        ref = named if isinstance(named, str) else self.tags[0] if named and self.tags else self.id
        spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115  (the generator closes it)
        archive.save_to(self._engine.images, [ref], spool)
        spool.seek(0)

        def chunks() -> Iterator[bytes]:
            try:
                while data := spool.read(chunk_size):
                    yield data
            finally:
                spool.close()

        return chunks()


def _seconds(stamp: str) -> int:
    from hutch.api.streams import epoch

    at = epoch(stamp)
    return int(at) if at is not None else 0


class Images:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._store = engine.images

    def import_tarball(self, source: str | os.PathLike[str] | IO[bytes], ref: str | None = None) -> Image:
        """A root filesystem tarball as an image (`hutch import`)."""
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as f:
                return Image(self._engine, self._store.import_rootfs(f, ref))
        return Image(self._engine, self._store.import_rootfs(source, ref))  # type: ignore[arg-type]

    def pull(self, repository: str, tag: str | None = None, all_tags: bool = False, *,
             platform: str | None = None, auth_config: Mapping[str, str] | None = None,
             tls_verify: bool | None = None, quiet: bool = True) -> Any:
        """docker-py's pull: ``repository`` (``busybox``, ``registry:5000/team/app:2``,
        ``x@sha256:...``) at ``tag``; the Image (a list of them with ``all_tags``).
        ``auth_config`` ({"username", "password"}) instead of the stored credentials;
        progress on stdout unless ``quiet``."""
        from hutch.image import reference
        from hutch.image.registry.progress import Progress
        from hutch.image.registry.pull import pull

        ref = f"{repository}:{tag}" if tag else repository
        session = _session(auth_config, tls_verify)
        try:
            if all_tags:
                r = reference.parse(repository, default_tag=False)
                endpoint = session.endpoints(r.name)[-1]
                tags = session.repository(endpoint).tags()
                pulled = [pull(self._store, session, str(r.with_tag(t)), Progress(quiet=quiet),
                               platform=platform) for t in tags]
                return [Image(self._engine, p.image) for p in pulled]
            return Image(self._engine, pull(self._store, session, ref, Progress(quiet=quiet),
                                            platform=platform).image)
        finally:
            session.close()

    def push(self, repository: str, tag: str | None = None, *, destination: str | None = None,
             auth_config: Mapping[str, str] | None = None, tls_verify: bool | None = None,
             quiet: bool = True, **_kwargs: Any) -> str:
        """docker-py's push of ``repository[:tag]`` (to ``destination`` if given, podman's
        second argument); the manifest digest."""
        from hutch.image.registry.progress import Progress
        from hutch.image.registry.push import push

        session = _session(auth_config, tls_verify)
        try:
            return push(self._store, session, f"{repository}:{tag}" if tag else repository, destination,
                        Progress(quiet=quiet))
        finally:
            session.close()

    def load(self, data: bytes | IO[bytes] | str | os.PathLike[str]) -> list[Image]:
        """docker-py's load: a docker-archive or oci-archive tarball (its bytes, a reader, or
        hutch's: a path); the images loaded."""
        import tempfile

        from hutch.image import archive

        if isinstance(data, (str, os.PathLike)):
            names = archive.load(self._store, os.fspath(data))
        else:
            with tempfile.NamedTemporaryFile(dir=self._store.root, prefix=".load-") as f:
                if isinstance(data, bytes):
                    f.write(data)
                else:
                    while chunk := data.read(1 << 20):
                        f.write(chunk)
                f.flush()
                names = archive.load(self._store, f.name)
        return [self.get(n) for n in names]

    def get(self, name: str) -> Image:
        """By name or id; raises `hutch.errors.ImageNotFound`."""
        return Image(self._engine, self._store.get(name))

    def list(self, name: str | None = None, all: bool = False,
             filters: Mapping[str, Any] | None = None) -> list[Image]:
        """docker-py's list: every image, or those of repository ``name``; ``filters``:
        dangling, label (KEY or KEY=VALUE), reference."""
        import builtins
        import fnmatch

        out = [Image(self._engine, i) for i in self._store.images() if all or not i.intermediate]
        if name:
            out = [i for i in out if any(t.rpartition(":")[0] == name or t == name for t in i.tags)]
        for key, wanted in (filters or {}).items():
            values = [wanted] if isinstance(wanted, (str, bool)) else list(wanted)
            if key == "dangling":
                dangling = str(values[0]).lower() in ("true", "1")
                out = [i for i in out if (not i.tags) == dangling]
            elif key == "label":
                out = [i for i in out if builtins.all(k in i.labels and (not eq or i.labels[k] == v)
                                             for k, eq, v in (str(x).partition("=") for x in values))]
            elif key == "reference":
                pats = [str(v) for v in values]
                out = [i for i in out if any(fnmatch.fnmatch(t, p) or fnmatch.fnmatch(t.rpartition(":")[0], p)
                                             for t in i.tags for p in pats)]
            else:
                raise NotImplementedByHutch(f"images.list: the {key!r} filter is not supported by hutch")
        return out

    def remove(self, image: str, force: bool = False, noprune: bool = False) -> None:
        """`hutch rmi [-f]`: untag ``image`` (an image given by id loses all its names), and
        delete the image once it has none, refusing as docker does when a container uses it."""
        from hutch.engine.rmi import remove_image

        with answered():
            remove_image(self._engine, image, force)

    def prune(self, filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        from hutch.engine import prune

        everything = str((filters or {}).get("dangling", "true")).lower() in ("false", "0")
        lines, freed = prune.images(self._engine, everything)
        return {"ImagesDeleted": [{"Deleted": line.partition(": ")[2] or line} for line in lines],
                "SpaceReclaimed": freed}

    def build(self, *, path: str | os.PathLike[str] | None = None, fileobj: IO[bytes] | IO[str] | None = None,
              tag: str | None = None, quiet: bool = False, nocache: bool = False, rm: bool = True,
              dockerfile: str | None = None, buildargs: Mapping[str, str] | None = None,
              labels: Mapping[str, str] | None = None, target: str | None = None,
              network_mode: str | None = None, pull: bool = False,
              **kwargs: Any) -> tuple[Image, Iterator[Any]]:
        """docker-py's build: the context directory ``path`` (its ``dockerfile``, default
        Dockerfile) or a Dockerfile as ``fileobj`` (no context); ``(Image, log)``, the log
        docker's JSON lines as dicts ({"stream": ...}). A failed step raises `BuildError`
        (``msg``, ``build_log``), as docker-py's."""
        import io
        import tempfile

        from hutch.build import context
        from hutch.build import dockerfile as dockerfile_syntax
        from hutch.build.builder import Builder, Options
        from hutch.errors import BuildError

        for key in kwargs:  # (accepted as docker-py's, with nothing to do here)
            if key not in ("forcerm", "timeout", "encoding", "use_config_proxy", "decode", "custom_context"):
                raise NotImplementedByHutch(f"images.build: {key!r} is not supported by hutch")
        if kwargs.get("custom_context"):
            raise NotImplementedByHutch("images.build: custom_context (a tar context) is not supported by "
                                        "hutch")
        with tempfile.TemporaryDirectory(prefix="hutch-build-") as empty:
            if fileobj is not None:
                raw = fileobj.read()
                text = raw.decode() if isinstance(raw, bytes) else raw
                top = empty
            elif path is not None:
                top = os.fspath(path)
                name = os.path.join(top, dockerfile or "Dockerfile")
                try:
                    with open(name, encoding="utf-8") as f:
                        text = f.read()
                except OSError as err:
                    raise BuildError(f"Cannot locate specified Dockerfile: {dockerfile or 'Dockerfile'}",
                                     []) from err
            else:
                raise TypeError("Either path or fileobj needs to be provided.")
            out = io.StringIO()
            opts = Options(tags=[tag] if tag else [], build_args=dict(buildargs or {}), target=target or "",
                           no_cache=nocache, quiet=quiet, network=network_mode or "bridge",
                           labels=dict(labels or {}), capture=True)

            def resolve(ref: str) -> StoredImage:
                if not pull:
                    try:
                        return self._store.get(ref)
                    except HutchError:
                        pass
                return self._pulled(ref)

            try:
                df = dockerfile_syntax.parse(text)
                built = Builder(self._engine, df, os.path.abspath(top), context.load_ignore(top), opts,
                                resolve, out).run()
            except HutchError as err:
                failed: list[dict[str, Any]] = [*_log_lines(out.getvalue()),
                                                {"error": str(err), "errorDetail": {"message": str(err)}}]
                raise BuildError(str(err), iter(failed)) from err
        return Image(self._engine, built), iter(_log_lines(out.getvalue()))

    def _pulled(self, ref: str) -> StoredImage:
        from hutch.image.registry.progress import Progress
        from hutch.image.registry.pull import pull

        session = _session(None, None)
        try:
            return pull(self._store, session, ref, Progress(quiet=True)).image
        finally:
            session.close()


def _log_lines(text: str) -> list[dict[str, str]]:
    """docker's build log: each line as {"stream": LINE}."""
    return [{"stream": line} for line in text.splitlines(keepends=True)]


def _session(auth_config: Mapping[str, str] | None, tls_verify: bool | None) -> Any:
    from hutch.image.registry.session import Session

    cred = None
    if auth_config:
        from hutch.image.registry.credentials import Credential

        cred = Credential(auth_config.get("username", ""), auth_config.get("password", ""),
                          auth_config.get("identitytoken", ""))
    return Session(tls_verify=tls_verify, credential=cred)


# ---- volumes ------------------------------------------------------------------------------------

