"""docker-py's Container model over hutch's engine: a container's methods (start, wait, logs,
exec_run, archives, commit, diff...) and attributes, as of its last `reload`."""

from __future__ import annotations

from hutch.api import streams
from hutch.api.answers import answered
from hutch.api.images import Image
from hutch.api.model import Model
from hutch.engine.model import LIVE, PAUSED
from hutch.engine.registry import ContainerNotFound
from hutch.engine.stats import sample as stats_sample
from hutch.errors import APIError, Conflict, NotImplementedByHutch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from types import TracebackType
    from typing import IO, Any, NamedTuple

    from hutch.api.images import Images
    from hutch.engine.containers import Engine
    from hutch.engine.records import Record
else:
    from typing import NamedTuple


class ExecResult(NamedTuple):
    exit_code: int | None
    output: Any



class Container(Model):
    """One container. Its attributes are as of the last `reload` (done by the methods that
    change it). As a context manager it is removed at the end of the block (force)."""

    def __init__(self, engine: Engine, images: Images, record: Record) -> None:
        self._engine, self._images = engine, images
        self._record = record

    @property
    def id(self) -> str:
        return str(self._record["id"])

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
    def health(self) -> str:  # docker-py's: its health check's status, "unknown" without one
        return str((self._record["state"].get("health") or {}).get("Status") or "unknown")

    @property
    def labels(self) -> dict[str, str]:
        return dict(self._record.get("labels") or {})

    @property
    def image(self) -> Image | None:
        """Its image (None if it was removed since)."""
        from hutch.image.store import ImageNotFound

        try:
            return self._images.get(str(self._record.get("image_id") or self._record["image"]))
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
        with answered():
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
        with answered():
            self._engine.stop(self.reload()._record, timeout)
        self.reload()

    def kill(self, signal: str | int = "KILL") -> None:
        with answered():
            self._engine.kill(self.reload()._record, str(signal))

    def restart(self, timeout: int | None = None) -> None:
        with answered():
            self._engine.restart(self.reload()._record, timeout)
        self.reload()

    def pause(self) -> None:
        with answered():
            self._engine.pause(self.reload()._record)
        self.reload()

    def unpause(self) -> None:
        with answered():
            self._engine.unpause(self.reload()._record)
        self.reload()

    def rename(self, name: str) -> None:
        with answered():
            self._engine.rename(self._record, name)
        self.reload()

    #: docker-py's update() arguments -> `hutch update`'s (hutch.engine.update.parse)
    _UPDATE = {"mem_limit": "memory", "memswap_limit": "memory_swap", "cpu_shares": "cpu_shares",
               "cpuset_cpus": "cpuset_cpus", "nano_cpus": "cpus", "pids_limit": "pids_limit"}

    def update(self, *, restart_policy: Mapping[str, Any] | None = None, **resources: Any) -> dict[str, Any]:
        """docker-py's update: resources (mem_limit, memswap_limit, cpu_shares, cpuset_cpus, and
        nano_cpus, pids_limit as docker's API has them) into its cgroup now and for its next
        start, and its restart policy ({"Name", "MaximumRetryCount"})."""
        from hutch.engine import update

        given: dict[str, str] = {}
        for key, value in resources.items():
            if key not in self._UPDATE:
                raise NotImplementedByHutch(f"update: {key} is not supported by hutch")
            if value is not None:
                given[self._UPDATE[key]] = str(value / 1e9 if key == "nano_cpus" else value)
        with answered():
            change = update.parse(**given)
            record = self.reload()._record
            if change:
                update.apply(self._engine, record, change)
            if restart_policy is not None:
                self._engine.update_restart(record, dict(restart_policy))
        self.reload()
        return {"Warnings": []}

    def export(self, chunk_size: int | None = 2 << 20) -> Iterator[bytes]:
        """docker-py's: its filesystem as a tar (no volumes, as docker's), in chunks; made by
        `hutch export` in a process of its own (for a stopped container it mounts the overlay in a
        mount namespace of its own: see get_archive), spooled to a temporary file."""
        import tempfile

        spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115  (the generator closes it)
        r = streams.cli(self._engine, ["export", self.id], stdout=spool)
        streams.cli_check(r, "export")
        spool.seek(0)
        return streams.chunks(spool, chunk_size or (2 << 20))

    def logs(self, stdout: bool = True, stderr: bool = True, stream: bool = False, timestamps: bool = False,
             tail: str | int = "all", since: Any = None, follow: bool | None = None,
             until: Any = None) -> Any:
        """docker-py's: its output from the json-file log, as bytes; with ``stream`` a generator
        of bytes chunks that follows the log while it runs (unless ``follow=False``)."""
        from hutch.engine import jsonlog

        want = {name for name, on in (("stdout", stdout), ("stderr", stderr)) if on}
        lo, hi = streams.epoch(since), streams.epoch(until)

        def chunk(entry: tuple[str, str, str]) -> bytes | None:
            kind, stamp, text = entry
            if kind not in want:
                return None
            if lo is not None or hi is not None:
                at = streams.epoch(stamp)
                if at is not None and ((lo is not None and at < lo) or (hi is not None and at >= hi)):
                    return None
            return ((stamp + " ") if timestamps else "").encode() + text.encode()

        path = self._engine.log_path(self._record)
        follower = None
        if stream and follow is not False:  # the rotated files, then the current one, followed
            follower = jsonlog.Follower(path, at_end=False)
            entries = [e for name in jsonlog.files(path)[:-1] for e in jsonlog.read_file(name)]
            entries += follower.new()
        else:
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
            try:
                running = self._engine.is_running(self.reload()._record)
            except ContainerNotFound:  # removed (auto_remove): what is left of the open log
                running = False
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
        import json
        import subprocess

        self.reload()
        if self._record["state"]["status"] not in LIVE:
            raise Conflict(f"container {self.name} is not running")
        got = self._engine.runtime(self._record).call("ps", "--format", "json", self.id)
        if got.returncode != 0:
            raise APIError(f"cannot list the processes of {self.name}: "
                           f"{got.stderr.decode(errors='replace').strip()}")
        pids = {int(p) for p in json.loads(got.stdout or b"[]")}
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
        first = stats_sample(self._engine, self.reload()._record)
        if not stream:
            if not one_shot:
                import time

                time.sleep(0.5)
                now = stats_sample(self._engine, self._record)
                return streams.stats_doc(self._record, now, first)
            return streams.stats_doc(self._record, first, None)
        return self._stats_stream(first, bool(decode))

    def _stats_stream(self, before: dict[str, Any] | None, decode: bool) -> Iterator[Any]:
        import json
        import time

        while True:
            time.sleep(1)
            now = stats_sample(self._engine, self._record)
            doc = streams.stats_doc(self._record, now, before)
            yield doc if decode else json.dumps(doc).encode()
            before = now

    def put_archive(self, path: str, data: bytes | IO[bytes]) -> bool:
        """docker's: extract the tar ``data`` into the directory ``path`` of the container (as
        `hutch cp - CONTAINER:PATH`); True."""
        import subprocess

        self.reload()
        r = streams.cli(self._engine, ["cp", "-", f"{self.id}:{path}"],
                 stdin=data if isinstance(data, bytes) else data.read(), stdout=subprocess.DEVNULL)
        streams.cli_check(r, f"put_archive {path}")
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
        r = streams.cli(self._engine, ["cp", f"{self.id}:{path}", "-"], stdout=spool)
        streams.cli_check(r, f"get_archive {path}")
        spool.seek(0)
        stat = streams.tar_stat(spool)
        spool.seek(0)
        return streams.chunks(spool, chunk_size or (2 << 20)), stat

    def commit(self, repository: str | None = None, tag: str | None = None, message: str = "",
               author: str = "", pause: bool = True, changes: str | Iterable[str] | None = None,
               conf: Mapping[str, Any] | None = None) -> Image:
        """docker-py's: a new image of the container's filesystem (`hutch commit`)."""
        from hutch.engine import commit

        if conf:
            raise NotImplementedByHutch("commit: conf is not supported by hutch (use changes)")
        repo = f"{repository}:{tag}" if repository and tag else repository
        change_list = [changes] if isinstance(changes, str) else list(changes or [])
        with answered():
            img = commit.commit(self._engine, self.id, repo, message=message or "", author=author or "",
                                changes=change_list, pause_it=pause)
        return Image(self._engine, img)

    def diff(self) -> list[dict[str, Any]]:
        """docker's: its changes to the image's files, [{"Path", "Kind": 0 changed, 1 added, 2 deleted}]."""
        from hutch.engine.diff import KINDS, of_container

        found = of_container(self._engine, self.reload()._record)
        return [{"Path": path, "Kind": KINDS[kind]} for kind, path in found]

    def exec_run(self, cmd: str | Iterable[str], stdout: bool = True, stderr: bool = True,
                 stdin: bool = False, tty: bool = False, privileged: bool = False, user: str = "",
                 detach: bool = False,
                 stream: bool = False, socket: bool = False, environment: Mapping[str, str] | Iterable[str] |
                 None = None, workdir: str | None = None, demux: bool = False, *,
                 input: bytes | None = None) -> ExecResult:
        """docker-py's exec_run: ExecResult(exit_code, output): output bytes (stdout and stderr
        as asked), a (stdout, stderr) pair with ``demux``, a generator of chunks with ``stream``
        (exit_code None then, as docker-py's); ``input`` (hutch's) is fed to its stdin."""
        from hutch.api import args as apiargs

        if socket:
            raise NotImplementedByHutch("exec_run: socket is not supported by hutch")
        if privileged:
            raise NotImplementedByHutch("exec_run: privileged is not supported by hutch")
        args = apiargs.split_command(cmd)
        env = apiargs.environment(environment) if environment else []
        record = self.reload()._record
        want = {1: stdout, 2: stderr}

        def run(sink: Any) -> int:
            with answered():
                code, _ = self._engine.exec(record, args, env=env, workdir=workdir or "", user=user, tty=tty,
                                            detach=detach, capture=not detach, input=input, sink=sink)
            return code

        if detach:
            run(None)
            return ExecResult(None, b"")
        if stream:
            return ExecResult(None, streams.streamed(run, want, demux))
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
            with answered():
                self._engine.remove(self.id, force, volumes=v)
        except ContainerNotFound:
            if not missing_ok:
                raise

    def __enter__(self) -> Container:
        return self

    def __exit__(self, _kind: type[BaseException] | None, _err: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self.remove(force=True, missing_ok=True)

