"""What a container takes from others and from the host beyond its own root, at create and
at start: --volumes-from's mounts and --ipc/--pid container:X's namespaces (another
container's), --ipc shareable's /dev/shm (a tmpfs of the engine's that joiners bind, as
docker's), and --uidmap's root (the image's layers idmapped, hutch.snapshot.idmapped).

What these mount is unmounted by the one teardown (hutch.engine.teardown).
"""

from __future__ import annotations

import os

from hutch.engine import model
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.layout import Layout
    from hutch.engine.operations import Operations
    from hutch.engine.request import CreateRequest


def resolve_others(eng: Operations, req: CreateRequest) -> None:
    """The containers that --ipc/--pid container:X and --volumes-from name: they exist
    (X by its id from now on; an IPC namespace only if X's is shareable, as docker's), and
    --volumes-from's mounts (binds and volumes, not tmpfs) are added to ``req``'s where it
    has none of its own (mode ro or rw, else each as X has it)."""
    from hutch.engine.mounts import Mount

    for kind in ("ipc", "pid"):
        mode = str(getattr(req.host, kind))
        if mode.startswith("container:"):
            other = eng.find(mode.partition(":")[2])
            theirs = str(other.get("config", {}).get("ipc", "private"))
            if kind == "ipc" and theirs not in ("shareable", "host"):
                raise HutchError("non-shareable IPC (hint: use IpcMode:shareable for the donor "
                                 "container)")
            setattr(req.host, kind, f"container:{other['id']}")
    taken = {m.target for m in req.mounts}
    for ref, mode in req.host.volumes_from:
        other = eng.find(ref)
        try:
            with open(eng.layout(other["id"]).config) as f:
                from hutch.fastjson import loads

                theirs_cfg: Any = loads(f.read())
        except OSError as err:
            raise HutchError(f"--volumes-from {ref}: {err.strerror or err}") from err
        vols = {str(v["Destination"]): str(v["Name"]) for v in other.get("volumes") or []}
        for m in theirs_cfg.get("mounts", []):
            dest = str(m.get("destination", ""))
            if m.get("type") != "bind" or dest in taken or dest in _NOT_VOLUMES:
                continue
            opts = m.get("options") or []
            ro = mode == "ro" or (not mode and "ro" in opts)
            if dest in vols:
                req.mounts.append(Mount("volume", vols[dest], dest, readonly=ro, nocopy=True))
            else:
                req.mounts.append(Mount("bind", str(m["source"]), dest, readonly=ro,
                                        recursive="rbind" in opts))
            taken.add(dest)


def join_running(eng: Operations, config: dict[str, Any], other: str, kind: str, word: str) -> dict[str, Any]:
    """config.json's ``kind`` namespace (ipc, pid, network) made container ``other``'s, the one
    of its init; ``other``'s record. It must run: else docker's "cannot join WORD of a non
    running container"."""
    target = eng.store.load(other)
    if target is None or target["state"]["status"] not in model.LIVE or not target["state"].get("pid"):
        name = target["name"] if target else other[:12]
        raise HutchError(f"cannot join {word} of a non running container: {name}")
    for ns in config["linux"]["namespaces"]:
        if ns["type"] == kind:
            ns["path"] = f"/proc/{target['state']['pid']}/ns/{'net' if kind == 'network' else kind}"
    return target


def join_namespaces(eng: Operations, lay: Layout, cfg: dict[str, Any]) -> None:
    """--ipc/--pid container:X at start: X must run (else docker's error, which the start
    gives as its failure); config.json names its namespaces (/proc/PID/ns/ipc, pid of its
    init), and /dev/shm is X's (--ipc)."""
    from hutch.fastjson import dumps, loads
    from hutch.util import atomic

    with open(lay.config) as f:
        config: Any = loads(f.read())
    for kind, word in (("ipc", "IPC"), ("pid", "PID")):
        mode = str(cfg.get(kind, ""))
        if not mode.startswith("container:"):
            continue
        other = mode.partition(":")[2]
        target = join_running(eng, config, other, kind, word)
        if kind == "ipc":  # (X's /dev/shm: its own tmpfs, or with --ipc host the host's)
            shm = "/dev/shm" if target.get("config", {}).get("ipc") == "host" else eng.layout(other).shm
            for m in config["mounts"]:
                if m["destination"] == "/dev/shm":
                    m.update(type="bind", source=shm, options=["rbind", "nosuid", "noexec", "nodev"])
    atomic.write(lay.config, dumps(config).encode(), 0o666)


def _idmapped_sources(lay: Layout) -> list[tuple[str, str]]:
    from hutch.engine.specgen import idmapped_sources
    from hutch.fastjson import loads

    with open(lay.config) as f:
        config: Any = loads(f.read())
    return idmapped_sources(config)


def mount_idmapped(lay: Layout, lowers: list[str], uidmap: list[list[int]], gidmap: list[list[int]]) -> None:
    """--uidmap/--gidmap's root: the overlay of the image's layers (and the init layer) idmapped
    (hutch.snapshot.idmapped), its upper and work directories the mapped root's; and the
    volumes (and idmap binds) idmapped where config.json binds them from (hutch.engine.specgen)."""
    from hutch.snapshot import idmapped
    from hutch.snapshot.overlay import Overlay

    if lay.overlay(lowers).mounted():
        return
    path = os.path.dirname(lay.merged)
    while path != "/":  # the mapped root (nobody's on the host) must reach its root
        if not os.stat(path).st_mode & 0o001:
            raise HutchError(f"--uidmap: the container's root is out of the mapped root's reach: {path} "
                             f"is not searchable by others (chmod o+x, as for podman's storage)")
        path = os.path.dirname(path)
    idmapped.unmount_layers(lay.idmap)  # (a previous start's, if its teardown was cut short)
    try:
        nsfd = idmapped.userns_fd(uidmap, gidmap)
        try:
            mapped = idmapped.mount_layers([*lowers, lay.init], lay.idmap, nsfd)
            idmapped.mount_mapped(_idmapped_sources(lay), lay.idmap, nsfd)
        finally:
            os.close(nsfd)
        uid = next((h for c, h, _n in uidmap if c == 0), 0)
        gid = next((h for c, h, _n in gidmap if c == 0), 0)
        for d in (lay.upper, lay.work):
            os.chown(d, uid, gid)
    except OSError as err:
        idmapped.unmount_layers(lay.idmap)
        raise HutchError(f"cannot map the image's layers for --uidmap: {err.strerror or err}") from err
    Overlay(mapped, lay.upper, lay.work, lay.merged, "").mount()


def mount_shm(path: str, size: int) -> None:
    """--ipc shareable's /dev/shm: a tmpfs of the engine's, which --ipc container:X binds too
    (docker's way: the mount of another container's namespace cannot be bound)."""
    from hutch._sys.consts import MS_NODEV, MS_NOEXEC, MS_NOSUID
    from hutch._sys.mount import mount

    with open("/proc/self/mountinfo") as f:
        if any(line.split()[4] == path for line in f):
            return
    os.makedirs(path, exist_ok=True)
    try:
        mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"mode=1777,size={size or 64 << 20}")
    except OSError as err:
        raise HutchError(f"cannot mount the container's /dev/shm: {err.strerror}") from err


#: the mounts of every container, not --volumes-from's to take
_NOT_VOLUMES = frozenset(("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
                          "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/sbin/docker-init"))
