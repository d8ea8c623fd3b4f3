"""Real OCI registries on 127.0.0.1 for the registry-client tests, and what fills them.

    with Registry() as reg:                      # Debian's docker-registry (distribution 2.8)
        layout = oci_layout_from_rootfs(rootfs_template(), tmp / "layout")
        digest = skopeo_push(layout.path, reg, "library/busybox:latest")

- `Registry`: ``docker-registry serve`` with a config of its own (never the packaged one,
  which listens on every interface) at a free port of 127.0.0.1, with its own storage dir.
  Variants: plain HTTP and anonymous (default); ``htpasswd=(user, password)`` (Basic auth);
  ``token=True`` (Bearer tokens from a `TokenServer` of the tests' own: RS256 JWTs with an
  x5c header; ``token=TokenServer(user, password, anonymous=None)`` to configure it: the
  registry starts and stops it unless it was started already); ``tls=True`` (HTTPS with a CA
  made here: `ca_cert`, `cert_dir()`, `certs_d()`), ``client_auth=True`` (mutual TLS).
  ``config={...}`` is merged into the generated config.
- `Proxy`: a reverse proxy on 127.0.0.1 in front of a plain-HTTP registry, for fault tests:
  `corrupt`, `cut`, `fail`; every request it saw is in `requests`.
- `oci_layout_from_rootfs`, `oci_index_layout`: OCI image layouts (several layers, whiteouts,
  a two-platform index) from a root filesystem; `skopeo_push`, `skopeo_inspect_raw`: skopeo
  as the independent client.
- pytest fixtures (registered by tests/conftest.py's ``pytest_plugins``): session-scoped
  `registry`, `auth_registry` (user hutch / hutchpass), `token_registry` (same user),
  `tls_registry`; function-scoped `proxy` (in front of the session's `registry`) and
  `fresh_registry` (an empty plain one).

Nothing here listens anywhere but 127.0.0.1, and every process and temp dir (``hutch-reg-*``)
is gone after `stop()` / fixture teardown, also when the test failed.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import gzip
import hashlib
import http.client
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import pytest

REGISTRY_BIN = "/usr/bin/docker-registry"
USER, PASSWORD = "hutch", "hutchpass"
SERVICE, ISSUER = "hutch-test-registry", "hutch-test-issuer"

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar"


def free_port() -> int:
    """A TCP port of 127.0.0.1 free right now (the caller retries if it is taken meanwhile)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


# ---------------------------------------------------------------------------------------------
# certificates (the `cryptography` package)


