"""A container's life: `create` writes the record and the bundle (status "created", no
process); `start` mounts the root and hands the container to the store's supervisor
(`hutch.engine.supervise`, started on demand), which starts it (hutch's own runtime
in-process, another through its CLI) and holds it until it exits, then records the exit
status ("exited") through the one teardown (`hutch.engine.teardown`), which every other
end calls too: a failed create, `rm`, a lost supervisor. A foreground `run` is `create` +
a `start` whose connection stays attached, so its output is logged as a detached one's.

Names are unique: the records' flock covers name checks and record writes.
"""

from __future__ import annotations

import os

from hutch import faults
from hutch.engine import events, model, sharing
from hutch.engine.layout import Layout
from hutch.engine.operations import Operations, _suppress_not_running
from hutch.engine.registry import ContainerNotFound, name_in_use
from hutch.engine.runtime_client import find_runtime
from hutch.errors import HutchError
from hutch.util import timefmt

DETACH_KEYS = b"\x10\x11"  # Ctrl-P Ctrl-Q, docker's

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hutch.engine.records import Record
    from hutch.engine.request import CreateRequest
    from hutch.engine.volumes import VolumeStore

class Started:
    """A container that `start` set going: its init's pid, and the attach socket if asked."""

    def __init__(self, record: Record, pid: int, sock: Any = None) -> None:
        self.record, self.pid, self.sock = record, pid, sock


