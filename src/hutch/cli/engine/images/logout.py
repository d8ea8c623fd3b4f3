"""`hutch logout`: erase a registry's stored credentials."""

from __future__ import annotations

from hutch.cli.engine.images.login import login_registry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("--authfile", default=None,
                   help="Path of the authentication file (default: docker's config.json)")
    p.add_argument("registry", nargs="?", default="docker.io")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.image.registry.credentials import erase

    registry = login_registry(a.registry)
    if erase(registry, a.authfile):
        print(f"Removing login credentials for {registry}")
    else:
        print(f"Not logged in to {registry}")
    return 0
