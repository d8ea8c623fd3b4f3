"""docker-py's images, volumes and networks collections and models over hutch's stores
(the image store, hutch.engine.volumes, hutch.network.store and hutch.engine.netattach)."""

from __future__ import annotations

import os

from hutch.errors import APIError, Conflict, NotImplementedByHutch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import IO, Any

    from hutch.api import Client, Container
    from hutch.image.store import Image as StoredImage


class Image:
    """docker-py's Image: ``id`` (sha256:...), ``short_id``, ``tags``, ``labels``, ``attrs``."""

    def __init__(self, client: Client, image: StoredImage) -> None:
        self.client = client
        self._image = image

    def __repr__(self) -> str:
        return f"<Image: '{', '.join(self.tags)}'>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Image) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

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
    def labels(self) -> dict[str, str]:
        return dict((self._image.config.get("config") or {}).get("Labels") or {})

    @property
    def attrs(self) -> dict[str, Any]:
        from hutch.engine import inspect

        return inspect.image(self._image)

    def reload(self) -> Image:
        self._image = self.client.engine.images.get(self.id)
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
        self.client.engine.images.tag(ref, self._image.manifest_digest)
        self.reload()
        return True

    def save(self, chunk_size: int = 2 << 20, named: str | bool = False) -> Iterator[bytes]:
        """A docker-archive tarball of the image, in chunks (named: under its first tag, or ``named``)."""
        import tempfile

        from hutch.image import archive

        ref = named if isinstance(named, str) else self.tags[0] if named and self.tags else self.id
        spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115  (the generator closes it)
        archive.save_to(self.client.engine.images, [ref], spool)
        spool.seek(0)

        def chunks() -> Iterator[bytes]:
            try:
                while data := spool.read(chunk_size):
                    yield data
            finally:
                spool.close()

        return chunks()


def _seconds(stamp: str) -> int:
    from hutch.api import _epoch

    at = _epoch(stamp)
    return int(at) if at is not None else 0