class Lifecycle(Operations):
    # ---- create / start / run -----------------------------------------------------------

    def _volume_store(self) -> VolumeStore:
        from hutch.engine.volumes import VolumeStore  # (not small: only for containers with volumes)

        return VolumeStore(self.root)

    def create(self, req: CreateRequest) -> Record:
        """`hutch create`: the record and the bundle, no process yet."""
        from hutch.engine import specgen  # not loaded by the verbs that make no container

        runtime = find_runtime(self.runtime_name)
        if req.network.mode == "bridge":  # it exists (docker's "bridge" is made on first use), and
            from hutch.network.store import Networks, check_addresses  # has --ip's and --ip6's subnets

            check_addresses(Networks(self.root).get(req.network.name), req.network.ip, req.network.ip6)
        elif req.network.mode == "container":  # it exists (it must run when this one starts)
            req.network.container = self.find(req.network.container)["id"]
        sharing.resolve_others(self, req)
        image = self.images.get(req.image)
        lowers = self.images.snapshot_dirs(image)
        cid = os.urandom(32).hex()
        lay = self.layout(cid)
        with self.locked():
            taken = next((r["id"] for r in self.store.all() if r["name"] == req.name), None)
            if req.name is not None and taken is not None:
                raise name_in_use(req.name, taken)
            # what only the image settles fails here, before anything is made but the volumes
            config = specgen.generate(req, image.config, lay.merged, cid, lowers, self._volume_store,
                                      idmapped=lay.idmap)
            cgroup = f"{req.host.cgroup_parent or '/hutch'}/{cid}"
            config["linux"]["cgroupsPath"] = cgroup
            if req.host.ipc == "shareable":  # a tmpfs of the engine's (at start), to be joined
                for m in config["mounts"]:
                    if m["destination"] == "/dev/shm":
                        m.update(type="bind", source=lay.shm, options=["rbind", "nosuid", "noexec", "nodev"])
            if req.network.mode == "bridge":
                from hutch.engine.netattach import netns_path

                for ns in config["linux"]["namespaces"]:
                    if ns["type"] == "network":
                        ns["path"] = netns_path(self.runroot, cid)
            volumes = specgen.volumes_of(config)
            from hutch.engine.mounts import host_config

            entry, cmd = specgen.entrypoint_and_cmd(image.config.get("config") or {}, req)
            try:
                lay.overlay(lowers).prepare()
                os.makedirs(lay.bundle)
                _etc_files(lay, config, req.network.mode, req.network.settings())
                _write_json(lay.config, config, pretty=False)  # (~8 KiB: the C encoder's job)
                record: Record = {
                    "id": cid, "name": req.name or f"hutch_{cid[:8]}", "image": req.image,
                    "image_id": image.id, "created": timefmt.now(), "args": entry + cmd,
                    "runtime": runtime, "lowers": lowers, "labels": specgen.labels(image.config, req),
                    "volumes": volumes,
                    "network": req.network.name if req.network.mode == "bridge" else
                    f"container:{req.network.container}" if req.network.mode == "container" else
                    req.network.mode,
                    "network_settings": req.network.settings(),
                    "port_bindings": _bindings(req, image.config),
                    "exposed": sorted({*req.expose,
                                       *((image.config.get("config") or {}).get("ExposedPorts") or {})}),
                    "config": {"tty": req.tty, "stdin": req.stdin, "remove": req.remove,
                               "stop_signal": req.stop_signal or _image_stop_signal(image.config),
                               "stop_timeout": req.stop_timeout, "log_max_size": req.log.max_size,
                               "log_max_file": req.log.max_file, "cgroup": cgroup,
                               "nano_cpus": round((req.resources.cpus or 0) * 1e9),
                               "restart": req.restart, "healthcheck": _healthcheck(req, image.config),
                               "entrypoint": entry, "cmd": cmd, "privileged": req.privileged,
                               "init": bool(req.init_binary), "host_mounts": host_config(req.mounts),
                               **req.host.settings()},
                    "state": {"status": model.CREATED, "exit_code": 0, "started_at": "", "finished_at": "",
                              "pid": 0, "oom_killed": False, "paused": False},
                }
                faults.point("engine.create.made")
                self.store.save(record)
            except BaseException:
                self.teardown(cid, "")(remove=True, volumes=True, held=True,
                                       record={"id": cid, "volumes": volumes})
                raise
        events.container(self.root, "create", record)
        return record

    def start(self, record: Record, *, attach: bool = False) -> Started:
        """Mount the root and hand the container to the supervisor; return once it runs."""
        cid = record["id"]
        if attach:  # (docker's order for an attached run: create, attach, volume mount, start)
            events.container(self.root, "attach", record)
        from hutch.engine.supervise import home, protocol
        from hutch.engine.supervise.connect import connect

        sock = connect(self.root, self.runroot)  # (first: a supervisor with a client stays)
        try:  # the root and the network where the supervisor is (hutch.engine.supervise.home)
            lay = home.call(home.peer_pid(sock.fileno()), self.prepare_start, record, attach=attach)
        except BaseException:
            sock.close()
            raise
        try:
            protocol.request(sock.fileno(), {"op": "start", "dir": lay.dir, "attach": attach})
            line = protocol.read_status(sock.fileno()) or ""
        except OSError:
            line = ""
        word, _, rest = line.partition(" ")
        if word == "ok":
            final = self.store.load(cid) or record  # (its start event: the supervisor's, before any die)
            if attach:
                return Started(final, int(rest), sock)
            sock.close()
            return Started(final, int(rest))
        sock.close()
        if word == "error":
            code, _, msg = rest.partition(" ")
            raise StartFailed(int(code), msg)
        raise StartFailed(125, f"the supervisor failed (see {protocol.Paths(self.runroot).log})")

    def prepare_start(self, record: Record, *, attach: bool = False, restarting: bool = False) -> Layout:
        """What a start does before the supervisor runs the container: the record says
        starting, the root is mounted, the network joined, monitor.json written. The
        user's start (`start`) and a restart policy's (the supervisor, ``restarting``: only
        a container still waiting for it, else `RestartCancelled`) both come this way."""
        cid = record["id"]
        lay = self.layout(cid)
        cfg = record.get("config", {})
        with self.locked():
            current = self.store.load(cid)
            if current is None:
                raise ContainerNotFound(record["name"])
            st = current["state"]
            if restarting and (st["status"] != model.RESTARTING or st.get("manually_stopped")):
                raise RestartCancelled(record["name"])
            if st["status"] in model.LIVE:
                raise HutchError(f"container {record['name']} is already running")
            from hutch.util.procstat import start_time

            me = os.getpid()  # who starts it: a `rm -f` after it was killed waits for nobody
            st.update(status=model.STARTING, starter_pid=me, starter_start=start_time(me))
            if not restarting:  # the user's start: docker's restart count and back-off start over
                st.update(restart_count=0, restart_delay=0.0, manually_stopped=False)
            self.store.save(current, durable=False)
        try:
            lowers = record.get("lowers") or self.images.snapshot_dirs(self.images.get(record["image_id"]))
            if cfg.get("uidmap"):
                sharing.mount_idmapped(lay, lowers, cfg["uidmap"], cfg.get("gidmap") or cfg["uidmap"])
            else:
                lay.overlay(lowers).mount()
            if cfg.get("ipc") == "shareable":
                sharing.mount_shm(lay.shm, int(cfg.get("shm_size") or 0))
            _make_workdir(lay)
            events.volumes(self.root, "mount", record)  # (docker's order: before the network's connect)
            if any(str(cfg.get(k, "")).startswith("container:") for k in ("ipc", "pid")):
                try:
                    sharing.join_namespaces(self, lay, cfg)
                except HutchError as err:  # (X is not running)
                    raise StartFailed(125, str(err)) from err
            if str(record.get("network", "")).startswith("container:"):
                self._share_network(lay, str(record["network"]).partition(":")[2])
            elif record.get("network") not in (None, "none", "host"):
                from hutch.engine import netattach

                current = self.store.load(cid)
                if current is None:
                    raise ContainerNotFound(record["name"])
                try:
                    netattach.prepare(self.store, current, self.root, self.runroot)
                except (HutchError, OSError) as err:  # (a failed start: `run --rm` removes it)
                    raise StartFailed(125, str(err) if isinstance(err, HutchError)
                                      else f"cannot join the network: {err.strerror or err}") from err
            from hutch.engine.client import terminal_size

            runtime = self.runtime(record)
            _write_json(lay.monitor_settings, durable=False, doc={  # rewritten at every start
                "id": cid, "runtime": runtime.path, "runtime_root": runtime.root,
                "bundle": lay.bundle, "rootfs": lay.merged,
                "log_path": self.log_path(record), "log_max_size": cfg.get("log_max_size", 0),
                "log_max_file": cfg.get("log_max_file", 1), "tty": cfg.get("tty", False),
                "tty_size": terminal_size() if attach and cfg.get("tty") else None,
                "stdin": cfg.get("stdin", False), "remove": cfg.get("remove", False),
                "wait_attach": attach, "cgroup": cfg.get("cgroup") or f"/hutch/{cid}",
                "engine_root": self.root,
                "restart": cfg.get("restart") or {}, "healthcheck": cfg.get("healthcheck"),
            })
        except BaseException:
            self.teardown(cid, "")(ended=lambda r: r["state"].update(status=model.CREATED))
            raise
        return lay

    def _share_network(self, lay: Layout, other: str) -> None:
        """--network container:X at start: X must run; config.json names its network namespace
        (/proc/PID/ns/net of its init), and /etc/hosts, /etc/resolv.conf and /etc/hostname are
        copies of X's, as docker shares them."""
        from hutch.fastjson import dumps, loads

        with open(lay.config) as f:
            config: Any = loads(f.read())
        try:
            sharing.join_running(self, config, other, "network", "network")
        except HutchError as err:
            raise StartFailed(125, str(err)) from None
        theirs = self.layout(other)
        try:
            with open(theirs.etc_file("hostname")) as f:
                config["hostname"] = f.read().strip() or config.get("hostname", "")
        except FileNotFoundError:
            pass
        from hutch.util import atomic

        atomic.write(lay.config, dumps(config).encode(), 0o666)
        for name in ("hosts", "resolv.conf", "hostname"):
            try:
                with open(theirs.etc_file(name)) as f:
                    text = f.read()
                with open(lay.etc_file(name), "r+") as f:
                    f.write(text)
                    f.truncate()
            except FileNotFoundError:
                continue

    def run(self, req: CreateRequest, *, sig_proxy: bool = True, streams: frozenset[str] | None = None,
            detach_keys: bytes = DETACH_KEYS, created: Callable[[str], None] | None = None) -> int:
        """`hutch run` attached: the container's exit status (`run -d` is create + start);
        ``streams`` the ones -a attaches (None: all), ``created`` called with the id once
        the container exists (--cidfile). Detached by ``detach_keys``: 0, the container runs on."""
        record = self.create(req)
        try:
            if created is not None:
                created(record["id"])
            started = self.start(record, attach=True)
        except HutchError:
            if req.remove or created is not None:
                self._remove_created(record)
            raise
        return self.attached(started, stdin=req.stdin, tty=req.tty, sig_proxy=sig_proxy, streams=streams,
                             detach_keys=detach_keys)

    def attached(self, started: Started, *, stdin: bool, tty: bool, sig_proxy: bool = True,
                 streams: frozenset[str] | None = None, detach_keys: bytes = DETACH_KEYS) -> int:
        from hutch.engine.client import DETACHED, pump

        try:
            code = pump(started.sock, stdin=stdin, tty=tty, pid=started.pid, sig_proxy=sig_proxy,
                        streams=streams, detach_keys=detach_keys)
        finally:
            started.sock.close()
        if code == DETACHED:
            return 0
        if code is None:  # the supervisor went away: what did it record?
            code = self.wait(started.record)
        return code

    def _remove_created(self, record: Record) -> None:
        self.teardown(record["id"], self.runtime(record).path)(remove=True, volumes=True, record=record)

    def restart(self, record: Record, timeout: int | None = None) -> None:
        self.stop(record, timeout)
        fresh = self.find(record["id"])
        self.start(fresh)
        events.container(self.root, "restart", fresh)

    # ---- rm -----------------------------------------------------------------------------

    def remove(self, ref: str, force: bool = False, volumes: bool = False) -> str:
        """docker rm [-f] [-v]: -v also removes the container's anonymous volumes."""
        record = self.find(ref)
        from hutch.engine.operations import starter_alive

        if record["state"]["status"] == model.RESTARTING:
            if not force:
                raise HutchError(f'cannot remove container "/{record["name"]}": container is restarting: '
                                 f"stop the container before removing or force remove")
            self.manually_stopped(record)  # its restart is cancelled

        if record["state"]["status"] in model.BUSY and starter_alive(record):
            if not force:
                raise HutchError(f'cannot remove container "/{record["name"]}": container is running: '
                                 f"stop the container before removing or force remove")
            if record["state"].get("paused"):  # a frozen process (cgroup v1) waits for SIGKILL
                with _suppress_not_running(self, record):
                    self.unpause(record)
            with _suppress_not_running(self, record):
                self.kill(record, "KILL")
            try:
                self.wait(record, 10)  # the supervisor deletes the runtime's container and unmounts
            except TimeoutError:
                pass
        # (the runtime's state is left only by a supervisor that failed)
        self.teardown(record["id"], self.runtime(record).path)(remove=True, volumes=volumes, record=record)
        return str(record["id"])


