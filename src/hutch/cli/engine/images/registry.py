"""How to reach registries: podman's flags (pull, push, login, run, create) and the session they make."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.image.registry.session import Session


def registry_flags(p: Parser) -> None:
    """How to reach registries (podman's flags): pull, push, login, run and create."""
    p.add_argument("--tls-verify", default=None, choices=["true", "false"],
                   help="require HTTPS with a verified certificate (default: unless registries.conf or "
                        "a loopback address makes the registry insecure)")
    p.add_argument("--cert-dir", default=None, help="a directory of certificates (*.crt CAs, *.cert/*.key "
                                                    "client pairs) instead of certs.d's")
    p.add_argument("--authfile", default=None, help="the credentials file (default: containers' auth.json)")


def session(a: Namespace) -> Session:
    from hutch.image.registry.session import Session

    tls = None if getattr(a, "tls_verify", None) is None else a.tls_verify == "true"
    return Session(tls_verify=tls, cert_dir=getattr(a, "cert_dir", None),
                   authfile=getattr(a, "authfile", None))