class Images:
    def __init__(self, client: Client) -> None:
        self.client = self._client = client
        self._store = client.engine.images

    def import_tarball(self, source: str | os.PathLike[str] | IO[bytes], ref: str | None = None) -> Image:
        """A root filesystem tarball as an image (`hutch import`)."""
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as f:
                return Image(self._client, self._store.import_rootfs(f, ref))
        return Image(self._client, self._store.import_rootfs(source, ref))  # type: ignore[arg-type]

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
                return [Image(self._client, p.image) for p in pulled]
            return Image(self._client, pull(self._store, session, ref, Progress(quiet=quiet),
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
        return Image(self._client, self._store.get(name))

    def list(self, name: str | None = None, all: bool = False,
             filters: Mapping[str, Any] | None = None) -> list[Image]:
        """docker-py's list: every image, or those of repository ``name``; ``filters``:
        dangling, label (KEY or KEY=VALUE), reference."""
        import builtins
        import fnmatch

        out = [Image(self._client, i) for i in self._store.images()]
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

        remove_image(self._client.engine, image, force)

    def prune(self, filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        from hutch.engine import prune

        everything = str((filters or {}).get("dangling", "true")).lower() in ("false", "0")
        lines, freed = prune.images(self._client.engine, everything)
        return {"ImagesDeleted": [{"Deleted": line.partition(": ")[2] or line} for line in lines],
                "SpaceReclaimed": freed}

    def build(self, **_kwargs: Any) -> Any:
        raise NotImplementedByHutch("images.build is not supported by hutch's Python API (use `hutch build`)")


def _session(auth_config: Mapping[str, str] | None, tls_verify: bool | None) -> Any:
    from hutch.image.registry.session import Session

    cred = None
    if auth_config:
        from hutch.image.registry.credentials import Credential

        cred = Credential(auth_config.get("username", ""), auth_config.get("password", ""),
                          auth_config.get("identitytoken", ""))
    return Session(tls_verify=tls_verify, credential=cred)


# ---- volumes ------------------------------------------------------------------------------------


class Volume:
    def __init__(self, client: Client, attrs: dict[str, Any]) -> None:
        self.client, self.attrs = client, attrs

    def __repr__(self) -> str:
        return f"<Volume: {self.short_id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Volume) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def id(self) -> str:
        return str(self.attrs["Name"])

    name = id

    @property
    def short_id(self) -> str:
        return self.id[:12]

    def reload(self) -> Volume:
        self.attrs = self.client.volumes.get(self.id).attrs
        return self

    def remove(self, force: bool = False) -> None:
        from hutch.engine.volumes import VolumeNotFound, VolumeStore

        try:
            VolumeStore(self.client.engine.root).remove(self.id, _volumes_in_use(self.client))
        except VolumeNotFound:
            if not force:
                raise


def _volumes_in_use(client: Client) -> set[str]:
    return {str(v["Name"]) for r in client.engine.records() for v in r.get("volumes") or []}


class Volumes:
    def __init__(self, client: Client) -> None:
        self.client = client

    def _store(self) -> Any:
        from hutch.engine.volumes import VolumeStore

        return VolumeStore(self.client.engine.root)

    def create(self, name: str | None = None, driver: str | None = None, driver_opts: Mapping[str, str] |
               None = None, labels: Mapping[str, str] | None = None) -> Volume:
        if driver not in (None, "local") or driver_opts:
            raise NotImplementedByHutch("volumes.create: only the local driver, without options")
        doc, _ = self._store().create(name or "", dict(labels or {}))
        return self.get(str(doc["Name"]))

    def get(self, volume_id: str) -> Volume:
        """Raises `hutch.errors.NotFound`."""
        return Volume(self.client, self._store().get(volume_id))

    def list(self, filters: Mapping[str, Any] | None = None) -> list[Volume]:
        vols = [Volume(self.client, d) for d in self._store().all()]
        for key, wanted in (filters or {}).items():
            values = [wanted] if isinstance(wanted, (str, bool)) else list(wanted)
            if key == "name":
                vols = [v for v in vols if any(str(x) in v.id for x in values)]
            elif key == "label":
                vols = [v for v in vols if all(
                    k in (v.attrs.get("Labels") or {}) and (not eq or v.attrs["Labels"][k] == val)
                    for k, eq, val in (str(x).partition("=") for x in values))]
            elif key == "dangling":
                used = _volumes_in_use(self.client)
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
        used = _volumes_in_use(self.client)
        sizes = {d["Name"]: tree_size(d["Mountpoint"]) for d in store.all() if d["Name"] not in used}
        gone = store.prune(used, everything)
        return {"VolumesDeleted": gone, "SpaceReclaimed": sum(sizes.get(n, 0) for n in gone)}


# ---- networks -----------------------------------------------------------------------------------


class Network:
    def __init__(self, client: Client, attrs: dict[str, Any]) -> None:
        self.client, self.attrs = client, attrs

    def __repr__(self) -> str:
        return f"<Network: {self.short_id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Network) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def id(self) -> str:
        return str(self.attrs["Id"])

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def name(self) -> str:
        return str(self.attrs["Name"])

    @property
    def containers(self) -> list[Container]:
        """The containers on it."""
        from hutch.api import Container

        return [Container(self.client, r) for r in self.client.engine.records()
                if self.id in (r.get("networks") or {})]

    def reload(self) -> Network:
        self.attrs = self.client.networks.get(self.id).attrs
        return self

    def connect(self, container: str | Container, aliases: list[str] | None = None, links: object = None,
                ipv4_address: str | None = None, ipv6_address: str | None = None, **_kwargs: Any) -> None:
        from hutch.engine import netattach

        eng = self.client.engine
        record = eng.find(container if isinstance(container, str) else container.id)
        netattach.connect(eng.store, record, eng.root, self.id, list(aliases or []), ipv4_address or "",
                          ipv6_address or "")

    def disconnect(self, container: str | Container, force: bool = False) -> None:
        from hutch.engine import netattach
        from hutch.errors import HutchError

        eng = self.client.engine
        record = eng.find(container if isinstance(container, str) else container.id)
        try:
            netattach.disconnect(eng.store, record, eng.root, self.id)
        except HutchError as err:
            if not (force and "is not connected" in str(err)):
                raise

    def remove(self) -> None:
        from hutch.network.store import Networks as Store

        users = _network_users(self.client)
        Store(self.client.engine.root).remove(self.id, lambda nid: users.get(nid, []))


def _network_users(client: Client) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in client.engine.records():
        for nid in r.get("networks") or {}:
            out.setdefault(str(nid), []).append(str(r["name"]))
    return out


class Networks:
    def __init__(self, client: Client) -> None:
        self.client = client

    def _store(self) -> Any:
        from hutch.network.store import Networks as Store

        return Store(self.client.engine.root)

    def create(self, name: str, driver: str | None = None, options: Mapping[str, str] | None = None,
               ipam: Mapping[str, Any] | None = None, check_duplicate: bool | None = None,
               internal: bool = False, labels: Mapping[str, str] | None = None, enable_ipv6: bool = False,
               attachable: bool | None = None, scope: str | None = None,
               ingress: bool | None = None) -> Network:
        """docker-py's: a bridge network; ``ipam`` docker.types.IPAMConfig's dict
        ({"Driver": "default", "Config": [{"Subnet", "Gateway", "IPRange"}]}), one pool per family."""
        if driver not in (None, "bridge"):
            raise NotImplementedByHutch(f"networks.create: the {driver} driver (hutch has bridge)")
        if ingress:
            raise NotImplementedByHutch("networks.create: ingress networks (swarm) are not in hutch")
        v4: dict[str, str] = {}
        v6: dict[str, str] = {}
        for pool in (ipam or {}).get("Config") or []:
            subnet = str(pool.get("Subnet") or pool.get("subnet") or "")
            fam = v6 if ":" in subnet else v4
            if fam:
                raise APIError("networks.create: one IPAM pool per address family")
            fam.update(subnet=subnet, gateway=str(pool.get("Gateway") or pool.get("gateway") or ""),
                       ip_range=str(pool.get("IPRange") or pool.get("iprange") or ""))
        net = self._store().create(name, subnet=v4.get("subnet", ""), gateway=v4.get("gateway", ""),
                                   ip_range=v4.get("ip_range", ""), internal=internal,
                                   labels=dict(labels or {}),
                                   options=dict(options or {}), ipv6=enable_ipv6 or bool(v6),
                                   subnet6=v6.get("subnet", ""), gateway6=v6.get("gateway", ""),
                                   ip_range6=v6.get("ip_range", ""))
        return Network(self.client, net)

    def get(self, network_id: str, **_kwargs: Any) -> Network:
        """By name, id or id prefix; raises `hutch.errors.NotFound`."""
        return Network(self.client, self._store().get(network_id))

    def list(self, names: list[str] | None = None, ids: list[str] | None = None,
             filters: Mapping[str, Any] | None = None, greedy: bool = False) -> list[Network]:
        nets = [Network(self.client, n) for n in self._store().listed()]
        if names:
            nets = [n for n in nets if n.name in names]
        if ids:
            nets = [n for n in nets if n.id in ids]
        for key, wanted in (filters or {}).items():
            values = [wanted] if isinstance(wanted, str) else list(wanted)
            if key == "name":
                nets = [n for n in nets if any(str(v) in n.name for v in values)]
            elif key == "id":
                nets = [n for n in nets if any(n.id.startswith(str(v)) for v in values)]
            elif key == "label":
                nets = [n for n in nets if all(
                    k in (n.attrs.get("Labels") or {}) and (not eq or n.attrs["Labels"][k] == val)
                    for k, eq, val in (str(x).partition("=") for x in values))]
            elif key == "driver":
                nets = [n for n in nets if n.attrs.get("Driver") in values]
            else:
                raise NotImplementedByHutch(f"networks.list: the {key!r} filter is not supported by hutch")
        return nets

    def prune(self, filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Every network no container is on (not bridge, host, none): {"NetworksDeleted": [names]}."""
        from hutch.network.store import PREDEFINED

        if filters:
            raise NotImplementedByHutch("networks.prune: filters are not supported by hutch")
        store, users = self._store(), _network_users(self.client)
        gone = []
        for net in store.all():
            if net["Name"] not in PREDEFINED and not users.get(net["Id"]):
                try:
                    store.remove(net["Id"], lambda nid: users.get(nid, []))
                except Conflict:
                    continue
                gone.append(net["Name"])
        return {"NetworksDeleted": gone}
