"""What one pull, push or login shares: registries.conf, one Transport, and an
Authenticator per registry (so a token is fetched once per scope, for every thread)."""

from __future__ import annotations

from hutch.image.registry.auth import Authenticator
from hutch.image.registry.client import Repository
from hutch.image.registry.transport import Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.image.registry.config import Endpoint, RegistriesConf
    from hutch.image.registry.credentials import Credential


class Session:
    def __init__(self, *, tls_verify: bool | None = None, cert_dir: str | None = None,
                 authfile: str | None = None, registries_conf: str | None = None,
                 conf: RegistriesConf | None = None, credential: Credential | None = None) -> None:
        """``credential``: for every registry, instead of the stored ones."""
        if conf is None:
            from hutch.image.registry.config import RegistriesConf

            conf = RegistriesConf.load(registries_conf)
        self.conf = conf
        self.authfile = authfile
        self.credential = credential
        self._insecure: dict[str, bool] = {}
        self.transport = Transport(tls_verify=tls_verify, cert_dir=cert_dir, insecure=self._is_insecure)
        self._auth: dict[tuple[str, str], Authenticator] = {}

    def _is_insecure(self, host: str) -> bool:
        if host not in self._insecure:
            from hutch.image.registry.config import is_loopback

            self._insecure[host] = is_loopback(host)
        return self._insecure[host]

    def endpoints(self, name: str) -> list[Endpoint]:
        """Where to pull the repository ``name`` (full: ``docker.io/library/busybox``)
        from: its mirrors first, then itself (registries.conf)."""
        found = self.conf.endpoints(name)
        for e in found:
            self._insecure[e.host] = self._insecure.get(e.host, False) or e.insecure
        return found

    def push_endpoint(self, name: str) -> Endpoint:
        e = self.conf.push_endpoint(name)
        self._insecure[e.host] = self._insecure.get(e.host, False) or e.insecure
        return e

    def authenticator(self, registry: str, host: str, repository: str = "") -> Authenticator:
        key = (registry, host)
        if key not in self._auth:
            from hutch.image.registry.credentials import lookup

            cred = self.credential or lookup(registry, repository, self.authfile)
            self._auth[key] = Authenticator(self.transport, registry, cred)
        return self._auth[key]

    def repository(self, endpoint: Endpoint) -> Repository:
        auth = self.authenticator(endpoint.registry, endpoint.host, endpoint.repository)
        return Repository(self.transport, auth, endpoint.host, endpoint.repository)

    def close(self) -> None:
        self.transport.close()
