"""state, list, ps."""

from __future__ import annotations

import sys

from hutch import fastjson
from hutch._version import OCI_VERSION
from hutch.cli.args import Args, need_id
from hutch.cli.log import Log
from hutch.container.store import Store, status
from hutch.errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


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
    if name == "state":
        cid = need_id(a, name)
        sys.stdout.write(pretty(oci_state(store, cid, store.load(cid))) + "\n")
        return 0
    if name == "list":
        fmt = a.text("format")
        if fmt not in ("table", "json"):
            raise InvalidArgument(f"invalid format {fmt!r}: use table or json")
        docs = []
        for cid in store.ids():
            try:
                docs.append(oci_state(store, cid, store.load(cid)))
            except Exception:  # a container being deleted right now
                continue
        if a.flag("quiet"):
            sys.stdout.write("".join(d["id"] + "\n" for d in docs))
        elif fmt == "json":
            sys.stdout.write(fastjson.dumps(docs) + "\n")
        else:
            rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
            rows += [
                [d["id"], str(d["pid"]), d["status"], d["bundle"], d["created"], d["owner"] or "root"]
                for d in docs
            ]
            widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
            for r in rows:
                line = "   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))
                sys.stdout.write(line.rstrip() + "\n")
        return 0
    # ps
    cid = need_id(a, name, extra_ok=True)
    fmt = a.text("format")
    if fmt not in ("table", "json"):
        raise InvalidArgument(f"invalid format {fmt!r}: use table or json")
    state = store.load(cid)
    pids: list[int] = []
    if state.get("cgroup"):
        from hutch.cgroups import Manager

        pids = sorted(Manager.from_record(state["cgroup"]).pids())
    if fmt == "json":
        if len(a.args) > 1:
            raise InvalidArgument("ps options cannot be used with --format json")
        sys.stdout.write(fastjson.dumps(pids) + "\n")
        return 0
    import subprocess

    ps_args = a.args[1:] or ["-ef"]
    out = subprocess.run(["ps", *ps_args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise InvalidArgument(f"ps {' '.join(ps_args)}: {out.stderr.strip()}")
    lines = out.stdout.splitlines()
    if not lines:
        return 0
    header = lines[0]
    try:
        col = header.split().index("PID")
    except ValueError:
        raise InvalidArgument("ps output has no PID column") from None
    keep = set(pids)
    sys.stdout.write(header + "\n")
    for line in lines[1:]:
        fields = line.split()
        if len(fields) > col and fields[col].isdigit() and int(fields[col]) in keep:
            sys.stdout.write(line + "\n")
    return 0
