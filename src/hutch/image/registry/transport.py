"""HTTP(S) for the registry client: kept-alive connections per host, TLS from certs.d,
plain HTTP where a registry is insecure, redirects, retries with back-off, timeouts.

The standard library's http.client (measured: 52 ms to import with ssl, against 140 for
urllib3): a registry conversation is a few requests and a few large streamed bodies,
which http.client does well; what urllib3 would add (pooling, retries, redirects) is the
small part written here. Threads share a Transport: connections are checked out of the
pool under a lock, one request at a time each.

Which scheme a host speaks: HTTPS, verified against the system's CAs and certs.d. A host
that is insecure (registries.conf, ``--tls-verify=false``, or a loopback address, as
docker treats 127.0.0.0/8) is tried with HTTPS first, unverified, and then with plain
HTTP if the TLS handshake fails; what worked is remembered for the Transport's life.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import urllib.parse

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO

USER_AGENT = "hutch/0.1 (linux)"
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
BLOCK = 1 << 20  # http.client sends a file body in reads of this size (its default: 8 KiB)


class TransportError(HutchError):
    """A request that failed for good: connection refused, timeouts, TLS, retries spent.
    ``retryable``: whether trying again may help (not when nothing listens at the port)."""

    def __init__(self, msg: str, *, retryable: bool = True) -> None:
        super().__init__(msg)
        self.retryable = retryable


class Response:
    """A response whose body is read by the caller (streamed); ``close`` gives the
    connection back to its pool when the body was read to its end."""

    def __init__(self, transport: Transport, key: tuple[str, str], conn: http.client.HTTPConnection,
                 resp: http.client.HTTPResponse, url: str) -> None:
        self._transport, self._key, self._resp = transport, key, resp
        self._conn: http.client.HTTPConnection | None = conn
        self.status = resp.status
        self.reason = resp.reason
        self.headers = resp.headers
        self.url = url

    def header(self, name: str, default: str = "") -> str:
        return str(self.headers.get(name, default))

    def read(self, n: int = -1) -> bytes:
        try:
            return self._resp.read(n) if n >= 0 else self._resp.read()
        except (OSError, http.client.HTTPException) as err:
            self.abort()
            raise TransportError(f"reading {self.url}: {_why(err)}") from err

    def read1(self, n: int) -> bytes:
        """What has arrived, up to ``n`` bytes (one read of the socket at most; b"" at the
        end, or when the peer closed early: the caller counts the bytes)."""
        try:
            return self._resp.read1(n)
        except (OSError, http.client.HTTPException) as err:
            self.abort()
            raise TransportError(f"reading {self.url}: {_why(err)}") from err

    def body(self, limit: int = 8 << 20) -> bytes:
        """The whole body (manifests, configs, errors), at most ``limit`` bytes."""
        data = self.read(limit + 1)
        if len(data) > limit:
            self.abort()
            raise TransportError(f"{self.url}: the response is larger than {limit} bytes")
        self.close()
        return data

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._resp.isclosed():
            self._transport._put(self._key, conn)
        else:
            conn.close()

    def interrupt(self) -> None:
        """From another thread: wake a read blocked on this response's socket (Ctrl-C)."""
        conn = self._conn
        sock = conn.sock if conn is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def abort(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Transport:
    def __init__(self, *, tls_verify: bool | None = None, cert_dir: str | None = None,
                 insecure: Callable[[str], bool] | None = None, timeout: float = 30.0, retries: int = 4,
                 backoff: float = 0.5) -> None:
        """``tls_verify``: True verifies every host (no plain HTTP), False none (plain HTTP
        allowed), None as each host's ``insecure`` says."""
        self.tls_verify, self.cert_dir, self.timeout = tls_verify, cert_dir, timeout
        self.retries, self.backoff = retries, backoff
        self._insecure = insecure or (lambda _host: False)
        self._pool: dict[tuple[str, str], list[http.client.HTTPConnection]] = {}
        self._schemes: dict[str, str] = {}
        self._lock = threading.Lock()

    # ---- which scheme a host speaks ------------------------------------------------------

    def insecure(self, host: str) -> bool:
        if self.tls_verify is not None:
            return not self.tls_verify
        return self._insecure(host)

    def base(self, host: str) -> str:
        """``https://host`` or, for an insecure host that does not speak TLS, ``http://host``."""
        scheme = self._schemes.get(host)
        if scheme is None:
            scheme = "https"
            if self.insecure(host):
                try:
                    self._open("https", host).close()
                except (ssl.SSLError, ConnectionResetError):
                    scheme = "http"
                except OSError:
                    pass  # refused or unreachable: the request says so
            self._schemes[host] = scheme
        return f"{scheme}://{host}"

    def _open(self, scheme: str, host: str) -> http.client.HTTPConnection:
        """A connected connection (TLS handshake done)."""
        conn: http.client.HTTPConnection
        if scheme == "https":
            from hutch.image.registry.certs import tls_context

            ctx = tls_context(host, verify=not self.insecure(host), cert_dir=self.cert_dir)
            conn = http.client.HTTPSConnection(host, timeout=self.timeout, context=ctx, blocksize=BLOCK)
        else:
            conn = http.client.HTTPConnection(host, timeout=self.timeout, blocksize=BLOCK)
        conn.connect()
        if conn.sock is not None:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    # ---- the pool ------------------------------------------------------------------------

    def _get(self, key: tuple[str, str]) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = self._pool.get(key)
            if idle:
                return idle.pop(), True
        return self._open(*key), False

    def _put(self, key: tuple[str, str], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._pool.setdefault(key, []).append(conn)

    def close(self) -> None:
        with self._lock:
            for conns in self._pool.values():
                for c in conns:
                    c.close()
            self._pool.clear()

    # ---- requests ------------------------------------------------------------------------

    def request(self, method: str, url: str, headers: dict[str, str] | None = None,
                body: bytes | IO[bytes] | None = None, *, retry: bool = True) -> Response:
        """One request, following redirects (the Authorization header stays with its host),
        retried on connection errors (not a refused connection, not TLS refusing the peer),
        timeouts, 408, 429 (after its Retry-After) and 5xx, with exponential back-off. A body
        that is a file is rewound for a retry."""
        headers = dict(headers or {})
        headers.setdefault("User-Agent", USER_AGENT)
        start = body.tell() if body is not None and not isinstance(body, bytes) else 0
        attempt = 0
        while True:
            try:
                resp = self._follow(method, url, headers, body)
            except TransportError as err:
                if not retry or not err.retryable or attempt >= self.retries:
                    raise
                resp = None
            if resp is not None and (resp.status not in RETRY_STATUS or not retry or attempt >= self.retries):
                return resp
            delay = self.backoff * (2 ** attempt)
            if resp is not None:
                delay = max(delay, _retry_after(resp.header("Retry-After")))
                resp.body(1 << 16)
            time.sleep(min(delay, 30.0))
            attempt += 1
            if body is not None and not isinstance(body, bytes):
                body.seek(start)

    def _follow(self, method: str, url: str, headers: dict[str, str],
                body: bytes | IO[bytes] | None) -> Response:
        origin = urllib.parse.urlsplit(url).netloc
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._once(method, url, headers, body)
            if resp.status not in (301, 302, 303, 307, 308) or not resp.header("Location"):
                return resp
            resp.body(1 << 16)
            url = urllib.parse.urljoin(url, resp.header("Location"))
            if urllib.parse.urlsplit(url).netloc != origin:  # a CDN: our credentials stay home
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            if resp.status == 303:
                method, body = "GET", None
        raise TransportError(f"{method} {url}: more than {MAX_REDIRECTS} redirects")

    def _once(self, method: str, url: str, headers: dict[str, str],
              body: bytes | IO[bytes] | None) -> Response:
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.netloc)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        for fresh in (False, True):
            try:
                conn, reused = self._get(key) if not fresh else (self._open(*key), False)
            except (OSError, http.client.HTTPException) as err:
                raise TransportError(f"{method} {url}: {_why(err)}", retryable=_retryable(err)) from err
            try:
                conn.request(method, target, body=body, headers=headers)
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                # a kept-alive connection the server closed meanwhile: once more on a new one
                if reused and isinstance(err, (http.client.RemoteDisconnected, ConnectionResetError,
                                               BrokenPipeError)):
                    if body is not None and not isinstance(body, bytes):
                        raise TransportError(f"{method} {url}: {_why(err)}") from err
                    continue
                raise TransportError(f"{method} {url}: {_why(err)}", retryable=_retryable(err)) from err
            return Response(self, key, conn, resp, url)
        raise AssertionError("unreachable")


def _retryable(err: BaseException) -> bool:
    """Whether a failed connection or request may go through if tried again: not when nothing
    listens at the port (docker does not retry that either: a mirror that is down costs
    nothing), nor when TLS refused the peer (an unknown CA, a wrong name, a client certificate
    the server wants, HTTPS to a plain-HTTP port: the same next time), nor for a host name
    that does not exist (EAI_NONAME; a DNS server that did not answer, EAI_AGAIN, is retried)."""
    if isinstance(err, ConnectionRefusedError):
        return False
    if isinstance(err, socket.gaierror):
        return err.errno != socket.EAI_NONAME
    return not isinstance(err, ssl.SSLError) or isinstance(err, ssl.SSLEOFError | ssl.SSLZeroReturnError)


def _retry_after(value: str) -> float:
    """Retry-After in seconds (its HTTP-date form counts as a second)."""
    try:
        return max(0.0, float(value))
    except ValueError:
        return 1.0 if value else 0.0


_TLS_HINTS = {
    "WRONG_VERSION_NUMBER": " (the server does not speak TLS: plain HTTP needs --tls-verify=false "
                            "or insecure = true in registries.conf)",
    "SSLV3_ALERT_BAD_CERTIFICATE": " (the server wants a client certificate, or refused this one: "
                                   "*.cert and *.key in certs.d or --cert-dir)",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": " (the server wants a client certificate: *.cert and *.key "
                                         "in certs.d or --cert-dir)",
}


def _why(err: BaseException) -> str:
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"x509: {err.verify_message or err}"
    if isinstance(err, ssl.SSLError) and err.reason:  # not "[SSL: X] x (_ssl.c:2546)"
        why = "tls: " + err.reason.lower().replace("_", " ")
        return why + _TLS_HINTS.get(err.reason, "")
    if isinstance(err, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower() if err.strerror[0].isupper() else err.strerror
    return str(err) or type(err).__name__
