"""Registry authentication: the ``WWW-Authenticate`` challenge, Basic, and Bearer tokens.

distribution's token flow (docs/spec/auth/token.md): a request answered 401 carries
``WWW-Authenticate: Bearer realm="https://auth.example/token",service="registry",
scope="repository:team/app:pull"``; the client asks the realm for a token for that
service and scope (with Basic credentials when it has some, or its OAuth refresh token
by POST), and retries with ``Authorization: Bearer <token>``. The answer's ``token`` (or
``access_token``) is cached per scope until it expires. A token that lacks a scope (a
403 or 401 with ``error="insufficient_scope"``) is fetched once more for the scope the
challenge names. ``Basic realm=...`` means the credentials go on every request as they are.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse

from hutch.image.registry.errors import RegistryError, Unauthorized

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.image.registry.credentials import Credential
    from hutch.image.registry.transport import Response, Transport


class AuthError(RegistryError):
    """No token: the token server failed or sent none. A RegistryError, so that a pull tries
    the next endpoint (a mirror's token server may fail alone)."""


class TokenRefused(AuthError, Unauthorized):
    """The token server refused the credentials, or an anonymous token (401/403): as the
    registry's own 401, a pull says "pull access denied"."""


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """(scheme, params) of a WWW-Authenticate header: ``Bearer realm="x",scope="a b"``.
    Quoted strings may hold commas and backslash escapes."""
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in " ,":
            i += 1
        eq = rest.find("=", i)
        if eq < 0:
            break
        key = rest[i:eq].strip().lower()
        i = eq + 1
        if i < n and rest[i] == '"':
            i += 1
            value = []
            while i < n and rest[i] != '"':
                if rest[i] == "\\" and i + 1 < n:
                    i += 1
                value.append(rest[i])
                i += 1
            i += 1
            params[key] = "".join(value)
        else:
            end = rest.find(",", i)
            end = n if end < 0 else end
            params[key] = rest[i:end].strip()
            i = end
    return scheme.lower(), params


class Authenticator:
    """The Authorization headers for one registry, shared by the threads of a pull."""

    def __init__(self, transport: Transport, registry: str, credential: Credential | None) -> None:
        self.transport, self.registry, self.credential = transport, registry, credential
        self._basic = False
        self._tokens: dict[str, tuple[str, float]] = {}
        self._challenge: dict[str, str] | None = None
        self._lock = threading.Lock()
        self._fetching = threading.Lock()  # one token request at a time: the others wait for it
        self._sent = threading.local()  # the token this thread last sent, per scope
        self._asked: dict[str, str] = {}  # per scope: what its token was asked for
        self._retried: dict[str, str] = {}  # per scope: what an insufficient_scope retry asked
        self.token_requests = 0

    def headers(self, scope: str) -> dict[str, str]:
        """What to send for ``scope`` (``repository:NAME:pull``), as far as is known yet."""
        with self._lock:
            cred = self.credential
            if self._basic and cred is not None:
                return {"Authorization": "Basic " + _basic(cred.username, cred.password)}
            token = self._tokens.get(scope)
            if token is None or token[1] <= time.monotonic():
                self._sent_tokens()[scope] = ""
                return {}
            self._sent_tokens()[scope] = token[0]
            return {"Authorization": f"Bearer {token[0]}"}

    def _sent_tokens(self) -> dict[str, str]:
        sent: dict[str, str] | None = getattr(self._sent, "tokens", None)
        if sent is None:
            sent = self._sent.tokens = {}
        return sent

    def answer(self, resp: Response, scope: str) -> bool:
        """Learn from a 401/403 to a request made with ``headers(scope)`` in this thread:
        whether a retry may now succeed (a new token, or Basic). A token is fetched once per
        scope: a thread whose request went out before another thread's new token came uses
        that one. The new token is kept under ``scope``, for the caller's next ``headers``; on
        ``insufficient_scope`` it is asked for ``scope`` and what the challenge names (a
        cross-repository mount also needs pull on the source), once: a token from such a retry
        that still falls short is the registry's final word (and later tokens for ``scope``
        are asked for as much)."""
        scheme, params = parse_challenge(resp.header("WWW-Authenticate"))
        if scheme == "basic":
            with self._lock:
                if self._basic or self.credential is None:
                    return False
                self._basic = True
            return True
        if scheme != "bearer" or "realm" not in params:
            return False
        insufficient = params.get("error") == "insufficient_scope"
        sent = self._sent_tokens().get(scope, "")
        with self._fetching:
            with self._lock:
                self._challenge = params
                now = self._tokens.get(scope)
            if now is not None and now[0] != sent and now[1] > time.monotonic():
                return True  # another thread got a new token meanwhile
            if sent and not insufficient:
                return False  # a fresh token was refused: credentials are wrong, not stale
            wanted = self._asked.get(scope, scope)
            if insufficient:
                wanted = merge_scopes(wanted, params.get("scope", ""))
                retried = self._retried.get(scope)
                if sent and retried is not None and merge_scopes(retried, wanted) == retried:
                    return False  # asked for all of it once more already: not granted
            token = self.fetch_token(params, wanted)
            with self._lock:
                self._tokens[scope] = token
            self._asked[scope] = wanted
            if insufficient:
                self._retried[scope] = wanted
            else:
                self._retried.pop(scope, None)
        return True

    def fetch_token(self, challenge: dict[str, str], scope: str) -> tuple[str, float]:
        """A token from the challenge's realm for ``scope`` (empty: a login check)."""
        realm = challenge["realm"]
        query = [("service", challenge["service"])] if challenge.get("service") else []
        query += [("scope", s) for s in scope.split(" ") if s]
        cred = self.credential
        headers = {"Accept": "application/json"}
        self.token_requests += 1
        if cred is not None and cred.identity_token:  # OAuth2 refresh token: POST (docker's way)
            form = [("grant_type", "refresh_token"), ("refresh_token", cred.identity_token),
                    ("client_id", "hutch"), *query]
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            resp = self.transport.request("POST", realm, headers, urllib.parse.urlencode(form).encode())
        else:
            if cred is not None and cred.username:
                headers["Authorization"] = "Basic " + _basic(cred.username, cred.password)
            sep = "&" if "?" in realm else "?"
            url = realm + (sep + urllib.parse.urlencode(query) if query else "")
            resp = self.transport.request("GET", url, headers)
        body = resp.body(1 << 20)
        if resp.status in (401, 403):
            raise TokenRefused(f"unauthorized: the token server {realm} refused "
                               f"{'the credentials for ' + self.registry if cred else 'an anonymous token'}",
                               resp.status)
        if resp.status != 200:
            raise AuthError(f"the token server {realm} answered {resp.status} {resp.reason}")
        try:
            doc = json.loads(body)
            token = str(doc.get("token") or doc.get("access_token") or "")
            expires = float(doc.get("expires_in") or 60)
        except (ValueError, AttributeError, TypeError) as err:
            raise AuthError(f"the token server {realm} sent no token: {body[:100]!r}") from err
        if not token:
            raise AuthError(f"the token server {realm} sent no token")
        return token, time.monotonic() + max(expires - 10, 5)  # spec: 60 s at least


def merge_scopes(*scopes: str) -> str:
    """Space-separated scopes (``repository:NAME:pull,push``) as one, each resource once with
    the union of its actions, in the order first named."""
    actions: dict[str, list[str]] = {}
    for scope in scopes:
        for s in scope.split(" "):
            if not s:
                continue
            resource, colon, acts = s.rpartition(":")
            if not colon or resource.count(":") < 1:  # not TYPE:NAME:ACTIONS: kept as it is
                resource, acts = s, ""
            have = actions.setdefault(resource, [])
            have += [a for a in acts.split(",") if a and a not in have]
    return " ".join(f"{r}:{','.join(a)}" if a else r for r, a in actions.items())


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()
