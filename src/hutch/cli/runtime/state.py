"""state: a container's state as the runtime spec's JSON (runc's state.go)."""

from __future__ import annotations

import sys

from hutch import fastjson
from hutch._version import OCI_VERSION
from hutch.cli.args import Args, Flag, need_id
from hutch.cli.log import Log
from hutch.container.store import Store, status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def flags() -> list[Flag]:
    return []


def oci_state(store: Store, cid: str, state: dict[str, Any]) -> dict[str, Any]:
    st = status(store.dir(cid), state)
    doc: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "id": cid,
        "pid": 0 if st == "stopped" else int(state["pid"]),
        "status": st,
        "bundle": state["bundle"],
        "rootfs": state["rootfs"],
        "created": state["created"],
        "owner": state.get("owner", ""),
    }
    if state.get("annotations"):
        doc["annotations"] = state["annotations"]
    return doc


def pretty(obj: object) -> str:
    return fastjson.dumps_pretty(obj)


def handle(name: str, g: Args, a: Args, log: Log) -> int:
    store = Store(g.text("root"))
    cid = need_id(a, name)
    sys.stdout.write(pretty(oci_state(store, cid, store.load(cid))) + "\n")
    return 0