@dataclass
class TestCA:
    """A CA of the tests' own, and certificates it signs: ``issue(dir, name, server=True)``
    writes NAME.crt and NAME.key (PEM) for 127.0.0.1 and localhost, or a client certificate."""

    __test__ = False  # not a pytest test class
    dir: Path
    cert: Path = field(init=False)
    key: Path = field(init=False)

    def __post_init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hutch test CA")])
        ski = x509.SubjectKeyIdentifier.from_public_key(self._key.public_key())
        self._cert = (
            self._builder(name, self._key.public_key())
            .issuer_name(name)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(self._key, _sha256()))
        self.cert, self.key = _write_pair(self.dir, "ca", self._cert, self._key)

    @staticmethod
    def _builder(subject: Any, public_key: Any) -> Any:
        from cryptography import x509

        return (x509.CertificateBuilder().subject_name(subject).public_key(public_key)
                .serial_number(x509.random_serial_number())
                .not_valid_before(_now() - datetime.timedelta(hours=1))
                .not_valid_after(_now() + datetime.timedelta(days=2)))

    def issue(self, dir: Path, name: str, *, server: bool = True) -> tuple[Path, Path]:
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        cn = "127.0.0.1" if server else "hutch-test-client"
        b = (self._builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]), key.public_key())
             .issuer_name(self._cert.subject)
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                            critical=False)
             .add_extension(x509.ExtendedKeyUsage(
                 [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
                 critical=False))
        if server:
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
        return _write_pair(dir, name, b.sign(self._key, _sha256()), key)


def _sha256() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _write_pair(dir: Path, name: str, cert: Any, key: Any) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization

    dir.mkdir(parents=True, exist_ok=True)
    crt, k = dir / f"{name}.crt", dir / f"{name}.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    k.chmod(0o600)
    return crt, k


# ---------------------------------------------------------------------------------------------
# the token server


class TokenRequest(NamedTuple):
    method: str                   # GET, or POST (the OAuth2 form docker uses)
    path: str
    query: dict[str, list[str]]   # of the URL, or of the POST form
    user: str | None              # the Basic (or form) user whose password was right, else None
    authenticated: bool
    scopes: list[str]             # as requested: repository:NAME:pull,push ...
    status: int                   # 200, or 401 for wrong (or, when refused, absent) credentials


class TokenServer:
    """Docker's token protocol on 127.0.0.1: ``GET /token?service=S&scope=repository:N:pull,push``
    (scope may repeat) answers ``{"token", "access_token", "expires_in": 300, "issued_at"}``,
    an RS256 JWT with an x5c header (its self-signed signing certificate: `cert`, the registry's
    rootcertbundle). Basic credentials (user, password) get every action requested; a wrong
    password gets 401; no credentials get the `anonymous` actions (None: 401). POST /token with
    an OAuth2 password grant form works as well. Every request is in `requests`."""

    def __init__(self, user: str = USER, password: str = PASSWORD, *,
                 anonymous: Sequence[str] | None = ("pull",), service: str = SERVICE,
                 issuer: str = ISSUER, expires_in: int = 300, dir: Path | None = None) -> None:
        self.user, self.password = user, password
        self.anonymous = None if anonymous is None else tuple(anonymous)
        self.service, self.issuer, self.expires_in = service, issuer, expires_in
        self.requests: list[TokenRequest] = []
        self._own_dir = dir is None
        self.dir = Path(tempfile.mkdtemp(prefix="hutch-reg-token-")) if dir is None else dir
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def start(self) -> TokenServer:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hutch test token signer")])
        cert = (TestCA._builder(name, self._key.public_key()).issuer_name(name)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .sign(self._key, _sha256()))
        self.cert, _ = _write_pair(self.dir, "token-signer", cert, self._key)
        self._x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
        outer = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                outer._answer(self, "GET", url.path, urllib.parse.parse_qs(url.query))

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(n).decode())
                outer._answer(self, "POST", urllib.parse.urlsplit(self.path).path, form)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="hutch-token-server",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> TokenServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def tokens_for(self, scope: str) -> int:
        """How many tokens were granted (status 200) to requests naming `scope` exactly."""
        return sum(1 for r in self.requests if r.status == 200 and scope in r.scopes)

    def _answer(self, h: BaseHTTPRequestHandler, method: str, path: str,
                query: dict[str, list[str]]) -> None:
        user: str | None = None
        given = False
        auth = h.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            given = True
            try:
                u, _, p = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except ValueError:
                u, p = "", ""
            if u == self.user and p == self.password:
                user = u
        elif method == "POST" and query.get("grant_type") == ["password"]:
            given = True
            if query.get("username") == [self.user] and query.get("password") == [self.password]:
                user = self.user
        scopes = [s for v in query.get("scope", []) for s in v.split(" ") if s]
        status = 200 if path == "/token" and (user or (not given and self.anonymous is not None)) else 401
        if path != "/token":
            status = 404
        self.requests.append(TokenRequest(method, path, query, user, user is not None, scopes, status))
        if status != 200:
            _send(h, status, b'{"errors":[{"code":"UNAUTHORIZED","message":"hutch test token server"}]}',
                  {"Content-Type": "application/json"})
            return
        access = []
        for s in scopes:
            typ, _, rest = s.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = [a for a in actions.split(",") if a]
            granted = wanted if user else [a for a in wanted if a in (self.anonymous or ())]
            access.append({"type": typ, "name": name, "actions": granted})
        token = self.sign(sub=user or "", access=access)
        _send(h, 200, json.dumps({"token": token, "access_token": token, "expires_in": self.expires_in,
                                  "issued_at": _now().isoformat()}).encode(),
              {"Content-Type": "application/json"})

    def sign(self, *, sub: str, access: list[dict[str, Any]], expires_in: int | None = None) -> str:
        """A token as this server issues it (tests may forge expired or foreign ones)."""
        import jwt

        now = int(time.time())
        claims = {"iss": self.issuer, "sub": sub, "aud": self.service, "exp": now + (
            self.expires_in if expires_in is None else expires_in), "nbf": now - 10, "iat": now,
            "jti": secrets.token_hex(8), "access": access}
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"x5c": self._x5c})


class _QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30.0

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: Mapping[str, str]) -> None:
    h.send_response(status)
    for k, v in headers.items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(body)


# ---------------------------------------------------------------------------------------------
# the registry