class RestartCancelled(HutchError):
    """A restart policy's start found the container stopped, removed or started meanwhile."""


class StartFailed(HutchError):
    """The runtime could not start the container: docker's exit code with the message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[StartFailed], tuple[int, str]]:  # (pickled by supervise.home)
        return StartFailed, (self.code, str(self))


def _healthcheck(req: CreateRequest, image_config: dict[str, Any]) -> dict[str, Any] | None:
    """The container's health check: the flags', the image's HEALTHCHECK filling the rest."""
    if req.healthcheck is None and not (image_config.get("config") or {}).get("Healthcheck"):
        return None
    from hutch.engine import healthcheck

    return healthcheck.merge(req.healthcheck, (image_config.get("config") or {}).get("Healthcheck"))


def _image_stop_signal(image_config: dict[str, Any]) -> str:
    return str((image_config.get("config") or {}).get("StopSignal") or "")


def _etc_files(lay: Layout, config: dict[str, Any], network: str, settings: dict[str, Any]) -> None:
    """docker's /etc/hostname, /etc/hosts and /etc/resolv.conf: files of the container's own
    (CDIR/hostname...), bind-mounted over the image's, unless a mount of the user's is there.
    With --network host, hosts and resolv.conf are copies of the host's; --add-host lines go
    to hosts (a bridge network's start writes it again, hutch.engine.nethosts), --dns,
    --dns-search and --dns-option to resolv.conf."""
    hostname = str(config.get("hostname", ""))
    if not hostname:  # --uts host: no name of its own, the host's
        import _socket

        hostname = _socket.gethostname()
    files = {"hostname": hostname + "\n"}
    if network == "host":
        for name in ("hosts", "resolv.conf"):
            try:
                with open(f"/etc/{name}") as f:
                    files[name] = f.read()
            except OSError:
                files[name] = ""
    else:
        files["hosts"] = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                          f"127.0.1.1\t{hostname}\n")  # (a bridge network's start writes its own)
        files["resolv.conf"] = resolv_conf() if network == "bridge" else ""  # none: no name servers
        files["hosts"] += "".join(f"{h.partition(':')[2]}\t{h.partition(':')[0]}\n"
                                  for h in settings.get("add_hosts", []) if not h.endswith(":host-gateway"))
    files["resolv.conf"] = _resolver_flags(files["resolv.conf"], settings)
    taken = {m.get("destination") for m in config.get("mounts", [])}
    init_etc = os.path.join(lay.init, "etc")  # docker's init layer: the mount points, below
    os.makedirs(init_etc, exist_ok=True)          # the container's own layer (not in a commit)
    for name, text in files.items():
        if f"/etc/{name}" in taken:
            continue
        path = lay.etc_file(name)
        with open(path, "w") as f:
            f.write(text)
        open(os.path.join(init_etc, name), "w").close()
        config["mounts"].append({"destination": f"/etc/{name}", "type": "bind", "source": path,
                                 "options": ["rbind", "rprivate"]})


