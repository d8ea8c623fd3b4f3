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