class Registry:
    """Debian's docker-registry on 127.0.0.1 at a free port (see the module's docstring).
    ``with Registry(...) as reg`` or ``reg.start()`` ... ``reg.stop()``."""

    def __init__(self, *, htpasswd: tuple[str, str] | None = None,
                 token: bool | TokenServer = False, tls: bool = False, client_auth: bool = False,
                 config: Mapping[str, Any] | None = None) -> None:
        if htpasswd and token:
            raise ValueError("htpasswd and token auth are exclusive")
        self.htpasswd = htpasswd
        self.tls = tls or client_auth
        self.client_auth = client_auth
        self.extra_config = dict(config or {})
        self.token_server: TokenServer | None = token if isinstance(token, TokenServer) else None
        self._own_token = token is True or (isinstance(token, TokenServer) and not token.port)
        self.port = 0
        self.tmp = Path()
        self.proc: subprocess.Popen[bytes] | None = None
        self.ca: TestCA | None = None
        self.client_cert: Path | None = None
        self.client_key: Path | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    @property
    def storage(self) -> Path:
        return self.tmp / "storage"

    @property
    def log(self) -> Path:
        return self.tmp / "registry.log"

    @property
    def ca_cert(self) -> Path:
        if self.ca is None:
            raise AttributeError("not a TLS registry")
        return self.ca.cert

    @property
    def credentials(self) -> tuple[str, str] | None:
        """(user, password) that this registry (or its token server) accepts, else None."""
        if self.htpasswd:
            return self.htpasswd
        if self.token_server is not None:
            return self.token_server.user, self.token_server.password
        return None

    def start(self) -> Registry:
        self.tmp = Path(tempfile.mkdtemp(prefix="hutch-reg-"))
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self) -> Registry:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start(self) -> None:
        if not os.path.exists(REGISTRY_BIN):
            raise RuntimeError(f"{REGISTRY_BIN} is missing: run scripts/setup.sh (docker-registry)")
        self.storage.mkdir()
        cfg: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "info", "formatter": "text"},
            "storage": {"filesystem": {"rootdirectory": str(self.storage)},
                        "delete": {"enabled": True},
                        "maintenance": {"uploadpurging": {"enabled": False}}},
            "http": {"secret": secrets.token_hex(16), "headers": {"X-Content-Type-Options": ["nosniff"]}},
        }
        if self.htpasswd:
            user, password = self.htpasswd
            out = subprocess.run(["htpasswd", "-Bbn", user, password], capture_output=True, text=True,
                                 check=True).stdout
            (self.tmp / "htpasswd").write_text(out.strip() + "\n")
            cfg["auth"] = {"htpasswd": {"realm": "hutch-test", "path": str(self.tmp / "htpasswd")}}
        if self._own_token:
            if self.token_server is None:
                self.token_server = TokenServer(dir=self.tmp / "token")
            self.token_server.start()
        if self.token_server is not None:
            ts = self.token_server
            cfg["auth"] = {"token": {"realm": ts.url, "service": ts.service, "issuer": ts.issuer,
                                     "rootcertbundle": str(ts.cert)}}
        if self.tls:
            self.ca = TestCA(self.tmp / "ca")
            crt, key = self.ca.issue(self.tmp / "ca", "server")
            cfg["http"]["tls"] = {"certificate": str(crt), "key": str(key)}
            if self.client_auth:
                self.client_cert, self.client_key = self.ca.issue(self.tmp / "ca", "client", server=False)
                cfg["http"]["tls"]["clientcas"] = [str(self.ca.cert)]
        _merge(cfg, self.extra_config)
        for attempt in range(3):
            self.port = free_port()
            cfg["http"]["addr"] = self.host
            (self.tmp / "config.yml").write_text(json.dumps(cfg, indent=1))  # JSON is YAML
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen([REGISTRY_BIN, "serve", str(self.tmp / "config.yml")],
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            if self._wait_ready():
                return
            if attempt < 2 and "address already in use" in self.log_tail():
                self._kill()
                continue
            raise RuntimeError(f"docker-registry did not come up on {self.host}:\n{self.log_tail()}")

    def _wait_ready(self, timeout: float = 20) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                status = self.request("GET", "/v2/", timeout=2)[0]
                if status in (200, 401):
                    return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        return False

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting this registry's CA (with the client certificate for
        mutual TLS)."""
        ctx = ssl.create_default_context(cafile=str(self.ca_cert))
        if self.client_cert and self.client_key:
            ctx.load_cert_chain(str(self.client_cert), str(self.client_key))
        return ctx

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=self.ssl_context())
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method: str, path: str, headers: Mapping[str, str] | None = None,
                body: bytes | None = None, *, auth: bool = False,
                timeout: float = 10) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One raw request straight to the registry: (status, headers, body). With `auth`,
        Basic credentials (htpasswd) or a token for the path's repository (token auth)."""
        hdrs = dict(headers or {})
        if auth and self.htpasswd:
            hdrs["Authorization"] = "Basic " + base64.b64encode(":".join(self.htpasswd).encode()).decode()
        elif auth and self.token_server is not None:
            m = re.match(r"/v2/(.+?)/(?:blobs|manifests|tags)/", path)
            access = [{"type": "repository", "name": m.group(1), "actions": ["pull", "push", "delete"]}] \
                if m else [{"type": "registry", "name": "catalog", "actions": ["*"]}]
            hdrs["Authorization"] = "Bearer " + self.token_server.sign(sub=self.token_server.user,
                                                                       access=access)
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            return r.status, r.headers, r.read()
        finally:
            conn.close()

    def cert_dir(self, dest: Path | None = None) -> Path:
        """A podman/skopeo ``--cert-dir`` directory: ca.crt (+ client.cert, client.key)."""
        dest = dest if dest is not None else self.tmp / "cert-dir"
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.ca_cert, dest / "ca.crt")
        if self.client_cert and self.client_key:
            shutil.copyfile(self.client_cert, dest / "client.cert")
            shutil.copyfile(self.client_key, dest / "client.key")
        return dest

    def certs_d(self, root: Path | None = None) -> Path:
        """A /etc/containers/certs.d-style tree: ROOT/127.0.0.1:PORT/ca.crt (+ client.cert/key).
        Returns ROOT."""
        root = root if root is not None else self.tmp / "certs.d"
        self.cert_dir(root / self.host)
        return root

    def _kill(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        self._kill()
        if self._own_token and self.token_server is not None:
            self.token_server.stop()
        if self.tmp != Path() and self.tmp.name.startswith("hutch-reg-"):
            shutil.rmtree(self.tmp, ignore_errors=True)


def _merge(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for k, v in extra.items():
        if isinstance(v, Mapping) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v


# ---------------------------------------------------------------------------------------------
# the fault-injecting proxy

_BLOB_PATH = re.compile(r"^/v2/(.+)/blobs/([a-z0-9+._-]+:[a-zA-Z0-9=_-]+)$")
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade"}


class Headers(dict[str, str]):
    """Request headers: keys lower-cased; ``h["Range"]``, ``h.get("range")`` both work."""

    def __getitem__(self, k: str) -> str:
        return super().__getitem__(k.lower())

    def __contains__(self, k: object) -> bool:
        return isinstance(k, str) and super().__contains__(k.lower())

    def get(self, k: str, default: Any = None) -> Any:
        return super().get(k.lower(), default)


class ProxyRequest(NamedTuple):
    method: str
    path: str         # the request target as sent: path and ?query
    headers: Headers


@dataclass
class _Rule:
    kind: str                      # corrupt | cut | fail
    match: str                     # digest (corrupt, cut) or path substring (fail)
    times: int | None              # None: every time
    after_bytes: int = 0
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    offset: int | None = None
    reset: bool = False
    stall: float = 0.0


class Proxy:
    """An HTTP/1.1 reverse proxy on 127.0.0.1 in front of a plain-HTTP registry (`upstream`),
    forwarding method, target, headers (Host too, so the registry's upload Locations point
    back at the proxy) and bodies (streamed; chunked request bodies re-chunked), for fault
    tests. Rules apply to the next matching requests (`times`, None: all of them):

    - ``corrupt(digest)``: GET /v2/.../blobs/DIGEST answers with one byte flipped (at `offset`
      of the response body, default its middle), same length;
    - ``cut(digest, after_bytes)``: the next GET of the blob sends the headers and `after_bytes`
      of the body, then closes the connection (``reset=True``: with an RST; ``stall=S``: after
      S seconds of silence). Range requests are passed to the registry as they come;
    - ``fail(path_substring, status)``: answered with `status` (429 gets ``Retry-After: 1``
      unless `headers` say otherwise) without forwarding.

    `requests`: every (method, path, headers) received, in order; `clear()` drops rules and
    requests."""

    def __init__(self, upstream: Registry | str, *, timeout: float = 30) -> None:
        self.upstream_host = upstream.host if isinstance(upstream, Registry) else upstream
        if isinstance(upstream, Registry) and upstream.tls:
            raise ValueError("Proxy forwards to plain-HTTP registries only")
        self.upstream = upstream if isinstance(upstream, Registry) else None
        self.timeout = timeout
        self.requests: list[ProxyRequest] = []
        self.rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def credentials(self) -> tuple[str, str] | None:
        return self.upstream.credentials if self.upstream else None

    tls = False

    def corrupt(self, digest: str, *, times: int | None = None, offset: int | None = None) -> None:
        self._add(_Rule("corrupt", digest, times, offset=offset))

    def cut(self, digest: str, after_bytes: int, *, times: int | None = 1, reset: bool = False,
            stall: float = 0.0) -> None:
        self._add(_Rule("cut", digest, times, after_bytes=after_bytes, reset=reset, stall=stall))

    def fail(self, path_substring: str, status: int, times: int | None = 1, *,
             headers: Mapping[str, str] | None = None, method: str | None = None) -> None:
        hdrs = dict(headers) if headers is not None else ({"Retry-After": "1"} if status == 429 else {})
        self._add(_Rule("fail", path_substring, times, status=status, headers=hdrs, method=method))

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.requests.clear()

    def blob_gets(self, digest: str) -> list[ProxyRequest]:
        """The GET requests seen for blob `digest`."""
        return [r for r in self.requests if r.method == "GET"
                and urllib.parse.urlsplit(r.path).path.endswith("/blobs/" + digest)]

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self.rules.append(rule)

    def _take(self, kinds: tuple[str, ...], method: str, path: str) -> _Rule | None:
        """The first live rule matching this request, its count taken."""
        m = _BLOB_PATH.match(path)
        with self._lock:
            for rule in self.rules:
                if rule.kind not in kinds or rule.times == 0:
                    continue
                if rule.kind == "fail":
                    ok = rule.match in path and (rule.method is None or rule.method == method)
                else:
                    ok = method == "GET" and m is not None and m.group(2) == rule.match
                if ok:
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    def start(self) -> Proxy:
        outer = self

        class Handler(_QuietHandler):
            def setup(self) -> None:
                super().setup()
                self.connection.settimeout(outer.timeout)
                with outer._lock:
                    outer._conns.add(self.connection)

            def finish(self) -> None:
                with contextlib.suppress(OSError):
                    super().finish()
                with outer._lock:
                    outer._conns.discard(self.connection)

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except (OSError, http.client.HTTPException):
                    self.close_connection = True

            def _any(self) -> None:
                outer._handle(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _any

        self._server = _ProxyServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="hutch-reg-proxy",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for s in list(self._conns):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
        self._server = None

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        method, target = h.command, h.path
        path = urllib.parse.urlsplit(target).path
        with self._lock:
            self.requests.append(ProxyRequest(method, target, Headers(
                (k.lower(), v) for k, v in h.headers.items())))
        chunked = "chunked" in h.headers.get("Transfer-Encoding", "").lower()
        length = int(h.headers.get("Content-Length") or 0)
        rule = self._take(("fail",), method, target)
        if rule is not None:
            _drain(h, chunked, length)
            body = json.dumps({"errors": [{"code": "UNAVAILABLE" if rule.status >= 500 else "TOOMANYREQUESTS",
                                           "message": "hutch test proxy: injected failure"}]}).encode()
            _send(h, rule.status, body, {"Content-Type": "application/json", **rule.headers})
            return
        up = http.client.HTTPConnection(self.upstream_host, timeout=self.timeout)
        try:
            up.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for k, v in h.headers.items():
                if k.lower() not in _HOP and k.lower() != "content-length":
                    up.putheader(k, v)
            if chunked:
                up.putheader("Transfer-Encoding", "chunked")
            elif "Content-Length" in h.headers:
                up.putheader("Content-Length", str(length))
            up.endheaders()
            _relay_body(h, up, chunked, length)
            resp = up.getresponse()
            self._respond(h, method, path, resp)
        finally:
            up.close()

    def _respond(self, h: BaseHTTPRequestHandler, method: str, path: str,
                 resp: http.client.HTTPResponse) -> None:
        rule = self._take(("corrupt", "cut"), method, path) if resp.status in (200, 206) else None
        h.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in _HOP:
                h.send_header(k, v)
        length = resp.getheader("Content-Length")
        no_body = method == "HEAD" or resp.status in (204, 304) or resp.status < 200
        chunked_out = not no_body and length is None
        if chunked_out:
            h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        if no_body:
            return
        total = int(length) if length is not None else None
        flip = None
        if rule is not None and rule.kind == "corrupt":
            flip = rule.offset if rule.offset is not None else (total // 2 if total else 0)
        sent = 0
        while True:
            data = resp.read(65536)
            if not data:
                break
            if rule is not None and rule.kind == "cut" and sent + len(data) >= rule.after_bytes:
                h.wfile.write(data[: rule.after_bytes - sent])
                h.wfile.flush()
                self._drop(h, rule)
                return
            if flip is not None and sent <= flip < sent + len(data):
                buf = bytearray(data)
                buf[flip - sent] ^= 0xFF
                data = bytes(buf)
            h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked_out else data)
            sent += len(data)
        if rule is not None and rule.kind == "cut":  # a body shorter than after_bytes
            h.wfile.flush()
            self._drop(h, rule)
            return
        if chunked_out:
            h.wfile.write(b"0\r\n\r\n")

    @staticmethod
    def _drop(h: BaseHTTPRequestHandler, rule: _Rule) -> None:
        if rule.stall:
            time.sleep(rule.stall)
        h.close_connection = True
        sock = h.connection
        if rule.reset:  # close() with a zero linger time sends an RST (see _ProxyServer)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            assert isinstance(h.server, _ProxyServer)
            h.server.resets.add(sock)
        else:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.resets: set[socket.socket] = set()

    def shutdown_request(self, request: Any) -> None:
        """Close a connection to reset without the FIN that shutdown(SHUT_WR) would send first."""
        if request in self.resets:
            self.resets.discard(request)
            self.close_request(request)
        else:
            super().shutdown_request(request)


def _read_chunks(rfile: Any) -> Iterator[bytes]:
    while True:
        line = rfile.readline(1024)
        if not line:
            raise http.client.IncompleteRead(b"")
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return
        data = rfile.read(size)
        rfile.readline(1024)
        yield data


def _relay_body(h: BaseHTTPRequestHandler, up: http.client.HTTPConnection, chunked: bool,
                length: int) -> None:
    if chunked:
        for data in _read_chunks(h.rfile):
            up.send(b"%x\r\n%s\r\n" % (len(data), data))
        up.send(b"0\r\n\r\n")
        return
    while length > 0:
        data = h.rfile.read(min(length, 65536))
        if not data:
            raise http.client.IncompleteRead(b"")
        up.send(data)
        length -= len(data)


def _drain(h: BaseHTTPRequestHandler, chunked: bool, length: int) -> None:
    if chunked:
        for _ in _read_chunks(h.rfile):
            pass
    elif length:
        h.rfile.read(length)


# ---------------------------------------------------------------------------------------------
# images: OCI layouts from a root filesystem

LayerSpec = Sequence[str] | Mapping[str, "bytes | None"]
"""A layer: paths of the rootfs (directories with everything under them, less what an earlier
layer of the image has; their parent directories come along), or a mapping of synthesized
entries: path -> bytes (a regular file, 0644), or None (a whiteout of that path: ``.wh.NAME``;
``"dir/"``: an opaque whiteout, ``dir/.wh..wh..opq``)."""

BUSYBOX_LAYERS: tuple[LayerSpec, ...] = (
    ("bin/busybox",),
    ("bin", "dev", "etc", "home", "proc", "root", "sys", "tmp"),
    {"etc/motd": b"hutch test image\n", "etc/hutch-removed": b"x\n"},
    {"etc/hutch-removed": None},
)
"""The busybox rootfs in 4 layers: busybox itself, the rest, two files, a whiteout of one."""


@dataclass
class OciImage:
    path: Path                # the layout directory
    tag: str
    digest: str               # of the manifest
    manifest: bytes
    config_digest: str
    layers: list[str]         # layer (blob) digests
    diff_ids: list[str]
    platform: dict[str, str]


@dataclass
class OciIndex:
    path: Path
    tag: str
    digest: str               # of the index
    index: bytes
    images: list[OciImage]


def _tar_layer(rootfs: Path, spec: LayerSpec, earlier: set[str]) -> bytes:
    """The layer tar of `spec`; rootfs entries other than directories already in an `earlier`
    layer of the image are left out (and those of this one added to it)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        added: set[str] = set()

        def norm(ti: tarfile.TarInfo) -> tarfile.TarInfo:
            ti.uname = ti.gname = ""
            ti.mtime = 1700000000
            return ti

        def add_parents(rel: str) -> None:
            parts = Path(rel).parts[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in added:
                    added.add(d)
                    src = rootfs / d
                    if src.is_dir():
                        tar.add(src, arcname=d, recursive=False, filter=norm)
                    else:
                        ti = tarfile.TarInfo(d)
                        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                        tar.addfile(norm(ti))

        if isinstance(spec, Mapping):
            for entry, content in spec.items():
                name = entry
                if content is None:
                    name = entry.rstrip("/") + "/.wh..wh..opq" if entry.endswith("/") else \
                        str(Path(entry).parent / (".wh." + Path(entry).name)).removeprefix("./")
                data = content or b""
                add_parents(name)
                ti = tarfile.TarInfo(name)
                ti.size, ti.mode = len(data), 0o644
                tar.addfile(norm(ti), io.BytesIO(data))
            return buf.getvalue()
        for path in spec:
            rel = path.strip("/")
            add_parents(rel)
            src = rootfs / rel
            entries = [src] if src.is_symlink() or not src.is_dir() else \
                [src, *sorted(src.rglob("*"))]
            for e in entries:
                arc = str(e.relative_to(rootfs))
                if arc not in added and arc not in earlier:
                    added.add(arc)
                    if e.is_symlink() or not e.is_dir():
                        earlier.add(arc)
                    tar.add(e, arcname=arc, recursive=False, filter=norm)
    return buf.getvalue()


def _put_blob(layout: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    d = layout / "blobs" / "sha256"
    d.mkdir(parents=True, exist_ok=True)
    (d / digest).write_bytes(data)
    return "sha256:" + digest


def _set_index(layout: Path, desc: dict[str, Any], tag: str) -> None:
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    idx_path = layout / "index.json"
    idx: dict[str, Any] = {"schemaVersion": 2, "manifests": []}
    if idx_path.exists():
        idx = json.loads(idx_path.read_text())
    idx["manifests"] = [m for m in idx["manifests"]
                        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    idx["manifests"].append({**desc, "annotations": {"org.opencontainers.image.ref.name": tag}})
    idx_path.write_text(json.dumps(idx))


def _image_blobs(rootfs: Path, layout: Path, arch: str, variant: str | None,
                 layers: Sequence[LayerSpec] | None, compress: str | None) -> OciImage:
    specs: Sequence[LayerSpec] = layers if layers is not None else (tuple(
        sorted(p.name for p in rootfs.iterdir())),)
    layer_descs: list[dict[str, Any]] = []
    diff_ids: list[str] = []
    earlier: set[str] = set()
    for spec in specs:
        raw = _tar_layer(rootfs, spec, earlier)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        if compress == "gzip":
            data, mt = gzip.compress(raw, mtime=0), MT_LAYER + "+gzip"
        elif compress is None:
            data, mt = raw, MT_LAYER
        else:
            raise ValueError(f"compress: gzip or None, not {compress!r} (skopeo_push converts to zstd)")
        layer_descs.append({"mediaType": mt, "digest": _put_blob(layout, data), "size": len(data)})
    platform = {"architecture": arch, "os": "linux", **({"variant": variant} if variant else {})}
    config = json.dumps({
        **platform, "created": "2026-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "hutch tests/support/registry.py"}
                    for _ in diff_ids],
    }).encode()
    config_digest = _put_blob(layout, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": layer_descs,
    }).encode()
    return OciImage(layout, "", _put_blob(layout, manifest), manifest, config_digest,
                    [d["digest"] for d in layer_descs], diff_ids, platform)


def oci_layout_from_rootfs(rootfs: Path, dest: Path, *, arch: str = "amd64", variant: str | None = None,
                           tag: str = "latest", layers: Sequence[LayerSpec] | None = None,
                           compress: str | None = "gzip") -> OciImage:
    """An OCI image layout at `dest` (created, or added to: one layout may hold several tags)
    of `rootfs`: one layer of all of it by default, or the given `layers` (`LayerSpec`, e.g.
    `BUSYBOX_LAYERS`), gzip-compressed (`compress=None`: plain tar). Cmd ``sh``."""
    img = _image_blobs(Path(rootfs), Path(dest), arch, variant, layers, compress)
    img.tag = tag
    _set_index(Path(dest), {"mediaType": MT_MANIFEST, "digest": img.digest, "size": len(img.manifest)}, tag)
    return img


def oci_index_layout(rootfs: Path, dest: Path, *, tag: str = "latest",
                     platforms: Sequence[tuple[str, str | None]] = (("amd64", None), ("arm64", "v8")),
                     layers: Sequence[LayerSpec] | None = None, compress: str | None = "gzip") -> OciIndex:
    """An OCI layout whose `tag` is an image index of one image per (arch, variant) of
    `platforms`: the same rootfs (`layers`) plus a last layer with ``/arch`` holding the
    architecture's name, so each differs."""
    base = list(layers) if layers is not None else [tuple(sorted(p.name for p in Path(rootfs).iterdir()))]
    images, descs = [], []
    for arch, variant in platforms:
        img = _image_blobs(Path(rootfs), Path(dest), arch, variant, [*base, {"arch": f"{arch}\n".encode()}],
                           compress)
        img.tag = tag
        images.append(img)
        descs.append({"mediaType": MT_MANIFEST, "digest": img.digest, "size": len(img.manifest),
                      "platform": img.platform})
    index = json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": descs}).encode()
    digest = _put_blob(Path(dest), index)
    _set_index(Path(dest), {"mediaType": MT_INDEX, "digest": digest, "size": len(index)}, tag)
    return OciIndex(Path(dest), tag, digest, index, images)


# ---------------------------------------------------------------------------------------------
# skopeo as the independent client

_skopeo_dirs: list[Path] = []


def _skopeo_env() -> dict[str, str]:
    """skopeo isolated from the host's container configuration: a registries.conf of its own
    (no mirrors, no search), no auth file."""
    if not _skopeo_dirs or not _skopeo_dirs[-1].exists():
        import atexit

        _skopeo_dirs.append(Path(tempfile.mkdtemp(prefix="hutch-reg-skopeo-")))
        atexit.register(shutil.rmtree, _skopeo_dirs[-1], True)
    _skopeo_dir = _skopeo_dirs[-1]
    if not (_skopeo_dir / "auth.json").exists():
        (_skopeo_dir / "registries.conf").write_text("unqualified-search-registries = []\n")
        (_skopeo_dir / "auth.json").write_text('{"auths": {}}\n')
    return {**os.environ, "CONTAINERS_REGISTRIES_CONF": str(_skopeo_dir / "registries.conf"),
            "REGISTRY_AUTH_FILE": str(_skopeo_dir / "auth.json"), "TMPDIR": str(_skopeo_dir)}


def _target_flags(prefix: str, reg: Registry | Proxy, creds: tuple[str, str] | bool | None) -> list[str]:
    """skopeo's flags for `reg`: ``--PREFIX-cert-dir`` (TLS) or ``--PREFIX-tls-verify=false``,
    ``--PREFIX-creds`` or ``--PREFIX-no-creds`` (no prefix: inspect's flags)."""
    p = f"--{prefix}-" if prefix else "--"
    flags = [f"{p}cert-dir={reg.cert_dir()}" if isinstance(reg, Registry) and reg.tls
             else f"{p}tls-verify=false"]
    c = reg.credentials if creds is True else creds
    flags += [f"{p}creds={c[0]}:{c[1]}"] if isinstance(c, tuple) else [f"{p}no-creds"]
    return flags


def skopeo(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``skopeo --insecure-policy ARGS`` isolated from the host's configuration; with `check`,
    an AssertionError showing its stderr if it fails."""
    r = subprocess.run(["skopeo", "--insecure-policy", *args], capture_output=True, text=True,
                       env=_skopeo_env(), timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise AssertionError(f"skopeo {' '.join(args)} exited {r.returncode}:\n{r.stderr}{r.stdout}")
    return r


def skopeo_push(src: Path, registry: Registry | Proxy, ref: str, *, compress: str | None = "gzip",
                all: bool = False, src_tag: str | None = None, format: str | None = None,
                creds: tuple[str, str] | bool | None = True, check: bool = True) -> str:
    """``skopeo copy`` of an OCI layout directory (``oci:DIR[:TAG]``) or OCI archive file to
    ``docker://HOST/REF``; returns the pushed manifest's (or, with `all`, index's) digest.
    `compress`: gzip (as the layout has it, or compressed when plain), zstd (recompressed,
    ``+zstd`` media types; but skopeo 1.9 reuses a gzip layer that the registry already has,
    in any repository, instead: push zstd to a fresh registry), None (kept as in the layout:
    ``--preserve-digests``).
    `format`: oci, v2s2. `creds`: True for the registry's own (if any), a pair, or None.
    TLS registries are verified with their CA (`Registry.cert_dir`). With ``check=False`` a
    failure returns "" (the caller may look at nothing else; use `skopeo` for the details)."""
    src = Path(src)
    transport = "oci" if src.is_dir() else "oci-archive"
    tag = src_tag if src_tag is not None else (
        None if src.is_file() or len(json.loads((src / "index.json").read_text())["manifests"]) == 1
        else ref.rpartition(":")[2])
    source = f"{transport}:{src}" + (f":{tag}" if tag else "")
    flags = _target_flags("dest", registry, creds)
    if compress == "zstd":
        flags += ["--dest-compress-format=zstd"]
    elif compress is None:
        flags += ["--preserve-digests"]
    if all:
        flags += ["--all"]
    if format:
        flags += [f"--format={format}"]
    with tempfile.NamedTemporaryFile(prefix="hutch-reg-digest-") as df:
        r = skopeo("copy", "--quiet", f"--digestfile={df.name}", *flags, source,
                   f"docker://{registry.host}/{ref}", check=check)
        if r.returncode != 0:
            return ""
        return Path(df.name).read_text().strip()


def skopeo_inspect_raw(registry: Registry | Proxy, ref: str, *,
                       creds: tuple[str, str] | bool | None = True) -> bytes:
    """The manifest (or index) of ``docker://HOST/REF`` as the registry serves it."""
    r = skopeo("inspect", "--raw", *_target_flags("", registry, creds), f"docker://{registry.host}/{ref}")
    return r.stdout.encode()


# ---------------------------------------------------------------------------------------------
# pytest fixtures


def _need_tools() -> None:
    for tool in (REGISTRY_BIN, "/usr/bin/skopeo", "/usr/bin/htpasswd"):
        if not os.path.exists(tool):
            pytest.skip(f"{tool} is missing: run scripts/setup.sh")


@contextlib.contextmanager
def _running(reg: Registry) -> Iterator[Registry]:
    _need_tools()
    with reg:
        yield reg


@pytest.fixture(scope="session")
def registry() -> Iterator[Registry]:
    """A plain-HTTP, anonymous registry for the whole session."""
    with _running(Registry()) as reg:
        yield reg


@pytest.fixture(scope="session")
def auth_registry() -> Iterator[Registry]:
    """Basic auth (htpasswd): user hutch, password hutchpass."""
    with _running(Registry(htpasswd=(USER, PASSWORD))) as reg:
        yield reg


@pytest.fixture(scope="session")
def token_registry() -> Iterator[Registry]:
    """Bearer tokens from `reg.token_server` (user hutch / hutchpass; anonymous: pull)."""
    with _running(Registry(token=True)) as reg:
        yield reg


@pytest.fixture(scope="session")
def tls_registry() -> Iterator[Registry]:
    """HTTPS with a CA of its own (`reg.ca_cert`, `reg.cert_dir()`, `reg.certs_d()`)."""
    with _running(Registry(tls=True)) as reg:
        yield reg


@pytest.fixture
def fresh_registry() -> Iterator[Registry]:
    """An empty plain-HTTP registry for one test."""
    with _running(Registry()) as reg:
        yield reg


@pytest.fixture
def proxy(registry: Registry) -> Iterator[Proxy]:
    """A fault-injecting `Proxy` in front of the session's plain `registry`, for one test."""
    with Proxy(registry) as p:
        yield p
