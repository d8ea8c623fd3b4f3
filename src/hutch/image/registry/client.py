"""The distribution API for one repository at one registry (OCI distribution spec v1.1).

    GET/HEAD /v2/<name>/manifests/<tag|digest>     manifests and indexes
    GET/HEAD /v2/<name>/blobs/<digest>              blobs (Range: resumed downloads)
    POST /v2/<name>/blobs/uploads/[?mount=&from=]   start an upload, or mount a blob
    PATCH <location>, PUT <location>?digest=        upload a blob in chunks, finish it
    PUT /v2/<name>/manifests/<tag|digest>           publish a manifest
    GET /v2/<name>/tags/list                        tags (paginated by Link)

Each call authenticates on demand: the first 401 brings the challenge, the Authenticator
gets a token for this repository's scope, and the call is made once more. Errors carry
the registry's own error codes (MANIFEST_UNKNOWN, DENIED...) in one line.
"""

from __future__ import annotations

import json
import urllib.parse

from hutch.errors import HutchError
from hutch.image.registry.errors import NotFound, RegistryError, Unauthorized

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

    from hutch.image.registry.auth import Authenticator
    from hutch.image.registry.transport import Response, Transport

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1 = ("application/vnd.docker.distribution.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v1+prettyjws")
INDEXES = (OCI_INDEX, DOCKER_LIST)
MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)
ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST, *DOCKER_SCHEMA1))


