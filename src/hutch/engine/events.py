"""The store's event journal, docker's events: ROOT/events.jsonl, one JSON object a line.

    {"Type": "container", "Action": "die", "Actor": {"ID": "...", "Attributes": {"name": ...,
     "image": ..., "exitCode": "0"}}, "scope": "local", "time": 1796677200, "timeNano": ...}

The engine appends where an event happens (the CLI's verbs, the supervisor when a
container ends); `hutch events` reads it (hutch.engine.eventstream). An append is
cheap and safe with many writers: one open with O_APPEND, one write of one line (kept under
PIPE_BUF, so no two lines interleave), one close; no module is imported but the C JSON
encoder. The file is bounded: a writer that finds it past MAX_BYTES renames it to
events.jsonl.1 (the one older generation kept; the reader reads both) under an flock, so two
writers never rotate twice. A journal that cannot be written never fails the verb.
"""

from __future__ import annotations

import os
import time

from hutch.fastjson import dumps

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

NAME = "events.jsonl"
#: Past this size the journal becomes events.jsonl.1 (which it replaces) and a new one starts.
MAX_BYTES = 4 << 20
#: The longest line written: appends of at most this many bytes never interleave (PIPE_BUF).
MAX_LINE = 4096

CONTAINER, IMAGE, VOLUME, NETWORK = "container", "image", "volume", "network"


def path(root: str) -> str:
    return os.path.join(root, NAME)


def emit(root: str, kind: str, action: str, actor: str, attrs: Mapping[str, object] | None = None) -> None:
    """Append one event (``attrs``: docker's Actor.Attributes; values become strings)."""
    ns = time.time_ns()
    attributes = {k: str(v) for k, v in (attrs or {}).items()}
    doc = {"Type": kind, "Action": action, "Actor": {"ID": actor, "Attributes": attributes},
           "scope": "local", "time": ns // 1_000_000_000, "timeNano": ns}
    line = (dumps(doc) + "\n").encode()
    if len(line) > MAX_LINE:  # (many labels): the names that identify it are kept
        kept = {k: attributes[k][:256] for k in ("name", "image", "exitCode") if k in attributes}
        doc["Actor"] = {"ID": actor, "Attributes": kept}
        line = (dumps(doc) + "\n").encode()
    try:
        fd = os.open(path(root), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        return
    try:
        if os.fstat(fd).st_size >= MAX_BYTES:
            fd = _rotate(root, fd)
        os.write(fd, line)
    except OSError:
        pass
    finally:
        os.close(fd)


def _rotate(root: str, fd: int) -> int:
    """Rename the full journal to events.1 (once, whoever comes first) and open the new one."""
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        st, current = os.fstat(fd), os.stat(path(root))
        if (st.st_ino, st.st_dev) == (current.st_ino, current.st_dev):  # nobody rotated it yet
            os.rename(path(root), path(root) + ".1")
    except FileNotFoundError:
        pass
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    return os.open(path(root), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)


def container(root: str, action: str, record: Mapping[str, object], **extra: object) -> None:
    """A container's event, with docker's attributes: its name, image and labels."""
    labels = record.get("labels")
    attrs: dict[str, object] = dict(labels) if isinstance(labels, dict) else {}
    attrs.update(image=record.get("image", ""), name=record.get("name", ""), **extra)
    emit(root, CONTAINER, action, str(record.get("id", "")), attrs)


def volumes(root: str, action: str, record: Mapping[str, object]) -> None:
    """docker's volume mount (at a start) and unmount (when the container ends) events, one
    for each volume the container uses: the volume's name, the container, for a mount where
    and how."""
    cid, used = str(record.get("id", "")), record.get("volumes")
    for v in used if isinstance(used, list) else []:
        attrs: dict[str, object] = {"container": cid, "driver": "local"}
        if action == "mount":
            attrs.update(destination=v["Destination"], propagation="",
                         **{"read/write": "false" if v.get("ReadOnly") else "true"})
        emit(root, VOLUME, action, str(v["Name"]), attrs)


def image(root: str, action: str, ident: str, name: str = "") -> None:
    """An image's event, as docker logs them: the image (its id or reference) and a name."""
    emit(root, IMAGE, action, ident, {"name": name or ident})


def network(root: str, action: str, net: Mapping[str, object], container: str = "") -> None:
    """A network's event: its id, name and type (and for connect, disconnect: the container)."""
    attrs: dict[str, object] = {"container": container} if container else {}
    attrs.update(name=net["Name"], type=net.get("Driver", "bridge"))
    emit(root, NETWORK, action, str(net["Id"]), attrs)