def _bindings(req: CreateRequest, image_config: dict[str, Any]) -> list[dict[str, str]]:
    """-p's bindings, and with -P one on a free host port for every port the image or --expose
    exposes that -p does not publish already (docker's PortBindings entries)."""
    out = [b.docker() for b in req.ports]
    if req.publish_all:
        bound = {b["ContainerPort"] for b in out}
        exposed = {*req.expose, *((image_config.get("config") or {}).get("ExposedPorts") or {})}
        out += [{"ContainerPort": key, "HostIp": "", "HostPort": ""} for key in sorted(exposed - bound)]
    return out


def _resolver_flags(text: str, settings: dict[str, Any]) -> str:
    """resolv.conf with --dns (the nameservers), --dns-search (the search line) and --dns-option
    (the options line) in place of what it had."""
    dns, search, options = settings.get("dns") or [], settings.get("dns_search") or [], \
        settings.get("dns_options") or []
    if not (dns or search or options):
        return text
    lines = [ln for ln in text.splitlines()
             if not (dns and ln.startswith("nameserver"))
             and not (search and ln.startswith(("search", "domain")))
             and not (options and ln.startswith("options"))]
    lines += [f"nameserver {d}" for d in dns]
    if search:
        lines.append("search " + " ".join(search))
    if options:
        lines.append("options " + " ".join(options))
    return "\n".join(lines) + "\n"


