"""The exit statuses of containers removed as they ended (``--rm``, docker-py's auto_remove), kept
a while so that a `wait` that comes too late still gets the status, not "No such container"
(`containers.run(detach=True, auto_remove=True).wait()`, `run -d --rm` then `wait`).

One small file per container under ROOT/exits, written by the supervisor once the container is
removed, read by `wait` when the record is gone; any older than `KEEP` seconds go at the next
write. A file lost to a kill -9 only makes a late `wait` docker's "No such container" again.
"""

from __future__ import annotations

import os
import time

#: how long a removed container's status is kept
KEEP = 600.0


def _dir(root: str) -> str:
    return os.path.join(root, "exits")


def remember(root: str, cid: str, code: int) -> None:
    """Keep ``code`` for ``cid``; forget those older than KEEP."""
    where = _dir(root)
    os.makedirs(where, exist_ok=True)
    with open(os.path.join(where, cid), "w") as f:
        f.write(str(code))
    old = time.time() - KEEP
    for name in os.listdir(where):
        try:
            if os.stat(os.path.join(where, name)).st_mtime < old:
                os.unlink(os.path.join(where, name))
        except FileNotFoundError:
            continue


def recall(root: str, cid: str) -> int | None:
    """The kept status of the removed ``cid``, None if there is none."""
    try:
        with open(os.path.join(_dir(root), cid)) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None
