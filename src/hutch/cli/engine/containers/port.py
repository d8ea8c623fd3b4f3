"""`hutch port`: a container's published ports."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("container")
    p.add_argument("private", nargs="?")


def handle(eng: Engine, a: Namespace) -> int:
    record = eng.find(a.container)
    for private, binds in sorted((record.get("ports") or {}).items()):
        if a.private and a.private not in (private, private.split("/")[0]):
            continue
        for b in binds:
            print(f"{private} -> {b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}")
    return 0