def resolv_conf(path: str = "/etc/resolv.conf") -> str:
    """The host's resolv.conf for a container on a bridge network, as docker makes it: its
    nameservers on the host's loopback (a stub resolver the container cannot reach) left out,
    systemd-resolved's upstream list read instead of its stub, and Google's public servers
    when no nameserver is left (docker's defaults)."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    servers = [ln.split()[1] for ln in lines if ln.startswith("nameserver") and len(ln.split()) > 1]
    if servers and all(s == "127.0.0.53" for s in servers) and path == "/etc/resolv.conf" \
            and os.path.exists("/run/systemd/resolve/resolv.conf"):
        return resolv_conf("/run/systemd/resolve/resolv.conf")
    kept = [ln for ln in lines if not (ln.startswith("nameserver") and len(ln.split()) > 1
                                        and (ln.split()[1].startswith("127.") or ln.split()[1] == "::1"))]
    if not any(ln.startswith("nameserver") for ln in kept):
        kept += ["nameserver 8.8.8.8", "nameserver 8.8.4.4"]
    return "\n".join(kept) + "\n"


def _make_workdir(lay: Layout) -> None:
    """docker makes the working directory when the image lacks it."""
    from hutch.fastjson import loads

    with open(lay.config) as f:
        doc: Any = loads(f.read())
    cwd = str(doc.get("process", {}).get("cwd") or "/")
    if cwd != "/":
        from hutch.util.rooted import ensure_dir

        try:
            ensure_dir(lay.merged, cwd)
        except OSError as err:
            raise HutchError(f"cannot make the working directory {cwd}: {err.strerror or err}") from err


def _write_json(path: str, doc: object, durable: bool = True, pretty: bool = True) -> None:
    from hutch.fastjson import dumps, dumps_pretty
    from hutch.util import atomic

    atomic.write(path, (dumps_pretty(doc) if pretty else dumps(doc)).encode(), 0o666, durable=durable)