class Repository:
    """``name`` (the path at this registry, ``library/busybox``) on ``host``."""

    def __init__(self, transport: Transport, auth: Authenticator, host: str, name: str) -> None:
        self.transport, self.auth, self.host, self.name = transport, auth, host, name
        self.push = False  # asks for a push scope once set

    @property
    def scope(self) -> str:
        return f"repository:{self.name}:{'pull,push' if self.push else 'pull'}"

    def url(self, path: str) -> str:
        return f"{self.transport.base(self.host)}/v2/{self.name}/{path}"

    def call(self, method: str, url: str, headers: dict[str, str] | None = None,
             body: bytes | IO[bytes] | None = None, retry: bool = True) -> Response:
        """A request with this repository's credentials, answering one challenge."""
        for attempt in range(3):
            h = {**(headers or {}), **self.auth.headers(self.scope)}
            resp = self.transport.request(method, url, h, body, retry=retry)
            if resp.status not in (401, 403) or attempt == 2:
                return resp
            if not self.auth.answer(resp, self.scope):
                return resp
            resp.body(1 << 16)
            if body is not None and not isinstance(body, bytes):
                body.seek(0)
        raise AssertionError("unreachable")

    def check(self, resp: Response, what: str, ok: tuple[int, ...] = (200,)) -> Response:
        """``resp`` if its status is in ``ok``; else a RegistryError naming ``what``."""
        if resp.status in ok:
            return resp
        raise error_of(resp, what)

    # ---- manifests -----------------------------------------------------------------------

    def manifest(self, ref: str) -> tuple[bytes, str, str]:
        """(body, media type, digest header) of the manifest or index ``ref`` (tag or digest)."""
        resp = self.call("GET", self.url(f"manifests/{ref}"), {"Accept": ACCEPT})
        self.check(resp, f"manifest for {self.name}:{ref}" if ":" not in ref else f"manifest {ref}")
        media_type = resp.header("Content-Type").partition(";")[0].strip()
        digest = resp.header("Docker-Content-Digest")
        return resp.body(4 << 20), media_type, digest

    def put_manifest(self, ref: str, data: bytes, media_type: str) -> str:
        resp = self.call("PUT", self.url(f"manifests/{ref}"), {"Content-Type": media_type}, data)
        self.check(resp, f"manifest {self.name}:{ref}", (200, 201, 202))
        resp.body(1 << 16)
        return resp.header("Docker-Content-Digest")

    def tags(self) -> list[str]:
        out: list[str] = []
        url = self.url("tags/list?n=1000")
        while url:
            resp = self.check(self.call("GET", url), f"tags of {self.name}")
            link = resp.header("Link")
            out += json.loads(resp.body()).get("tags") or []
            url = ""
            if link.startswith("<") and 'rel="next"' in link:
                url = urllib.parse.urljoin(resp.url, link[1:link.index(">")])
        return out

    # ---- blobs ---------------------------------------------------------------------------

    def blob(self, digest: str, offset: int = 0) -> Response:
        """A streamed GET of a blob, from ``offset`` (status 206 when the range was
        honoured, 200 when the whole blob comes)."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        resp = self.call("GET", self.url(f"blobs/{digest}"), headers)
        return self.check(resp, f"blob {digest}", (200, 206))

    def has_blob(self, digest: str) -> bool:
        resp = self.call("HEAD", self.url(f"blobs/{digest}"))
        resp.body(0)
        if resp.status in (200, 404):
            return resp.status == 200
        raise error_of(resp, f"blob {digest}")

    def mount(self, digest: str, source: str) -> str:
        """Mount ``digest`` from repository ``source`` of this registry: "" when mounted,
        else the upload location the registry opened instead (it may not have it)."""
        q = urllib.parse.urlencode({"mount": digest, "from": source})
        resp = self.call("POST", self.url(f"blobs/uploads/?{q}"), {"Content-Length": "0"}, b"")
        self.check(resp, f"mount of {digest} from {source}", (201, 202))
        resp.body(1 << 16)
        return "" if resp.status == 201 else urllib.parse.urljoin(resp.url, resp.header("Location"))

    def start_upload(self) -> str:
        resp = self.call("POST", self.url("blobs/uploads/"), {"Content-Length": "0"}, b"")
        self.check(resp, "blob upload", (202,))
        resp.body(1 << 16)
        return urllib.parse.urljoin(resp.url, resp.header("Location"))

    def upload(self, location: str, digest: str, src: IO[bytes], size: int, chunk: int = 0) -> None:
        """Upload ``size`` bytes of ``src`` at ``location``: one PUT (monolithic), or PATCHes
        of ``chunk`` bytes then a closing PUT (chunked)."""
        if chunk and size > chunk:
            offset = 0
            while offset < size:
                data = src.read(min(chunk, size - offset))
                resp = self.call("PATCH", location, {"Content-Type": "application/octet-stream",
                                                     "Content-Range": f"{offset}-{offset + len(data) - 1}",
                                                     "Content-Length": str(len(data))}, data)
                self.check(resp, f"upload of {digest}", (202,))
                resp.body(1 << 16)
                location = urllib.parse.urljoin(resp.url, resp.header("Location") or location)
                offset += len(data)
            put_body: bytes | IO[bytes] = b""
            length = 0
        else:
            put_body, length = src, size
        sep = "&" if "?" in location else "?"
        resp = self.call("PUT", f"{location}{sep}digest={urllib.parse.quote(digest)}",
                         {"Content-Type": "application/octet-stream", "Content-Length": str(length)},
                         put_body)
        self.check(resp, f"upload of {digest}", (201, 204))
        resp.body(1 << 16)


def error_of(resp: Response, what: str) -> RegistryError:
    """A one-line error from a registry's answer, with its error codes (distribution's
    ``{"errors": [{"code", "message", "detail"}]}``)."""
    try:
        body = resp.body(1 << 16)
    except HutchError:
        body = b""
    code, message = "", ""
    try:
        errors = json.loads(body).get("errors") or []
        if errors:
            code = str(errors[0].get("code", ""))
            message = "; ".join(str(e.get("message") or e.get("code", "")).strip() for e in errors)
    except (ValueError, AttributeError):
        pass
    if resp.status == 404 or code in ("MANIFEST_UNKNOWN", "NAME_UNKNOWN", "BLOB_UNKNOWN"):
        return NotFound(f"{what} not found: {code.lower().replace('_', ' ') or 'not found'}"
                        + (f": {message}" if message else ""), resp.status, code)
    if resp.status in (401, 403):
        return Unauthorized(f"{what}: {'denied' if resp.status == 403 else 'unauthorized'}"
                            + (f": {message}" if message else ""), resp.status, code)
    return RegistryError(f"{what}: the registry answered {resp.status} {resp.reason}"
                         + (f": {message}" if message else ""), resp.status, code)
