"""delete: release what a container holds; with --force a running one too (runc's delete.go)."""

from __future__ import annotations

from hutch.cli.args import Args, Flag, need_id
from hutch.cli.log import Log
from hutch.container.store import Store


def flags() -> list[Flag]:
    return [Flag("force", "f")]


def handle(name: str, g: Args, a: Args, log: Log) -> int:
    from hutch.container.delete import delete
    from hutch.errors import ContainerNotFound

    cid = need_id(a, name)
    try:
        delete(Store(g.text("root")), cid, a.flag("force"), log.warn)
    except ContainerNotFound:
        if not a.flag("force"):
            raise
    return 0
