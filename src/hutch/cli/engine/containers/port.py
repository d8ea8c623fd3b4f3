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
    """docker's shapes: every ``PRIVATE/PROTO -> HOST_IP:PORT``; with PRIVATE[/PROTO] only its
    ``HOST_IP:PORT`` lines, or docker's error when it is not published."""
    from hutch.errors import HutchError

    record = eng.find(a.container)
    ports = sorted((record.get("ports") or {}).items())
    if not a.private:
        for private, binds in ports:
            for b in binds or []:
                print(f"{private} -> {b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}")
        return 0
    number, _, proto = a.private.partition("/")
    key = f"{number}/{proto or 'tcp'}"
    binds = next((b for private, b in ports if private == key), None)
    if not binds:
        raise HutchError(f"No public port '{key}' published for {a.container}")
    for b in binds:
        print(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}")
    return 0
