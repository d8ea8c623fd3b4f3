"""docker-py's ``docker.types`` helpers that `containers.run/create` take (as dicts, which is
what docker-py's are): `Mount`, `Ulimit`, `LogConfig`, `IPAMPool`, `IPAMConfig`."""

from __future__ import annotations


class Mount(dict):  # type: ignore[type-arg]  # (docker-py's is a dict too: the API's JSON)
    """docker.types.Mount(target, source, type='volume', read_only=False, propagation=None,
    no_copy=False, tmpfs_size=None, tmpfs_mode=None)."""

    def __init__(self, target: str, source: str | None, type: str = "volume", read_only: bool = False,
                 consistency: str | None = None, propagation: str | None = None, no_copy: bool = False,
                 labels: dict[str, str] | None = None, driver_config: object = None,
                 tmpfs_size: int | str | None = None, tmpfs_mode: int | None = None) -> None:
        super().__init__(Target=target, Source=source, Type=type, ReadOnly=read_only)
        if consistency:
            self["Consistency"] = consistency
        if propagation:
            self["BindOptions"] = {"Propagation": propagation}
        if no_copy or labels:
            self["VolumeOptions"] = {"NoCopy": no_copy, **({"Labels": labels} if labels else {})}
        if tmpfs_size or tmpfs_mode:
            self["TmpfsOptions"] = {**({"SizeBytes": tmpfs_size} if tmpfs_size else {}),
                                    **({"Mode": tmpfs_mode} if tmpfs_mode else {})}


class Ulimit(dict):  # type: ignore[type-arg]
    def __init__(self, name: str, soft: int | None = None, hard: int | None = None) -> None:
        super().__init__(Name=name, Soft=soft, Hard=hard)


class LogConfig(dict):  # type: ignore[type-arg]
    def __init__(self, type: str = "json-file", config: dict[str, str] | None = None) -> None:
        super().__init__(Type=type, Config=dict(config or {}))



class IPAMPool(dict):  # type: ignore[type-arg]
    """docker.types.IPAMPool(subnet, iprange, gateway, aux_addresses)."""

    def __init__(self, subnet: str | None = None, iprange: str | None = None, gateway: str | None = None,
                 aux_addresses: dict[str, str] | None = None) -> None:
        super().__init__(Subnet=subnet, IPRange=iprange, Gateway=gateway, AuxiliaryAddresses=aux_addresses)


class IPAMConfig(dict):  # type: ignore[type-arg]
    """docker.types.IPAMConfig(driver="default", pool_configs=[IPAMPool...], options)."""

    def __init__(self, driver: str = "default", pool_configs: list[IPAMPool] | None = None,
                 options: dict[str, str] | None = None) -> None:
        super().__init__(Driver=driver, Config=list(pool_configs or []), Options=dict(options or {}))
