"""`hutch login`: check credentials with a registry and store them."""

from __future__ import annotations

import sys

from hutch.cli.engine.images.registry import registry_flags, session
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-u", "--username", default=None, help="Username")
    p.add_argument("-p", "--password", default=None, help="Password")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    registry_flags(p)
    p.add_argument("registry", nargs="?", default="docker.io")


def login_registry(value: str) -> str:
    """docker's ways of naming a registry to log in to: ``https://host/v1/`` is ``host``,
    ``index.docker.io`` is ``docker.io``."""
    value = value.strip()
    for scheme in ("https://", "http://"):
        value = value.removeprefix(scheme)
    value = value.split("/", 1)[0]
    if value in ("index.docker.io", "registry-1.docker.io"):
        value = "docker.io"
    if not value:
        raise HutchError("login: no registry given")
    return value


def handle(eng: Engine, a: Namespace) -> int:
    import getpass

    from hutch.image.registry.credentials import Credential, store
    from hutch.image.registry.login import check

    registry = login_registry(a.registry)
    if a.password is not None and a.password_stdin:
        raise HutchError("--password and --password-stdin are mutually exclusive")
    username = a.username
    if username is None:
        if a.password_stdin:
            raise HutchError("must provide --username with --password-stdin")
        username = input("Username: ").strip()
    password = a.password
    if a.password_stdin:
        password = sys.stdin.read().rstrip("\r\n")
    elif password is None:
        password = getpass.getpass("Password: ")
    else:
        sys.stderr.write("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n")
    if not username or not password:
        raise HutchError("login: a username and a password are needed")
    s = session(a)
    try:
        check(s, registry, Credential(username, password, ""))
    finally:
        s.close()
    store(registry, username, password, a.authfile)
    print("Login Succeeded")
    return 0
