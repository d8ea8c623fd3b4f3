"""docker-py's DockerClient: `Client` (its collections over one engine store), `from_env`,
ping, version and info."""

from __future__ import annotations

import os

from hutch.api.containers import Containers
from hutch.api.images import Images
from hutch.api.networks import Networks
from hutch.api.volumes import Volumes
from hutch.engine.containers import DEFAULT_ROOT, DEFAULT_RUNROOT, Engine

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any


class Client:
    """An engine store (``root``), its runtime state (``runroot``), and an OCI runtime
    (hutch-runtime by default, or ``runtime="runc"`` or a path). docker-py's DockerClient."""

    def __init__(self, root: str = DEFAULT_ROOT, runroot: str = DEFAULT_RUNROOT,
                 runtime: str | None = None) -> None:
        if runtime is None and not _beside_hutch():
            runtime = _venv_runtime()
        self.engine = Engine(root, runroot, runtime)
        self.images = Images(self.engine)
        self.containers = Containers(self.engine, self.images)
        self.volumes = Volumes(self.engine)
        self.networks = Networks(self.engine, self.images)

    @classmethod
    def from_env(cls, *, root: str | None = None, runroot: str | None = None, runtime: str | None = None,
                 environment: Mapping[str, str] | None = None, **_docker_args: Any) -> Client:
        """docker.from_env(): the store from HUTCH_ROOT, HUTCH_RUNROOT and HUTCH_RUNTIME (or the
        arguments); docker-py's connection arguments (version, timeout, tls...) are ignored."""
        env = os.environ if environment is None else environment
        return cls(root or env.get("HUTCH_ROOT") or DEFAULT_ROOT,
                   runroot or env.get("HUTCH_RUNROOT") or DEFAULT_RUNROOT,
                   runtime or env.get("HUTCH_RUNTIME") or None)

    def ping(self) -> bool:
        """True: there is no daemon to reach, the store is here."""
        return True

    def version(self) -> dict[str, Any]:
        """docker's /version: `hutch version`'s server part (hutch.engine.sysinfo), with the API
        versions docker-py negotiates."""
        from hutch.engine import sysinfo

        return {**sysinfo.version(self.engine)["Server"], "ApiVersion": "1.43", "MinAPIVersion": "1.24"}

    def info(self) -> dict[str, Any]:
        """docker's /info: `hutch info`'s document (hutch.engine.sysinfo)."""
        from hutch.engine import sysinfo

        return sysinfo.info(self.engine)

    def df(self) -> dict[str, Any]:
        """docker's /system/df: LayersSize, Images, Containers, Volumes, BuildCache."""
        from hutch.engine.diskusage import usage

        return usage(self.engine)

    def events(self, since: Any = None, until: Any = None, filters: Mapping[str, Any] | None = None,
               decode: bool | None = None) -> Iterator[Any]:
        """docker-py's events: the store's journal (hutch.engine.events) from ``since`` (a datetime,
        Unix seconds or docker's time text; default now), until ``until`` (None: follow for ever),
        matching docker's ``filters`` ({"type": "container", "event": ["start", "die"]...});
        each a dict with ``decode``, else its JSON line as bytes."""
        import time

        from hutch.engine.eventstream import docker_message, parse_filters, stream
        from hutch.fastjson import dumps

        def ns(value: Any, default: int | None) -> int | None:
            if value is None:
                return default
            if hasattr(value, "timestamp"):
                value = value.timestamp()
            if isinstance(value, (int, float)):
                return int(value * 1_000_000_000)
            from hutch.util.timefmt import timestamp_ns

            return timestamp_ns(str(value), time.time_ns())

        wanted = [f"{k}={v}" for k, vs in (filters or {}).items()
                  for v in (vs if isinstance(vs, (list, tuple, set)) else [vs])]
        start = ns(since, time.time_ns()) or 0
        for ev in stream(self.engine.root, start, ns(until, None), parse_filters(wanted)):
            msg = docker_message(ev)
            yield msg if decode else dumps(msg).encode() + b"\n"

    def close(self) -> None:
        """Nothing to release (there is no daemon); for symmetry with docker-py."""

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


DockerClient = Client


def from_env(**kwargs: Any) -> Client:
    """docker.from_env(): see `Client.from_env`."""
    return Client.from_env(**kwargs)


def _beside_hutch() -> bool:
    import sys

    return os.access(os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "hutch-runtime"), os.X_OK)


def _venv_runtime() -> str | None:
    """From a Python program (argv[0] is not `hutch`): the hutch-runtime of this interpreter's
    environment, if there is one (else find_runtime looks on PATH)."""
    import sys

    candidate = os.path.join(os.path.dirname(sys.executable), "hutch-runtime")
    return candidate if os.access(candidate, os.X_OK) else None
