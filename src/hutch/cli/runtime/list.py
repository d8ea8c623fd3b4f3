"""list: the containers under --root, as a table or JSON (runc's list.go)."""

from __future__ import annotations

import sys

from hutch import fastjson
from hutch.cli.args import Args, Flag
from hutch.cli.log import Log
from hutch.cli.runtime.state import oci_state
from hutch.container.store import Store
from hutch.errors import InvalidArgument


def flags() -> list[Flag]:
    return [Flag("format", "f", value=True, default="table"), Flag("quiet", "q")]


def handle(name: str, g: Args, a: Args, log: Log) -> int:
    store = Store(g.text("root"))
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
