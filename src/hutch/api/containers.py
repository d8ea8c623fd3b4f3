"""docker-py's containers collection over hutch's engine: create/run with docker-py's keyword
arguments (hutch.api.args), get, list with filters, prune. The model is hutch.api.container."""

from __future__ import annotations

from hutch.api.answers import answered
from hutch.api.container import Container, ExecResult
from hutch.api.images import Image
from hutch.engine.model import LISTED, PAUSED
from hutch.errors import ContainerError, NotImplementedByHutch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from hutch.api.images import Images
    from hutch.engine.containers import Engine
    from hutch.engine.records import Record


class Containers:
    def __init__(self, engine: Engine, images: Images) -> None:
        self._engine, self._images = engine, images

    def create(self, image: str | Image, command: str | Iterable[str] | None = None,
               **kwargs: Any) -> Container:
        """docker-py's create: a container, not started (`hutch create`); docker-py's keyword
        arguments (hutch.apiargs), pulling a missing image."""
        from hutch.api import args as apiargs

        apiargs.check_kwargs("create", kwargs, frozenset({"detach"}))  # (docker-py's create takes it too)
        return self._create(image, command, kwargs)

    def _create(self, image: str | Image, command: str | Iterable[str] | None, kwargs: dict[str, Any],
                platform: str | None = None) -> Container:
        from hutch.api import args as apiargs
        from hutch.engine.request import CreateRequest
        from hutch.image.store import ImageNotFound

        ref = image if isinstance(image, str) else image.id
        if command is not None:
            kwargs = {**kwargs, "command": command}
        args = apiargs.to_parse_args(kwargs, "restart" in CreateRequest.parse.__code__.co_varnames)
        try:
            self._engine.images.get(ref)
        except ImageNotFound:  # docker-py's run and create pull a missing image
            self._images.pull(ref, platform=platform)
        with answered():
            req = CreateRequest.parse(ref, **args)
            return Container(self._engine, self._images, self._engine.create(req))

    def run(self, image: str | Image, command: str | Iterable[str] | None = None, stdout: bool = True,
            stderr: bool = False, remove: bool = False, **kwargs: Any) -> Any:
        """docker-py's run: with ``detach``, the running `Container`; else wait for it and
        return its output (``stdout``, ``stderr``: which streams) as bytes (a generator of chunks
        with ``stream``), raising `ContainerError` (with its stderr) if it exited non-zero.
        ``remove`` (and ``auto_remove``, docker's --rm) removes it then; with ``detach``,
        ``auto_remove`` has the engine remove it when it exits."""
        from hutch.api import args as apiargs

        apiargs.check_kwargs("run", kwargs, apiargs.RUN_ONLY)
        detach = bool(kwargs.pop("detach", False))
        stream = bool(kwargs.pop("stream", False))
        platform = kwargs.pop("platform", None)
        if detach and remove:  # docker-py (API >= 1.25): the engine removes it when it exits
            kwargs["auto_remove"], remove = True, False
        elif not detach and kwargs.get("auto_remove"):  # removed here once its status and logs are read:
            kwargs["auto_remove"], remove = False, True  # the engine's --rm could lose its exit status
        container = self._create(image, command, kwargs, platform)
        try:
            container.start()
        except BaseException:
            container.remove(force=True, missing_ok=True)
            raise
        if detach:
            return container
        try:
            out = container.logs(stdout=stdout, stderr=stderr, stream=True, follow=True) \
                if stdout or stderr else None
            code = container.wait()["StatusCode"]
            err = None if code == 0 else container.logs(stdout=False, stderr=True)
            if out is not None and not stream:
                out = b"".join(out)
        finally:
            if remove:
                container.remove(force=True, missing_ok=True)
        if code != 0:
            raise ContainerError(container, code, command, image if isinstance(image, str) else image.id, err)
        return out

    def get(self, container_id: str) -> Container:
        """By name, id or unique id prefix; raises `hutch.errors.NotFound`."""
        return Container(self._engine, self._images, self._engine.find(container_id))

    def list(self, all: bool = False, before: str | None = None, filters: Mapping[str, Any] | None = None,
             limit: int = -1, since: str | None = None, sparse: bool = False,
             ignore_removed: bool = False) -> list[Container]:
        """docker-py's list: the running ones (``all``: every one), newest first; ``filters``
        status, label (KEY or KEY=VALUE), name, id, ancestor, exited; ``limit`` the newest N (all of
        them); ``since``/``before`` a container: those made after/before it."""
        records = self._engine.records()  # (newest first)
        if since or before:  # docker's: created after ``since``, before ``before`` (any state)
            ids = [r["id"] for r in records]
            lo = ids.index(self._engine.find(since)["id"]) if since else len(ids)
            hi = ids.index(self._engine.find(before)["id"]) + 1 if before else 0
            records, all = records[hi:lo], True
        if limit > 0 or filters:
            all = True
        out = [r for r in records if (all or r["state"]["status"] in LISTED) and _matches(r, filters or {})]
        return [Container(self._engine, self._images, r) for r in (out[:limit] if limit > 0 else out)]

    def prune(self, filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Remove every stopped container: {"ContainersDeleted": [...], "SpaceReclaimed": N}."""
        from hutch.engine import prune

        if filters:
            raise NotImplementedByHutch("containers.prune: filters are not supported by hutch")
        ids, freed = prune.containers(self._engine)
        return {"ContainersDeleted": ids, "SpaceReclaimed": freed}


def _matches(r: Record, filters: Mapping[str, Any]) -> bool:
    import re

    for key, wanted in filters.items():
        values = [wanted] if isinstance(wanted, (str, int, bool)) else list(wanted)
        if key == "status":
            status = PAUSED if r["state"].get("paused") else r["state"]["status"]
            ok = status in values
        elif key == "label":
            labels = r.get("labels") or {}
            ok = all((k in labels and (not eq or labels[k] == v))
                     for k, eq, v in (str(x).partition("=") for x in values))
        elif key == "name":
            ok = any(re.search(str(v), str(r["name"])) for v in values)
        elif key == "id":
            ok = any(str(r["id"]).startswith(str(v)) for v in values)
        elif key == "ancestor":
            ok = any(str(v) in (r.get("image"), r.get("image_id")) for v in values)
        elif key == "exited":
            ok = r["state"]["status"] == "exited" and int(r["state"].get("exit_code", 0)) in map(int, values)
        else:
            raise NotImplementedByHutch(f"containers.list: the {key!r} filter is not supported by hutch")
        if not ok:
            return False
    return True


__all__ = ["Container", "Containers", "ExecResult"]
