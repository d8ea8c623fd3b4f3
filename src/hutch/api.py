"""hutch from Python: images and containers over the same core as the `hutch` command.

Shaped like docker's Python SDK (docker-py 7), so code written for it runs with
``import hutch as docker`` and only the client's creation changed::

    import hutch as docker

    client = docker.from_env(root="/var/lib/hutch")        # docker.from_env()
    client.images.import_tarball("rootfs.tar", "box:1")
    print(client.containers.run("box:1", ["echo", "hello"], remove=True))   # b'hello\\n'
    c = client.containers.run("box:1", "sleep 60", detach=True, mem_limit="64m", ports={"80/tcp": 8080})
    print(c.exec_run("cat /etc/hostname"))               # ExecResult(exit_code=0, output=b'...')
    c.remove(force=True)

Everything goes through `hutch.engine` — the same records, monitor and OCI runtime as
the CLI — so containers made here show up in `hutch ps`, and the other way round. The
errors are docker-py's (`hutch.errors.NotFound`, `APIError`, `ContainerError`, ...), all of
them `HutchError`s.
"""

from __future__ import annotations

import os

from hutch.engine.containers import DEFAULT_ROOT, DEFAULT_RUNROOT, ContainerNotFound, Engine
from hutch.engine.model import LIVE, PAUSED
from hutch.errors import APIError, Conflict, ContainerError, HutchError, NotFound, NotImplementedByHutch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from types import TracebackType
    from typing import IO, Any, NamedTuple

    from hutch.api_resources import Image
    from hutch.engine.records import Record
else:
    from typing import NamedTuple

__all__ = ["Client", "Container", "ContainerError", "ContainerNotFound", "DockerClient", "ExecResult",
           "HutchError", "from_env"]


class ExecResult(NamedTuple):
    exit_code: int | None
    output: Any


class Client:
    """An engine store (``root``), its runtime state (``runroot``), and an OCI runtime
    (hutch-runtime by default, or ``runtime="runc"`` or a path). docker-py's DockerClient."""

    def __init__(self, root: str = DEFAULT_ROOT, runroot: str = DEFAULT_RUNROOT,
                 runtime: str | None = None) -> None:
        from hutch.api_resources import Images, Networks, Volumes

        if runtime is None and not _beside_hutch():
            runtime = _venv_runtime()
        self.engine = Engine(root, runroot, runtime)
        self.images = Images(self)
        self.containers = Containers(self)
        self.volumes = Volumes(self)
        self.networks = Networks(self)

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
        """docker's /version keys (a minimal set)."""
        from hutch import _version
        from hutch.util.arch import goarch

        return {"Platform": {"Name": "hutch"}, "Version": _version.__version__, "ApiVersion": "1.43",
                "MinAPIVersion": "1.24", "Os": "linux", "Arch": goarch(), "KernelVersion": os.uname().release,
                "Components": [{"Name": "Engine", "Version": _version.__version__, "Details": {}}]}

    def info(self) -> dict[str, Any]:
        """docker's /info keys (a minimal set)."""
        from hutch import _version

        records = self.engine.records()
        states = [r["state"] for r in records]
        paused = sum(1 for s in states if s.get("paused"))
        running = sum(1 for s in states if s["status"] in LIVE) - paused
        return {"ID": "", "Name": os.uname().nodename, "ServerVersion": _version.__version__,
                "Containers": len(records), "ContainersRunning": running, "ContainersPaused": paused,
                "ContainersStopped": len(records) - running - paused,
                "Images": len(self.engine.images.images()), "Driver": "overlay2",
                "DockerRootDir": self.engine.root, "OSType": "linux", "OperatingSystem": _os_name(),
                "Architecture": os.uname().machine, "KernelVersion": os.uname().release,
                "NCPU": os.cpu_count() or 1,
                "MemTotal": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
                "CgroupVersion": "2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "1",
                "LoggingDriver": "json-file"}

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


