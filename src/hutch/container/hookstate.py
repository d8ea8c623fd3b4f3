"""The state document hooks receive on stdin, and the hooks that run in the runtime."""

from __future__ import annotations

from hutch import fastjson
from hutch._version import OCI_VERSION

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def state_json(state: dict[str, Any], status: str, pid: int | None = None) -> bytes:
    doc: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "id": state["id"],
        "status": status,
        "pid": state.get("pid", 0) if pid is None else pid,
        "bundle": state["bundle"],
    }
    if state.get("annotations"):
        doc["annotations"] = state["annotations"]
    return fastjson.dumps(doc).encode()


def run(kind: str, state: dict[str, Any], status: str, warn: Callable[[str], None],
        pid: int | None = None) -> None:
    hooks = state.get("hooks", {}).get(kind)
    if not hooks:
        return
    from hutch import hooks as runner

    warn_only = kind in ("poststart", "poststop")
    runner.run_hooks(kind, hooks, state_json(state, status, pid), warn_only=warn_only, warn=warn)
