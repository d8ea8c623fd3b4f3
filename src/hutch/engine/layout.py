"""Where a container's parts live: one place that names them.

    ROOT/containers/<id>/container.json   the record (hutch.engine.records)
    ROOT/containers/<id>/upper, work      the container's writable overlayfs layer
    ROOT/containers/<id>/init             below it: mount points of /etc/hosts... (docker's init layer)
    ROOT/containers/<id>/merged           its root, mounted while it runs
    ROOT/containers/<id>/bundle           the OCI bundle the runtime gets (config.json)
    ROOT/containers/<id>/hostname, hosts, resolv.conf   its own /etc files, bind-mounted
    ROOT/containers/<id>/<id>-json.log    its output, docker's json-file format
    ROOT/containers/<id>/monitor.json     what `start` tells the monitor; monitor.log its errors
    ROOT/containers/<id>/runtime.log, init.pid   the runtime's log and pid file of its `run`
    ROOT/containers/<id>/attach           the monitor's socket, while it runs
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.snapshot.overlay import Overlay


class Layout:
    """The paths of one container's directory; nothing is read or made here."""

    __slots__ = ("dir", "id")

    def __init__(self, containers_dir: str, cid: str) -> None:
        self.id = cid
        self.dir = os.path.join(containers_dir, cid)

    def _at(self, name: str) -> str:
        return os.path.join(self.dir, name)

    @property
    def record(self) -> str:
        return self._at("container.json")

    @property
    def upper(self) -> str:
        return self._at("upper")

    @property
    def work(self) -> str:
        return self._at("work")

    @property
    def init(self) -> str:
        return self._at("init")

    @property
    def merged(self) -> str:
        return self._at("merged")

    @property
    def bundle(self) -> str:
        return self._at("bundle")

    @property
    def config(self) -> str:
        return os.path.join(self.dir, "bundle", "config.json")

    def overlay(self, lowers: list[str]) -> Overlay:
        """The container's root over the image's snapshot dirs ``lowers`` (lowest first)."""
        from hutch.snapshot.overlay import Overlay  # not at the top: the monitor imports this module

        return Overlay(lowers, self.upper, self.work, self.merged, self.init)

    @property
    def log(self) -> str:
        return self._at(f"{self.id}-json.log")

    @property
    def monitor_settings(self) -> str:
        return self._at("monitor.json")

    @property
    def runtime_log(self) -> str:
        """The OCI runtime's JSON log of the monitor's `run` (its error, read on failure)."""
        return self._at("runtime.log")

    @property
    def init_pid(self) -> str:
        """The --pid-file the runtime writes: the container's init, host view."""
        return self._at("init.pid")

    @property
    def monitor_log(self) -> str:
        return self._at("monitor.log")

    @property
    def attach(self) -> str:
        return self._at("attach")

    @property
    def idmap(self) -> str:
        """--uidmap's image layers, each idmapped, mounted here while it runs."""
        return self._at("idmap")

    @property
    def shm(self) -> str:
        """--ipc shareable's /dev/shm: a tmpfs mounted here while it runs (others join it)."""
        return self._at("shm")

    def etc_file(self, name: str) -> str:
        """The container's own /etc/NAME (hostname, hosts, resolv.conf)."""
        return self._at(name)

    def exec_log(self, token: str) -> str:
        """An exec's runtime log (the runtime's error, read on failure)."""
        return self._at(f"exec-{token}.log")
