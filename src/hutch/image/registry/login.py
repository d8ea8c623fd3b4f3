"""`hutch login`: check credentials against a registry before they are stored.

``GET /v2/`` as docker does: 200 (the registry wants no credentials) is a success; a
Basic challenge is answered with the credentials; a Bearer challenge with a token
request, with no scope, made with them. Anything but a final 200 is a one-line error.
"""

from __future__ import annotations

from hutch.errors import HutchError
from hutch.image.registry.auth import Authenticator

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.image.registry.credentials import Credential
    from hutch.image.registry.session import Session


class LoginError(HutchError):
    pass


def host_of(registry: str) -> str:
    return "registry-1.docker.io" if registry == "docker.io" else registry


def check(session: Session, registry: str, credential: Credential) -> None:
    host = host_of(registry)
    auth = Authenticator(session.transport, registry, credential)
    url = f"{session.transport.base(host)}/v2/"
    try:
        for _ in range(2):
            resp = session.transport.request("GET", url, auth.headers(""))
            resp.body(1 << 16)
            if resp.status == 200:
                return
            if resp.status != 401 or not auth.answer(resp, ""):
                break
    except HutchError as err:  # a token server's refusal, a connection, TLS
        raise LoginError(f"logging in to {registry}: {err}") from err
    raise LoginError(f"logging in to {registry}: unauthorized: incorrect username or password "
                     f"(the registry answered {resp.status} {resp.reason})")
