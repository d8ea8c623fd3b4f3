"""Small tar archives built in memory, for the tests that feed them to cp, put_archive..."""

from __future__ import annotations

import io
import tarfile


def one_file_tar(name: str, data: bytes) -> bytes:
    """A tar of one regular file ``name`` holding ``data``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()
