"""hutch's domain errors: few, meaningful, each renders as one line.

Only ``hutch.cli`` turns these into messages and exit codes; the library never
prints or exits. Wrap with ``raise X(...) from err`` so the cause is kept.
"""

from __future__ import annotations


class HutchError(Exception):
    """Base class: ``str(err)`` is the one-line message a user sees."""


# The runtime's words where runc's are matched by its clients (containerd's shim, go-runc,
# podman, docker: README, "Error texts clients match"): keep them exactly.


class ContainerNotFound(HutchError):
    def __init__(self, cid: str) -> None:
        super().__init__("container does not exist")  # runc's libcontainer.ErrNotExist
        self.cid = cid


class ContainerExists(HutchError):
    def __init__(self, cid: str) -> None:
        super().__init__("container with given ID already exists")  # runc's libcontainer.ErrExist
        self.cid = cid


class InvalidID(HutchError):
    def __init__(self, cid: str, why: str) -> None:
        super().__init__(f"invalid container id {cid!r}: {why}")
        self.cid = cid


class InvalidState(HutchError):
    """``op`` is not possible in the container's ``status``; ``msg`` (runc's words, where
    it has some) replaces the generic text."""

    def __init__(self, op: str, cid: str, status: str, want: str = "", msg: str = "") -> None:
        tail = f" (it must be {want})" if want else ""
        super().__init__(msg or f"cannot {op} container {cid!r}: it is {status}{tail}")
        self.op, self.cid, self.status = op, cid, status


class InvalidSpec(HutchError):
    """config.json is malformed or invalid; ``jsonpath`` names the offending field."""

    def __init__(self, msg: str, jsonpath: str = "") -> None:
        where = f" at {jsonpath}" if jsonpath and jsonpath not in msg else ""
        self.detail = f"{msg}{where}"  # without the document's name
        super().__init__(f"invalid config.json: {self.detail}")
        self.jsonpath = jsonpath


class InvalidArgument(HutchError):
    """A bad command-line value (signal name, format, ...)."""


class InitFailed(HutchError):
    """The container's init (or an exec'd process) reported an error while setting up.

    Worded as runc's ("unable to start container process: exec: ..."), which docker and
    podman read for the exit status (127 not found, 126 not executable)."""

    def __init__(self, stage: str, msg: str, errno: int = 0) -> None:
        where = msg if msg.startswith(f"{stage}: ") else f"{stage}: {msg}"
        super().__init__(f"unable to start container process: {where}")
        self.stage, self.errno = stage, errno


class HookFailed(HutchError):
    def __init__(self, kind: str, path: str, why: str) -> None:
        super().__init__(f"{kind} hook {path} failed: {why}")


class CgroupError(HutchError):
    pass


class Unsupported(HutchError):
    """Something the config or the user asks for that hutch or this host cannot do."""


# ---- docker-py's names (docker.errors), so code written for it catches hutch's errors ----------
# Its DockerException is HutchError itself; the rest are HutchErrors, so ``except HutchError``
# and ``except docker.errors.NotFound`` both hold. ``str(err)`` stays the one-line message
# (the CLI prints it); ``status_code`` is the HTTP status docker's daemon would answer with.

DockerException = HutchError


class APIError(HutchError):
    """What docker's daemon would have answered with an HTTP error (docker-py's APIError):
    ``explanation`` is the message, ``status_code`` the status (500 unless a subclass says)."""

    status = 500

    def __init__(self, message: object = "", response: object = None, explanation: str | None = None) -> None:
        super().__init__(str(message) if explanation is None or not message else f"{message}: {explanation}")
        self.response = response
        self.explanation = str(message) if explanation is None else explanation

    @property
    def status_code(self) -> int:
        code = getattr(self.response, "status_code", None)
        return int(code) if code is not None else self.status

    def is_client_error(self) -> bool:
        return 400 <= self.status_code < 500

    def is_server_error(self) -> bool:
        return 500 <= self.status_code < 600

    def is_error(self) -> bool:
        return self.is_client_error() or self.is_server_error()


class NotFound(APIError):
    """No such container, image, volume or network (docker's 404)."""

    status = 404


class ImageNotFound(NotFound):
    pass


class Conflict(APIError):
    """The object is in a state that forbids it (docker's 409: in use, not running, ...)."""

    status = 409


class NotImplementedByHutch(APIError):
    """A docker argument hutch's engine does not have (docker's 501)."""

    status = 501


class InvalidRepository(HutchError):
    pass


class NullResource(HutchError, ValueError):
    pass


class ImageLoadError(HutchError):
    pass


class BuildError(HutchError):
    def __init__(self, reason: str, build_log: object = None) -> None:
        super().__init__(reason)
        self.msg, self.build_log = reason, build_log


class ContainerError(HutchError):
    """A container run in the foreground exited non-zero (docker-py's ContainerError, with its
    attributes; ``output`` is hutch's older name of ``stderr``)."""

    def __init__(self, container: object, exit_status: int, command: object, image: str,
                 stderr: bytes | None) -> None:
        self.container, self.exit_status, self.command, self.image = container, exit_status, command, image
        self.stderr = self.output = stderr
        err = f": {stderr.decode(errors='replace').strip()}" if stderr else ""
        super().__init__(f"Command '{command}' in image '{image}' returned non-zero exit status "
                         f"{exit_status}{err}")
