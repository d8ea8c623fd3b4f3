"""Seccomp notify: hand a container process's listener fd to the agent at listenerPath.

runtime-spec (config-linux.md, "Seccomp"): the runtime connects to the UNIX socket at
``listenerPath`` and sends a ``ContainerProcessState`` document with the listener fd
attached (SCM_RIGHTS), as runc does once per process (the init, and each exec).
"""

from __future__ import annotations

import os

from hutch import fastjson
from hutch._version import OCI_VERSION
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.seccomp.compile import SeccompPlan


def process_state(state: dict[str, Any], pid: int, metadata: str) -> bytes:
    """The ContainerProcessState document: the container's state and the process's pid."""
    from hutch.container.hookstate import state_json

    return fastjson.dumps({
        "ociVersion": OCI_VERSION,
        "fds": ["seccompFd"],
        "pid": pid,
        "metadata": metadata,
        "state": fastjson.loads(state_json(state, str(state.get("status", "creating")), pid)),
    }).encode()


def send_listener(path: str, listener_fd: int, document: bytes) -> None:
    """Connect to the agent at ``path`` and send ``document`` with ``listener_fd``."""
    from hutch.process.console import connect_console_socket

    try:
        sock_fd = connect_console_socket(path, what="seccomp listenerPath")
    except HutchError as err:
        cause = err.__cause__
        why = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(err)
        # runc's words (process_linux.go), Go's error text included
        raise HutchError("failed to connect with seccomp agent specified in the seccomp profile: "
                         f"dial unix {path}: connect: {why[:1].lower()}{why[1:]}") from cause
    from hutch.util import fdpass

    try:
        fdpass.send(sock_fd, document, [listener_fd])
    except OSError as err:
        raise HutchError(f"cannot send the seccomp listener to {path}: {err.strerror}") from err
    finally:
        os.close(sock_fd)


def hand_to_agent(filt: SeccompPlan, state: dict[str, Any], status: str, pid: int, fd: int) -> None:
    """Send process ``pid``'s listener ``fd`` to the profile's agent, with the container's
    state in ``status`` (creating for the init, running for an exec'd process)."""
    doc = process_state({**state, "status": status}, pid, filt["listener_metadata"])
    send_listener(filt["listener_path"], fd, doc)
