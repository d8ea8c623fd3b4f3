"""The engine's typed model: a container's record, its state, its settings, and what the
monitor is told.

Records are plain JSON objects on disk (``hutch.engine.records``) and plain dicts in
memory. The TypedDicts below give them their shape for mypy only: declared under
TYPE_CHECKING (as ``hutch.specconv.plan``), they cost the resident monitor nothing.
The status constants are docker's words, as ``ps`` and ``inspect`` show them.
"""

from __future__ import annotations

TYPE_CHECKING = False

#: a record exists, no process (docker: "Created")
CREATED = "created"
#: `start` is mounting the root and handing the container to its monitor
STARTING = "starting"
RUNNING = "running"
PAUSED = "paused"
#: the container ended; ``exit_code`` says how
EXITED = "exited"
#: it ended and its restart policy starts it again after a wait (the supervisor holds it)
RESTARTING = "restarting"

#: statuses in which a monitor holds the container
LIVE = frozenset({RUNNING, PAUSED})
#: statuses `ps` (and the API's list) shows without -a: docker's running ones
LISTED = frozenset({RUNNING, PAUSED, RESTARTING})
#: statuses in which `rm` needs -f
BUSY = frozenset({RUNNING, PAUSED, STARTING})

if TYPE_CHECKING:
    from typing import Any, TypedDict

    class State(TypedDict, total=False):
        status: str  # one of the constants above
        exit_code: int
        started_at: str  # RFC 3339, "" before the first start
        finished_at: str
        pid: int  # the container's init (host view), 0 when not running
        oom_killed: bool
        paused: bool
        monitor_pid: int  # the monitor holding it, with its start time (pids are reused)
        monitor_start: int
        error: str  # why it ended, when the engine knows (docker's State.Error)
        starter_pid: int  # the `start` that made it STARTING, with its start time
        starter_start: int
        restart_count: int  # restarts its restart policy made since the user's last start
        restart_delay: float  # the last wait before a restart, in seconds (docker's back-off)
        manually_stopped: bool  # `stop`/`kill` by the user: no restart (docker's HasBeenManuallyStopped)
        health: dict[str, Any]  # docker's State.Health {Status, FailingStreak, Log}

    class Settings(TypedDict, total=False):
        tty: bool
        stdin: bool
        remove: bool  # --rm
        stop_signal: str
        stop_timeout: int | None
        log_max_size: int  # bytes, 0: no rotation
        log_max_file: int
        restart: dict[str, Any]  # docker's RestartPolicy {Name, MaximumRetryCount}
        healthcheck: dict[str, Any] | None  # docker's Healthcheck, the image's merged in

    class Attachment(TypedDict, total=False):
        """A running container's place on one bridge network (hutch.engine.netattach)."""

        name: str  # the network's name
        link: str  # the host's end of its veth
        ifname: str  # its end inside: eth0, eth1...
        ip: str
        mac: str
        gateway: str
        prefix: int
        ip6: str  # on a network with IPv6 (--ipv6): its IPv6 address, gateway and prefix length
        gateway6: str
        prefix6: int
        aliases: list[str]  # --network-alias, `network connect --alias`: more names on this network

    class Record(TypedDict, total=False):
        id: str  # 64 hex digits
        name: str
        image: str  # the reference the user gave
        image_id: str
        created: str
        args: list[str]
        runtime: str  # the OCI runtime's path
        lowers: list[str]  # the image's snapshot dirs, lowest first
        labels: dict[str, str]
        volumes: list[dict[str, object]]
        network: str  # what --network said: none, host, or a bridge network's name
        network_settings: dict[str, Any]  # --network-alias, --ip, --mac-address, --add-host, --dns...
        connected: list[dict[str, Any]]  # `network connect`'s networks: name, aliases, ip
        port_bindings: list[dict[str, str]]  # what -p (and -P) asked for, as docker's PortBindings entries
        exposed: list[str]  # the ports the image and --expose expose ("80/tcp")
        netns: str  # while it runs on a bridge network: its network namespace's file
        networks: dict[str, Attachment]  # network id -> its place there, while it runs
        ports: dict[str, list[dict[str, str]]]  # "80/tcp" -> [{"HostIp", "HostPort"}], while it runs
        config: Settings
        state: State

    class MonitorSettings(TypedDict):
        """What `start` writes to monitor.json for the container's monitor."""

        id: str
        runtime: str
        runtime_root: str
        bundle: str
        rootfs: str
        log_path: str
        log_max_size: int
        log_max_file: int
        tty: bool
        tty_size: tuple[int, int] | None
        stdin: bool
        remove: bool
        wait_attach: bool
        cgroup: str
        engine_root: str
