"""hutch from Python: images and containers over the same core as the `hutch` command.

Shaped like docker's Python SDK (docker-py), so its users know it::

    import hutch

    with hutch.Client(root="/var/lib/hutch") as client:
        client.images.import_tarball("rootfs.tar", "box:1")
        print(client.containers.run("box:1", ["echo", "hello"], remove=True))   # b'hello\\n'
        with client.containers.run("box:1", ["sleep", "60"], detach=True, mem_limit="64m") as c:
            result = c.exec_run(["cat", "/etc/hostname"])
            print(result.exit_code, result.output)
        # leaving the block removed the container (stopped first, if it ran)

Everything goes through `hutch.engine` — the same records, monitor and OCI runtime as
the CLI — so containers made here show up in `hutch ps`, and the other way round.
"""

from __future__ import annotations

import os

from hutch.engine.containers import DEFAULT_ROOT, DEFAULT_RUNROOT, ContainerNotFound, Engine
from hutch.engine.model import LIVE, PAUSED
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from types import TracebackType
    from typing import IO, Any, NamedTuple

    from hutch.engine.records import Record
    from hutch.image.store import Image
else:
    from typing import NamedTuple

__all__ = ["Client", "Container", "ContainerError", "ContainerNotFound", "ExecResult", "HutchError"]


class ExecResult(NamedTuple):
    exit_code: int
    output: bytes


class ContainerError(HutchError):
    """A container run in the foreground exited non-zero (docker-py's ContainerError)."""

    def __init__(self, container: Container, exit_status: int, output: bytes) -> None:
        super().__init__(f"container {container.name} exited with status {exit_status}")
        self.container, self.exit_status, self.output = container, exit_status, output


