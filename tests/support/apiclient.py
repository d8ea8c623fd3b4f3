"""The Python API's test client: a store of the test's own (under its tmp_path), a runroot
of its own, the test image imported as box:1; at the end every container removed, unused
networks pruned, and nothing of theirs left (tests.support.leaks)."""

from __future__ import annotations

import secrets
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path

import hutch
from tests.support.leaks import find_leaks


def api_client(tmp_path: Path, rootfs_template: Path, prefix: str) -> Iterator[hutch.Client]:
    """For a fixture to ``yield from``: ``prefix`` names the runroot (/run/hutch-PREFIX-XXXX)."""
    runroot = f"/run/hutch-{prefix}-{secrets.token_hex(4)}"
    c = hutch.from_env(root=str(tmp_path / "store"), runroot=runroot)
    tarball = tmp_path / "rootfs.tar"
    with tarfile.open(tarball, "w") as t:
        t.add(rootfs_template, arcname=".")
    c.images.import_tarball(tarball, "box:1")
    try:
        yield c
    finally:
        ids = [x.id for x in c.containers.list(all=True)]
        for x in c.containers.list(all=True):
            x.remove(force=True, missing_ok=True)
        c.networks.prune()
        leaks = find_leaks(ids, markers=[str(tmp_path / "store")])
        shutil.rmtree(runroot, ignore_errors=True)
        assert not leaks, leaks
