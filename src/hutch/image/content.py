"""A content-addressed blob store (OCI image layout's ``blobs/sha256/<hex>``).

Every blob is written to a temporary file in the store's ``ingest/`` directory, hashed as
it streams, checked against the digest the caller expects (if any), fsync'd and renamed
into place: a blob under ``blobs/`` is always complete and matches its name. A failed
write leaves nothing behind.
"""

from __future__ import annotations

import os

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, BinaryIO

    from hutch.image.compression import Reader

CHUNK = 1 << 20
_HEX = frozenset("0123456789abcdef")


class DigestError(HutchError):
    def __init__(self, message: str, actual: str = "") -> None:
        super().__init__(message)
        self.actual = actual  # a content's digest, when it is not the one expected


def check_digest(digest: str) -> str:
    """The hex part of a ``sha256:<64 hex>`` digest; DigestError for anything else."""
    algo, _, hexpart = digest.partition(":")
    if algo != "sha256" or len(hexpart) != 64 or not set(hexpart) <= _HEX:
        raise DigestError(f"invalid digest {digest!r} (want sha256:<64 lowercase hex digits>)")
    return hexpart


def sha256_of(data: bytes) -> str:
    if len(data) < 1 << 20:  # manifests and configs: CPython's own sha256, imported in
        import _sha256  # type: ignore[import-not-found]  # ~0.1 ms where hashlib's OpenSSL takes ~4 ms

        return "sha256:" + str(_sha256.sha256(data).hexdigest())
    from hashlib import sha256

    return "sha256:" + sha256(data).hexdigest()


class Hashing:
    """Reads ``src``, hashing what it reads (``digest``: what was read so far)."""

    def __init__(self, src: Any) -> None:
        from hashlib import sha256

        self.src, self.h = src, sha256()

    def read(self, n: int = -1) -> bytes:
        data: bytes = self.src.read(n)
        self.h.update(data)
        return data

    @property
    def digest(self) -> str:
        return "sha256:" + self.h.hexdigest()


class _HashingWriter:
    """Writes to ``dst``, hashing and counting what it writes (tarfile's tell() included)."""

    def __init__(self, dst: Any, h: Any) -> None:
        self.dst, self.h, self.size = dst, h, 0

    def write(self, data: bytes) -> int:
        self.h.update(data)
        self.size += len(data)
        return int(self.dst.write(data))

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self.dst.flush()


class Counting:
    """Reads ``src``, telling ``seen`` the bytes read so far (when ``every`` more bytes
    have been read, and at the end); rewinds with it (an upload that is retried)."""

    def __init__(self, src: Any, seen: Callable[[int], None], every: int = 0) -> None:
        self.src, self.seen, self.every, self.n, self.told = src, seen, every, 0, 0

    def read(self, n: int = -1) -> bytes:
        data: bytes = self.src.read(n)
        self.n += len(data)
        if self.n - self.told >= self.every or not data:
            self.told = self.n
            self.seen(self.n)
        return data

    def seek(self, pos: int, whence: int = 0) -> int:
        self.n = self.told = int(self.src.seek(pos, whence))
        return self.n

    def tell(self) -> int:
        return int(self.src.tell())


class ContentStore:
    def __init__(self, root: str) -> None:
        self.root = root
        self.blobs = os.path.join(root, "blobs", "sha256")
        self.ingest_dir = os.path.join(root, "ingest")

    def path(self, digest: str) -> str:
        return os.path.join(self.blobs, check_digest(digest))

    def has(self, digest: str) -> bool:
        return os.path.isfile(self.path(digest))

    def read(self, digest: str) -> bytes:
        """A blob's bytes, verified again (a store on disk can rot)."""
        try:
            with open(self.path(digest), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise DigestError(f"blob {digest} is not in the store") from None
        if sha256_of(data) != digest:
            raise DigestError(f"blob {digest} in {self.blobs} does not match its digest")
        return data

    def put(self, data: bytes, expected: str | None = None) -> str:
        import io

        return self.ingest(io.BytesIO(data), expected)[0]

    def ingest_written(self, write: Callable[[BinaryIO], None],
                       expected: str | None = None) -> tuple[str, int]:
        """A blob that ``write(file)`` writes (a layer's tar as it is made: a commit's, a
        build step's; a download's bytes), hashed as it is written, then synced and renamed
        in; (digest, size). With ``expected``, a mismatch is a DigestError; on any error
        nothing is kept."""
        from hashlib import sha256

        if expected is not None:
            check_digest(expected)
        os.makedirs(self.blobs, exist_ok=True)
        os.makedirs(self.ingest_dir, exist_ok=True)
        tmp = os.path.join(self.ingest_dir, f"tmp-{os.urandom(8).hex()}")
        try:
            with open(tmp, "xb") as raw:
                out = _HashingWriter(raw, sha256())
                write(out)  # type: ignore[arg-type]
                raw.flush()
                os.fsync(raw.fileno())
            digest = "sha256:" + out.h.hexdigest()
            if expected is not None and digest != expected:
                raise DigestError(f"content is {digest}, expected {expected}", digest)
            os.replace(tmp, self.path(digest))
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return digest, out.size

    def ingest(self, src: BinaryIO | Reader, expected: str | None = None) -> tuple[str, int]:
        """Stream ``src`` into the store; (digest, size). With ``expected``, a mismatch is
        a DigestError and nothing is kept."""

        def copy(out: BinaryIO) -> None:
            while chunk := src.read(CHUNK):
                out.write(chunk)

        return self.ingest_written(copy, expected)

    def delete(self, digest: str) -> None:
        try:
            os.unlink(self.path(digest))
        except FileNotFoundError:
            pass