class Client:
    """An engine store (``root``), its runtime state (``runroot``), and an OCI runtime
    (hutch-runtime by default, or ``runtime="runc"`` or a path)."""

    def __init__(self, root: str = DEFAULT_ROOT, runroot: str = DEFAULT_RUNROOT,
                 runtime: str | None = None) -> None:
        if runtime is None and not _beside_hutch():
            runtime = _venv_runtime()
        self.engine = Engine(root, runroot, runtime)
        self.images = Images(self)
        self.containers = Containers(self)

    def close(self) -> None:
        """Nothing to release (there is no daemon); for symmetry with docker-py."""

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Images:
    def __init__(self, client: Client) -> None:
        self._client = client
        self._store = client.engine.images

    def import_tarball(self, source: str | os.PathLike[str] | IO[bytes], ref: str | None = None) -> Image:
        """A root filesystem tarball as an image (`hutch import`)."""
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as f:
                return self._store.import_rootfs(f, ref)
        return self._store.import_rootfs(source, ref)  # type: ignore[arg-type]  # any binary reader

    def pull(self, repository: str, tag: str | None = None, *, all_tags: bool = False,
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
                return [pull(self._store, session, str(r.with_tag(t)), Progress(quiet=quiet),
                             platform=platform).image for t in tags]
            return pull(self._store, session, ref, Progress(quiet=quiet), platform=platform).image
        finally:
            session.close()

    def push(self, repository: str, tag: str | None = None, *, destination: str | None = None,
             auth_config: Mapping[str, str] | None = None, tls_verify: bool | None = None,
             quiet: bool = True) -> str:
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

    def load(self, path: str | os.PathLike[str]) -> list[str]:
        """A docker-archive or oci-archive tarball (`hutch load`); the names loaded."""
        from hutch.image import archive

        return archive.load(self._store, os.fspath(path))

    def get(self, ref: str) -> Image:
        return self._store.get(ref)

    def list(self) -> list[Image]:
        return self._store.images()

    def remove(self, ref: str, force: bool = False) -> None:
        """`hutch rmi [-f]`: untag ``ref`` (an image given by id loses all its names), and
        delete the image once it has none, refusing as docker does when a container uses it
        (hutch.engine.rmi)."""
        from hutch.engine.rmi import remove_image

        remove_image(self._client.engine, ref, force)


def _session(auth_config: Mapping[str, str] | None, tls_verify: bool | None) -> Any:
    from hutch.image.registry.session import Session

    cred = None
    if auth_config:
        from hutch.image.registry.credentials import Credential

        cred = Credential(auth_config.get("username", ""), auth_config.get("password", ""),
                          auth_config.get("identitytoken", ""))
    return Session(tls_verify=tls_verify, credential=cred)


class Containers:
    def __init__(self, client: Client) -> None:
        self._client = client
        self._engine = client.engine

    def create(self, image: str, command: str | Iterable[str] | None = None, *, name: str | None = None,
               entrypoint: str | None = None, environment: Mapping[str, str] | Iterable[str] | None = None,
               working_dir: str = "", user: str = "", hostname: str = "", network: str = "bridge",
               read_only: bool = False, mem_limit: str | int = "", cpus: str | float = "",
               pids_limit: int = 0, volumes: Iterable[str] | None = None, tty: bool = False,
               stdin_open: bool = False,
               remove: bool = False, stop_signal: str = "", stop_timeout: int | None = None) -> Container:
        """A container, not started (`hutch create`). ``command`` is a list, or a string
        split as a shell would; ``environment`` a mapping or KEY=VALUE strings."""
        import shlex
        from collections.abc import Mapping

        from hutch.engine.request import CreateRequest
        from hutch.image.store import ImageNotFound

        args = shlex.split(command) if isinstance(command, str) else list(command or [])
        env = [f"{k}={v}" for k, v in environment.items()] if isinstance(environment, Mapping) \
            else list(environment or [])
        try:
            self._engine.images.get(image)
        except ImageNotFound:  # docker-py's run and create pull a missing image
            self._client.images.pull(image)
        req = CreateRequest.parse(image, command=args, entrypoint=entrypoint, env=env, workdir=working_dir,
                                  user=user, hostname=hostname, name=name, tty=tty, stdin=stdin_open,
                                  remove=remove, network=network, read_only=read_only, memory=mem_limit,
                                  cpus=cpus, pids_limit=pids_limit, volumes=list(volumes or []),
                                  stop_signal=stop_signal, stop_timeout=stop_timeout)
        record = self._engine.create(req)
        return Container(self._client, record)

    def run(self, image: str, command: str | Iterable[str] | None = None, *, detach: bool = False,
            remove: bool = False, **kwargs: Any) -> Any:
        """docker-py's run: with ``detach``, the running `Container`; else wait for it and
        return its output (stdout and stderr) as bytes, raising `ContainerError` if it
        exited non-zero. ``remove`` removes it when it exits."""
        container = self.create(image, command, remove=remove and detach, **kwargs)
        try:
            container.start()
        except BaseException:
            container.remove(force=True, missing_ok=True)
            raise
        if detach:
            return container
        try:
            code = container.wait()
            output = container.logs()
        finally:
            if remove:
                container.remove(force=True, missing_ok=True)
        if code != 0:
            raise ContainerError(container, code, output)
        return output

    def get(self, ref: str) -> Container:
        """By name, id or unique id prefix; raises `ContainerNotFound`."""
        return Container(self._client, self._engine.find(ref))

    def list(self, all: bool = False) -> list[Container]:
        return [Container(self._client, r) for r in self._engine.records()
                if all or r["state"]["status"] in LIVE]


class Container:
    """One container. Its attributes are as of the last `reload` (done by the methods that
    change it). As a context manager it is removed at the end of the block (force)."""

    def __init__(self, client: Client, record: Record) -> None:
        self._client = client
        self._engine = client.engine
        self._record = record

    def __repr__(self) -> str:
        return f"<Container {self.short_id} {self.name} {self.status}>"

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

    def wait(self, timeout: float | None = None) -> int:
        """Its exit status, once it has exited; TimeoutError after ``timeout`` seconds."""
        code = self._engine.wait(self._record, timeout)
        try:
            self.reload()
        except ContainerNotFound:  # --rm
            pass
        return code

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

    def logs(self, stdout: bool = True, stderr: bool = True, timestamps: bool = False) -> bytes:
        """Its output so far, from the json-file log."""
        from hutch.engine import jsonlog

        want = {"stdout"} if stdout else set()
        if stderr:
            want.add("stderr")
        return b"".join(((stamp + " ") if timestamps else "").encode() + text.encode()
                        for stream, stamp, text in jsonlog.read(self._engine.log_path(self._record))
                        if stream in want)

    def exec_run(self, cmd: str | Iterable[str], *, environment: Mapping[str, str] | None = None,
                 workdir: str = "", user: str = "", stdin: bytes | None = None,
                 detach: bool = False) -> ExecResult:
        """Run ``cmd`` in the running container: its exit code and output (stdout and
        stderr together), as docker-py's exec_run."""
        import shlex

        args = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
        env = [f"{k}={v}" for k, v in (environment or {}).items()]
        code, out = self._engine.exec(self.reload()._record, args, env=env, workdir=workdir, user=user,
                                      detach=detach, capture=not detach, input=stdin)
        return ExecResult(code, out)

    def remove(self, force: bool = False, missing_ok: bool = False) -> None:
        try:
            self._engine.remove(self.id, force)
        except ContainerNotFound:
            if not missing_ok:
                raise

    def __enter__(self) -> Container:
        return self

    def __exit__(self, _kind: type[BaseException] | None, _err: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self.remove(force=True, missing_ok=True)


def _beside_hutch() -> bool:
    import sys

    return os.access(os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "hutch-runtime"), os.X_OK)


def _venv_runtime() -> str | None:
    """From a Python program (argv[0] is not `hutch`): the hutch-runtime of this interpreter's
    environment, if there is one (else find_runtime looks on PATH)."""
    import sys

    candidate = os.path.join(os.path.dirname(sys.executable), "hutch-runtime")
    return candidate if os.access(candidate, os.X_OK) else None