class Containers:
    def __init__(self, client: Client) -> None:
        self.client = self._client = client
        self._engine = client.engine

    def create(self, image: str | Image, command: str | Iterable[str] | None = None,
               **kwargs: Any) -> Container:
        """docker-py's create: a container, not started (`hutch create`); docker-py's keyword
        arguments (hutch.apiargs), pulling a missing image."""
        from hutch import apiargs

        apiargs.check_kwargs("create", kwargs)
        return self._create(image, command, kwargs)

    def _create(self, image: str | Image, command: str | Iterable[str] | None, kwargs: dict[str, Any],
                platform: str | None = None) -> Container:
        from hutch import apiargs
        from hutch.engine.request import CreateRequest
        from hutch.image.store import ImageNotFound

        ref = image if isinstance(image, str) else image.id
        if command is not None:
            kwargs = {**kwargs, "command": command}
        args = apiargs.to_parse_args(kwargs, "restart" in CreateRequest.parse.__code__.co_varnames)
        try:
            self._engine.images.get(ref)
        except ImageNotFound:  # docker-py's run and create pull a missing image
            self._client.images.pull(ref, platform=platform)
        req = CreateRequest.parse(ref, **args)
        return Container(self._client, self._engine.create(req))

    def run(self, image: str | Image, command: str | Iterable[str] | None = None, stdout: bool = True,
            stderr: bool = False, remove: bool = False, **kwargs: Any) -> Any:
        """docker-py's run: with ``detach``, the running `Container`; else wait for it and
        return its output (``stdout``, ``stderr``: which streams) as bytes, raising
        `ContainerError` (with its stderr) if it exited non-zero. ``remove`` removes it then;
        ``auto_remove`` is docker's --rm."""
        from hutch import apiargs

        apiargs.check_kwargs("run", kwargs, apiargs.RUN_ONLY)
        detach = bool(kwargs.pop("detach", False))
        platform = kwargs.pop("platform", None)
        if detach and remove:
            raise APIError("the 'remove' and 'detach' arguments are incompatible (use auto_remove)")
        container = self._create(image, command, kwargs, platform)
        try:
            container.start()
        except BaseException:
            container.remove(force=True, missing_ok=True)
            raise
        if detach:
            return container
        try:
            code = container.wait()["StatusCode"]
            out = container.logs(stdout=stdout, stderr=stderr) if stdout or stderr else None
            err = container.logs(stdout=False, stderr=True) if code else None
        finally:
            if remove:
                container.remove(force=True, missing_ok=True)
        if code != 0:
            raise ContainerError(container, code, command, image if isinstance(image, str) else image.id, err)
        return out

    def get(self, container_id: str) -> Container:
        """By name, id or unique id prefix; raises `hutch.errors.NotFound`."""
        return Container(self._client, self._engine.find(container_id))

    def list(self, all: bool = False, before: str | None = None, filters: Mapping[str, Any] | None = None,
             limit: int = -1, since: str | None = None, sparse: bool = False,
             ignore_removed: bool = False) -> list[Container]:
        """docker-py's list: the running ones (``all``: every one), newest first; ``filters``
        status, label (KEY or KEY=VALUE), name, id, ancestor; ``limit`` the newest N (all of them)."""
        records = self._engine.records()
        if limit > 0 or filters:
            all = True
        out = [r for r in records if (all or r["state"]["status"] in LIVE) and _matches(r, filters or {})]
        return [Container(self._client, r) for r in (out[:limit] if limit > 0 else out)]

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


