"""runtime-spec runtime.md "State": what `state` prints and what hooks read on stdin.

Also the seccomp-notify ``ContainerProcessState`` (config-linux.md "Seccomp") sent
with the listener fd to ``listenerPath``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hutch.spec._base import Base

# runtime.md lists the first four; "paused" is what runc and crun print for a frozen container.
Status = Literal["creating", "created", "running", "stopped", "paused"]
Pid = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]


class State(Base, frozen=True, kw_only=True):
    oci_version: str
    id: str
    status: Status
    pid: Pid = 0  # REQUIRED on Linux when created or running
    bundle: str
    annotations: dict[str, str] = {}


class ContainerProcessState(Base, frozen=True, kw_only=True):
    oci_version: str
    fds: list[str]  # names of the passed fds, e.g. ["seccompFd"]
    pid: Pid
    metadata: str = ""  # linux.seccomp.listenerMetadata
    state: State
