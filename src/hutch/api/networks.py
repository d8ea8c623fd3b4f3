"""docker-py's networks collection and Network model over hutch.network.store and
hutch.engine.netattach."""

from __future__ import annotations

from hutch.api.answers import answered
from hutch.api.containers import Container
from hutch.api.model import Model
from hutch.errors import APIError, Conflict, NotImplementedByHutch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from hutch.api.images import Images
    from hutch.engine.containers import Engine


class Network(Model):
    def __init__(self, engine: Engine, images: Images, attrs: dict[str, Any]) -> None:
        self._engine, self._images, self.attrs = engine, images, attrs

    @property
    def id(self) -> str:
        return str(self.attrs["Id"])

    @property
    def name(self) -> str:
        return str(self.attrs["Name"])

    @property
    def containers(self) -> list[Container]:
        """The containers on it."""
        return [Container(self._engine, self._images, r) for r in self._engine.records()
                if self.id in (r.get("networks") or {})]

    def reload(self) -> Network:
        self.attrs = Networks(self._engine, self._images).get(self.id).attrs
        return self

    def connect(self, container: str | Container, aliases: list[str] | None = None, links: object = None,
                ipv4_address: str | None = None, ipv6_address: str | None = None, **_kwargs: Any) -> None:
        from hutch.engine import netattach

        eng = self._engine
        record = eng.find(container if isinstance(container, str) else container.id)
        with answered():
            netattach.connect(eng.store, record, eng.root, self.id, list(aliases or []), ipv4_address or "",
                              ipv6_address or "")

    def disconnect(self, container: str | Container, force: bool = False) -> None:
        from hutch.engine import netattach
        from hutch.errors import HutchError

        eng = self._engine
        record = eng.find(container if isinstance(container, str) else container.id)
        try:
            netattach.disconnect(eng.store, record, eng.root, self.id)
        except HutchError as err:
            if not (force and "is not connected" in str(err)):
                raise

    def remove(self) -> None:
        from hutch.engine.netattach import remove_network

        with answered():
            remove_network(self._engine.root, self._engine.runroot, self._engine.records(), self.id)


class Networks:
    def __init__(self, engine: Engine, images: Images) -> None:
        self._engine, self._images = engine, images

    def _store(self) -> Any:
        from hutch.network.store import Networks as Store

        return Store(self._engine.root)

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
        with answered():
            net = self._store().create(name, subnet=v4.get("subnet", ""), gateway=v4.get("gateway", ""),
                                       ip_range=v4.get("ip_range", ""), internal=internal,
                                       labels=dict(labels or {}), options=dict(options or {}),
                                       ipv6=enable_ipv6 or bool(v6), subnet6=v6.get("subnet", ""),
                                       gateway6=v6.get("gateway", ""), ip_range6=v6.get("ip_range", ""))
        return Network(self._engine, self._images, net)

    def get(self, network_id: str, **_kwargs: Any) -> Network:
        """By name, id or id prefix; raises `hutch.errors.NotFound`."""
        return Network(self._engine, self._images, self._store().get(network_id))

    def list(self, names: list[str] | None = None, ids: list[str] | None = None,
             filters: Mapping[str, Any] | None = None, greedy: bool = False) -> list[Network]:
        nets = [Network(self._engine, self._images, n) for n in self._store().listed()]
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
        from hutch.engine.netattach import network_users, remove_network

        records = self._engine.records()
        store, users = self._store(), network_users(records)
        gone = []
        for net in store.all():
            if net["Name"] not in PREDEFINED and not users.get(net["Id"]):
                try:
                    remove_network(self._engine.root, self._engine.runroot, records, net["Id"])
                except Conflict:
                    continue
                gone.append(net["Name"])
        return {"NetworksDeleted": gone}
