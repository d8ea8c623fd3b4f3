"""docker-py's volumes collection and Volume model over hutch.engine.volumes."""

from __future__ import annotations

from hutch.api.answers import answered
from hutch.api.model import Model
from hutch.errors import NotImplementedByHutch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from hutch.engine.containers import Engine


class Volume(Model):
    def __init__(self, engine: Engine, attrs: dict[str, Any]) -> None:
        self._engine, self.attrs = engine, attrs

    @property
    def id(self) -> str:
        return str(self.attrs["Name"])

    name = id

    def reload(self) -> Volume:
        self.attrs = Volumes(self._engine).get(self.id).attrs
        return self

    def remove(self, force: bool = False) -> None:
        from hutch.engine.volumes import VolumeNotFound, VolumeStore

        try:
            with answered():
                VolumeStore(self._engine.root).remove(self.id, _volumes_in_use(self._engine))
        except VolumeNotFound:
            if not force:
                raise


def _volumes_in_use(engine: Engine) -> set[str]:
    return {str(v["Name"]) for r in engine.records() for v in r.get("volumes") or []}


class Volumes:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _store(self) -> Any:
        from hutch.engine.volumes import VolumeStore

        return VolumeStore(self._engine.root)

    def create(self, name: str | None = None, driver: str | None = None, driver_opts: Mapping[str, str] |
               None = None, labels: Mapping[str, str] | None = None) -> Volume:
        if driver not in (None, "local") or driver_opts:
            raise NotImplementedByHutch("volumes.create: only the local driver, without options")
        with answered():
            doc, _ = self._store().create(name or "", dict(labels or {}))
        return self.get(str(doc["Name"]))

    def get(self, volume_id: str) -> Volume:
        """Raises `hutch.errors.NotFound`."""
        return Volume(self._engine, self._store().get(volume_id))

    def list(self, filters: Mapping[str, Any] | None = None) -> list[Volume]:
        vols = [Volume(self._engine, d) for d in self._store().all()]
        for key, wanted in (filters or {}).items():
            values = [wanted] if isinstance(wanted, (str, bool)) else list(wanted)
            if key == "name":
                vols = [v for v in vols if any(str(x) in v.id for x in values)]
            elif key == "label":
                vols = [v for v in vols if all(
                    k in (v.attrs.get("Labels") or {}) and (not eq or v.attrs["Labels"][k] == val)
                    for k, eq, val in (str(x).partition("=") for x in values))]
            elif key == "dangling":
                used = _volumes_in_use(self._engine)
                dangling = str(values[0]).lower() in ("true", "1")
                vols = [v for v in vols if (v.id not in used) == dangling]
            else:
                raise NotImplementedByHutch(f"volumes.list: the {key!r} filter is not supported by hutch")
        return vols

    def prune(self, filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """docker's: the unused anonymous volumes (``filters={"all": True}``: every unused one)."""
        from hutch.engine.prune import tree_size

        everything = str((filters or {}).get("all", "false")).lower() in ("true", "1")
        store = self._store()
        used = _volumes_in_use(self._engine)
        sizes = {d["Name"]: tree_size(d["Mountpoint"]) for d in store.all() if d["Name"] not in used}
        gone = store.prune(used, everything)
        return {"VolumesDeleted": gone, "SpaceReclaimed": sum(sizes.get(n, 0) for n in gone)}


# ---- networks -----------------------------------------------------------------------------------