class Container:
    """One container. Its attributes are as of the last `reload` (done by the methods that
    change it). As a context manager it is removed at the end of the block (force)."""

    def __init__(self, client: Client, record: Record) -> None:
        self.client = self._client = client
        self._engine = client.engine
        self._record = record

    def __repr__(self) -> str:
        return f"<Container: {self.short_id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Container) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def id(self) -> str:
        return str(self._record["id"])

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def name(self) -> str:
        return str(self._record["name"])

    @property
    def status(self) -> str:
        """created, running, paused or exited (docker's words)."""
        st = self._record["state"]
        return PAUSED if st.get("paused") else str(st["status"])

    @property
    def exit_code(self) -> int:
        return int(self._record["state"].get("exit_code", 0))

    @property
    def labels(self) -> dict[str, str]:
        return dict(self._record.get("labels") or {})

    @property
    def image(self) -> Image | None:
        """Its image (None if it was removed since)."""
        from hutch.image.store import ImageNotFound

        try:
            return self._client.images.get(str(self._record.get("image_id") or self._record["image"]))
        except ImageNotFound:
            return None

    @property
    def ports(self) -> dict[str, Any]:
        """docker's NetworkSettings.Ports: {"80/tcp": [{"HostIp": ..., "HostPort": ...}]}."""
        return dict(self.attrs.get("NetworkSettings", {}).get("Ports") or {})

    @property
    def attrs(self) -> dict[str, Any]:
        """What `hutch inspect` shows."""
        from hutch.engine import inspect

        return inspect.container(self._engine, self._record)

    def reload(self) -> Container:
        self._record = self._engine.find(self.id)
        return self

    def start(self) -> None:
        self._engine.start(self._record)
        self.reload()

    def wait(self, timeout: float | None = None, condition: str = "not-running") -> dict[str, Any]:
        """docker-py's: {"StatusCode": its exit status, "Error": None} once it has exited (any
        ``condition``: not-running, next-exit, removed); TimeoutError after ``timeout`` seconds."""
        code = self._engine.wait(self._record, timeout)
        try:
            self.reload()
        except ContainerNotFound:  # --rm
            pass
        return {"StatusCode": code, "Error": None}

    def stop(self, timeout: int | None = None) -> None:
        self._engine.stop(self.reload()._record, timeout)
        self.reload()

    def kill(self, signal: str | int = "KILL") -> None:
        self._engine.kill(self.reload()._record, str(signal))

    def restart(self, timeout: int | None = None) -> None:
        self._engine.restart(self.reload()._record, timeout)
        self.reload()

    def pause(self) -> None:
        self._engine.pause(self.reload()._record)
        self.reload()

    def unpause(self) -> None:
        self._engine.unpause(self.reload()._record)
        self.reload()

    def rename(self, name: str) -> None:
        self._engine.rename(self._record, name)
        self.reload()

    def logs(self, stdout: bool = True, stderr: bool = True, stream: bool = False, timestamps: bool = False,
             tail: str | int = "all", since: Any = None, follow: bool | None = None,
             until: Any = None) -> Any:
        """docker-py's: its output from the json-file log, as bytes; with ``stream`` a generator
        of bytes chunks that follows the log while it runs (unless ``follow=False``)."""
        from hutch.engine import jsonlog

        want = {name for name, on in (("stdout", stdout), ("stderr", stderr)) if on}
        lo, hi = _epoch(since), _epoch(until)

        def chunk(entry: tuple[str, str, str]) -> bytes | None:
            kind, stamp, text = entry
            if kind not in want:
                return None
            if lo is not None or hi is not None:
                at = _epoch(stamp)
                if at is not None and ((lo is not None and at < lo) or (hi is not None and at >= hi)):
                    return None
            return ((stamp + " ") if timestamps else "").encode() + text.encode()

        path = self._engine.log_path(self._record)
        follower = jsonlog.Follower(path) if stream and follow is not False else None
        entries = list(jsonlog.read(path))
        n = -1 if tail == "all" else int(tail)
        picked = [c for c in map(chunk, entries) if c is not None]
        picked = picked[-n:] if n > 0 else [] if n == 0 else picked
        if not stream:
            return b"".join(picked)
        return self._stream_logs(picked, follower, chunk)

    def _stream_logs(self, first: list[bytes], follower: Any, chunk: Any) -> Iterator[bytes]:
        import time

        yield from first
        if follower is None:
            return
        while True:
            running = self._engine.is_running(self.reload()._record)
            for entry in follower.new():
                if (c := chunk(entry)) is not None:
                    yield c
            if not running:
                for entry in follower.new():
                    if (c := chunk(entry)) is not None:
                        yield c
                return
            time.sleep(0.1)

    def top(self, ps_args: str | None = None) -> dict[str, Any]:
        """docker's: {"Titles": ps's columns, "Processes": [[a row's values], ...]}."""
        import subprocess

        from hutch.cli.engine.containers.top import container_pids

        self.reload()
        if self._record["state"]["status"] not in LIVE:
            raise Conflict(f"container {self.name} is not running")
        pids = set(container_pids(self._engine, self._record))
        args = (ps_args or "-ef").split()
        r = subprocess.run(["ps", *args], capture_output=True, text=True, check=False)
        lines = r.stdout.splitlines()
        if r.returncode != 0 or not lines or "PID" not in lines[0].split():
            raise APIError(f"ps {' '.join(args)}: {r.stderr.strip() or 'no PID column'}")
        titles = lines[0].split()
        col = titles.index("PID")
        rows = [line.split(None, len(titles) - 1) for line in lines[1:]]
        mine = [row for row in rows if len(row) > col and row[col].isdigit() and int(row[col]) in pids]
        return {"Titles": titles, "Processes": mine}

    def stats(self, decode: bool | None = None, stream: bool = True, one_shot: bool | None = None) -> Any:
        """docker's stats JSON (cpu_stats, precpu_stats, memory_stats, pids_stats, blkio_stats),
        from the runtime's cgroup figures as `hutch stats` reads them: with ``stream`` (docker-py's
        default) a generator, one a second (dicts with ``decode``, else JSON bytes); else one dict."""
        first = _stats_sample(self._engine, self.reload()._record)
        if not stream:
            if not one_shot:
                import time

                time.sleep(0.5)
                return _stats_doc(self._record, _stats_sample(self._engine, self._record), first)
            return _stats_doc(self._record, first, None)
        return self._stats_stream(first, bool(decode))

    def _stats_stream(self, before: dict[str, Any] | None, decode: bool) -> Iterator[Any]:
        import json
        import time

        while True:
            time.sleep(1)
            now = _stats_sample(self._engine, self._record)
            doc = _stats_doc(self._record, now, before)
            yield doc if decode else json.dumps(doc).encode()
            before = now

    def put_archive(self, path: str, data: bytes | IO[bytes]) -> bool:
        """docker's: extract the tar ``data`` into the directory ``path`` of the container (as
        `hutch cp - CONTAINER:PATH`); True."""
        import subprocess

        self.reload()
        r = _cli(self._engine, ["cp", "-", f"{self.id}:{path}"],
                 stdin=data if isinstance(data, bytes) else data.read(), stdout=subprocess.DEVNULL)
        _cli_check(r, f"put_archive {path}")
        return True

    def get_archive(self, path: str, chunk_size: int | None = 2 << 20,
                    encode_stream: bool = False) -> tuple[Iterator[bytes], dict[str, Any]]:
        """docker's: (a generator of the tar of ``path``'s bytes, its stat: name, size, mode (Go's
        FileMode bits), mtime, linkTarget), as `hutch cp CONTAINER:PATH -` makes it.

        Through `hutch cp` in a process of its own: for a stopped container copy.py mounts the
        container's overlay in a mount namespace of its own, which needs a single-threaded
        process; a Python program (this one) may have threads, and a fresh interpreter has none
        (where a fork of a threaded process could deadlock). The tar is spooled to a temporary
        file (in memory up to 8 MiB) to read its first entry's stat before handing it out."""
        import tempfile

        self.reload()
        spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115  (the generator closes it)
        r = _cli(self._engine, ["cp", f"{self.id}:{path}", "-"], stdout=spool)
        _cli_check(r, f"get_archive {path}")
        spool.seek(0)
        stat = _tar_stat(spool)
        spool.seek(0)
        return _chunks(spool, chunk_size or (2 << 20)), stat

    def commit(self, repository: str | None = None, tag: str | None = None, message: str = "",
               author: str = "", pause: bool = True, changes: str | Iterable[str] | None = None,
               conf: Mapping[str, Any] | None = None) -> Image:
        """docker-py's: a new image of the container's filesystem (`hutch commit`)."""
        from hutch.api_resources import Image
        from hutch.engine import commit

        if conf:
            raise NotImplementedByHutch("commit: conf is not supported by hutch (use changes)")
        repo = f"{repository}:{tag}" if repository and tag else repository
        change_list = [changes] if isinstance(changes, str) else list(changes or [])
        img = commit.commit(self._engine, self.id, repo, message=message or "", author=author or "",
                            changes=change_list, pause_it=pause)
        return Image(self._client, img)

    def exec_run(self, cmd: str | Iterable[str], stdout: bool = True, stderr: bool = True,
                 stdin: bool = False, tty: bool = False, privileged: bool = False, user: str = "",
                 detach: bool = False,
                 stream: bool = False, socket: bool = False, environment: Mapping[str, str] | Iterable[str] |
                 None = None, workdir: str | None = None, demux: bool = False, *,
                 input: bytes | None = None) -> ExecResult:
        """docker-py's exec_run: ExecResult(exit_code, output): output bytes (stdout and stderr
        as asked), a (stdout, stderr) pair with ``demux``, a generator of chunks with ``stream``
        (exit_code None then, as docker-py's); ``input`` (hutch's) is fed to its stdin."""
        from hutch import apiargs

        if socket:
            raise NotImplementedByHutch("exec_run: socket is not supported by hutch")
        if privileged:
            raise NotImplementedByHutch("exec_run: privileged is not supported by hutch")
        args = apiargs.split_command(cmd)
        env = apiargs.environment(environment) if environment else []
        record = self.reload()._record
        want = {1: stdout, 2: stderr}

        def run(sink: Any) -> int:
            code, _ = self._engine.exec(record, args, env=env, workdir=workdir or "", user=user, tty=tty,
                                        detach=detach, capture=not detach, input=input, sink=sink)
            return code

        if detach:
            run(None)
            return ExecResult(None, b"")
        if stream:
            return ExecResult(None, _streamed(run, want, demux))
        out, err = bytearray(), bytearray()

        def keep(kind: int, data: bytes) -> None:
            if want.get(kind):
                (err if kind == 2 and demux else out).extend(data)

        code = run(keep)
        if demux:
            return ExecResult(code, (bytes(out) if stdout else None, bytes(err) if stderr else None))
        return ExecResult(code, bytes(out))

    def remove(self, v: bool = False, link: bool = False, force: bool = False, *,
               missing_ok: bool = False) -> None:
        """docker-py's: ``v`` removes its anonymous volumes too; ``force`` a running one."""
        try:
            self._engine.remove(self.id, force, volumes=v)
        except ContainerNotFound:
            if not missing_ok:
                raise

    def __enter__(self) -> Container:
        return self

    def __exit__(self, _kind: type[BaseException] | None, _err: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self.remove(force=True, missing_ok=True)


def _streamed(run: Any, want: dict[int, bool], demux: bool) -> Iterator[Any]:
    """exec output as it comes: the exec in a thread, its chunks through a queue."""
    import queue
    import threading

    q: queue.Queue[tuple[int, bytes] | None] = queue.Queue()

    def work() -> None:
        try:
            run(lambda kind, data: q.put((kind, data)))
        finally:
            q.put(None)

    threading.Thread(target=work, daemon=True).start()
    while (item := q.get()) is not None:
        kind, data = item
        if want.get(kind):
            yield ((data, None) if kind == 1 else (None, data)) if demux else data


def _epoch(value: Any) -> float | None:
    """docker-py's since/until (a datetime, or seconds) or a log line's RFC 3339 time, as seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    import datetime

    if isinstance(value, datetime.datetime):
        return value.timestamp()
    text = str(value).replace("Z", "+00:00")
    head, dot, frac = text.partition(".")
    if dot:
        digits = "".join(c for c in frac if c.isdigit())
        text = f"{head}.{digits[:6]}{frac[len(digits):]}"
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _stats_sample(eng: Engine, record: Record) -> dict[str, Any] | None:
    import json
    import time

    if record["state"]["status"] not in LIVE:
        return None
    r = eng.runtime(record).call("events", "--stats", record["id"])
    try:
        data: dict[str, Any] = json.loads(r.stdout.splitlines()[0]).get("data") or {}
    except (ValueError, IndexError):
        return None
    data["_at"] = time.time()
    with open("/proc/stat") as f:  # docker's system_cpu_usage: all CPUs' time, in ns
        fields = f.readline().split()[1:8]
    data["_system"] = sum(int(x) for x in fields) * (1_000_000_000 // os.sysconf("SC_CLK_TCK"))
    return data


def _stats_doc(record: Record, now: dict[str, Any] | None, before: dict[str, Any] | None) -> dict[str, Any]:
    from hutch.util import timefmt

    def cpu(d: dict[str, Any] | None) -> dict[str, Any]:
        if not d:
            return {"cpu_usage": {"total_usage": 0}, "system_cpu_usage": 0, "online_cpus": 0}
        u = (d.get("cpu") or {}).get("usage") or {}
        return {"cpu_usage": {"total_usage": int(u.get("total", 0)),
                              "usage_in_kernelmode": int(u.get("kernel", 0)),
                              "usage_in_usermode": int(u.get("user", 0))},
                "system_cpu_usage": int(d["_system"]), "online_cpus": os.cpu_count() or 1,
                "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}}

    mem = (now or {}).get("memory") or {}
    usage = (mem.get("usage") or {})
    host = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = int(usage.get("limit", 0))
    blkio = [{"major": int(e.get("major", 0)), "minor": int(e.get("minor", 0)), "op": str(e.get("op", "")),
              "value": int(e.get("value", 0))}
             for e in ((now or {}).get("blkio") or {}).get("ioServiceBytesRecursive") or []]
    return {"read": timefmt.now() if now else "0001-01-01T00:00:00Z",
            "preread": timefmt.now() if before else "0001-01-01T00:00:00Z",
            "id": record["id"], "name": "/" + str(record["name"]),
            "pids_stats": {"current": int(((now or {}).get("pids") or {}).get("current", 0))} if now else {},
            "cpu_stats": cpu(now), "precpu_stats": cpu(before),
            "memory_stats": {"usage": int(usage.get("usage", 0)), "max_usage": int(usage.get("max", 0)),
                             "limit": limit if 0 < limit < host else host,
                             "stats": dict(mem.get("stats") or {})} if now else {},
            "blkio_stats": {"io_service_bytes_recursive": blkio if now else None},
            "networks": {}}


def _cli(eng: Engine, argv: list[str], *, stdin: bytes | None = None, stdout: Any = None) -> Any:
    """`hutch ARGV...` on this store, in a fresh interpreter (-I: nothing from the environment)."""
    import subprocess
    import sys

    code = "import sys; from hutch.cli.engine import main; sys.exit(main(sys.argv[1:]))"
    glob = ["--root", eng.root, "--runroot", eng.runroot]
    if eng.runtime_name:
        glob += ["--runtime", eng.runtime_name]
    return subprocess.run([sys.executable, "-I", "-c", code, *glob, *argv], input=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, check=False)


def _cli_check(r: Any, what: str) -> None:
    if r.returncode == 0:
        return
    msg = r.stderr.decode(errors="replace").strip().splitlines()
    text = (msg[-1] if msg else f"exit status {r.returncode}").removeprefix("Error: ")
    text = text.removeprefix("Error response from daemon: ")
    if "No such container" in text or "Could not find the file" in text or "no such file" in text:
        raise NotFound(f"{what}: {text}")
    raise APIError(f"{what}: {text}")


def _tar_stat(f: IO[bytes]) -> dict[str, Any]:
    """docker's X-Docker-Container-Path-Stat of a tar's first entry (mode: Go's FileMode bits)."""
    import tarfile

    with tarfile.open(fileobj=f, mode="r|") as tar:
        ti = tar.next()
    if ti is None:
        return {}
    mode = ti.mode & 0o777
    if ti.isdir():
        mode |= 1 << 31
    elif ti.issym():
        mode |= 1 << 27
    return {"name": ti.name.rstrip("/").rpartition("/")[2] or ti.name, "size": ti.size, "mode": mode,
            "mtime": _rfc3339(ti.mtime), "linkTarget": ti.linkname}


def _rfc3339(t: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _chunks(f: IO[bytes], size: int) -> Iterator[bytes]:
    try:
        while chunk := f.read(size):
            yield chunk
    finally:
        f.close()


def _os_name() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.partition("=")[2].strip().strip('"')
    except OSError:
        pass
    return "Linux"


def _beside_hutch() -> bool:
    import sys

    return os.access(os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "hutch-runtime"), os.X_OK)


def _venv_runtime() -> str | None:
    """From a Python program (argv[0] is not `hutch`): the hutch-runtime of this interpreter's
    environment, if there is one (else find_runtime looks on PATH)."""
    import sys

    candidate = os.path.join(os.path.dirname(sys.executable), "hutch-runtime")
    return candidate if os.access(candidate, os.X_OK) else None
