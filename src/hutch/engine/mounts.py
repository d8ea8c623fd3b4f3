"""`-v`, `--mount` and `--tmpfs` as docker parses them (pure): typed `Mount`s, which the
create request (hutch.engine.request) holds and the spec generator turns into OCI mounts
once volumes are resolved (hutch.engine.volumes).

    -v /host:/dst[:OPTS]     a bind mount (the host path must exist)
    -v NAME:/dst[:OPTS]      a named volume, made on first use
    -v /dst[:OPTS]           an anonymous volume
    --mount type=bind|volume|tmpfs,src=,dst=,readonly,bind-propagation=,tmpfs-size=,tmpfs-mode=
    --tmpfs /dst[:OPTIONS]

OPTS is a comma list of ro, rw, nocopy, z/Z (ignored: no SELinux), a propagation (shared,
slave, private and their r- forms; rprivate by default) and idmap (podman's: with --uidmap, a
host directory seen through the mappings, as volumes always are).
"""

from __future__ import annotations

import os

from hutch.errors import InvalidArgument
from hutch.util.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_NAME_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_NAME_REST = _NAME_FIRST | frozenset("_.-")


def valid_volume_name(name: str) -> bool:
    """docker's rule for a volume's name, ``[a-zA-Z0-9][a-zA-Z0-9_.-]+`` (no ``re``: its import
    is ~5 ms of every `hutch run`)."""
    return len(name) >= 2 and name[0] in _NAME_FIRST and all(c in _NAME_REST for c in name[1:])
PROPAGATIONS = ("shared", "slave", "private", "rshared", "rslave", "rprivate")
_MODES = frozenset({"ro", "rw", "z", "Z", "nocopy", "idmap", *PROPAGATIONS})
_TRUE = {"": True, "true": True, "1": True, "false": False, "0": False}


class Mount(Value):
    """One mount the user asked for (-v, --mount, --tmpfs, an image's volume): ``kind`` is
    bind, volume or tmpfs; ``source`` a host path (bind), a volume name or "" for an
    anonymous volume (volume), unused for tmpfs; ``tmpfs_options`` the tmpfs's own mount
    options (size=, mode=, ro...); ``flag`` the flag that asked for it ("-v", "--mount",
    "--tmpfs"; "" for an image's volume or --volumes-from), for inspect's HostConfig;
    ``idmap`` (podman's -v option) a bind seen through --uidmap's mappings, as volumes are."""

    __slots__ = ("flag", "idmap", "kind", "nocopy", "propagation", "readonly", "recursive", "source",
                 "target", "tmpfs_options")

    def __init__(self, kind: str, source: str, target: str, *, readonly: bool = False,
                 propagation: str = "rprivate", nocopy: bool = False,
                 tmpfs_options: list[str] | None = None, recursive: bool = True, flag: str = "",
                 idmap: bool = False) -> None:
        self.kind, self.source, self.target = kind, source, target
        self.readonly, self.propagation, self.nocopy = readonly, propagation, nocopy
        self.tmpfs_options = tmpfs_options or []
        self.recursive, self.flag, self.idmap = recursive, flag, idmap


def _target(spec: str, dst: str, what: str = "volume") -> str:
    """The destination, normalized: absolute, and not / itself (docker's two messages)."""
    if not dst.startswith("/"):
        raise InvalidArgument(f"invalid {what} {spec!r}: the mount path {dst!r} must be absolute")
    if os.path.normpath(dst) == "/":
        raise InvalidArgument(f"invalid {what} {spec!r}: the destination can't be '/'")
    return os.path.normpath(dst)


def check_volume_name(name: str) -> str:
    if len(name) == 1:  # (docker's words)
        raise InvalidArgument(f"invalid volume name {name!r}: volume name is too short, names should be at "
                              f"least two alphanumeric characters")
    if not valid_volume_name(name):
        raise InvalidArgument(f"invalid volume name {name!r}: use [a-zA-Z0-9][a-zA-Z0-9_.-]+ "
                              f"(or an absolute path for a host directory)")
    return name


def parse_volume(spec: str) -> Mount:
    """One -v value (moby's linux ParseMountRaw)."""
    parts = spec.split(":")
    mode = ""
    if len(parts) == 1:
        src, dst = "", parts[0]
    elif len(parts) == 2 and parts[1] and set(parts[1].split(",")) <= _MODES and parts[0].startswith("/"):
        src, dst, mode = "", parts[0], parts[1]
    elif len(parts) in (2, 3):
        src, dst = parts[0], parts[1]
        mode = parts[2] if len(parts) == 3 else ""
        if not src:
            raise InvalidArgument(f"invalid volume specification {spec!r}: use SRC:DST[:ro]")
    else:
        raise InvalidArgument(f"invalid volume specification {spec!r}: use SRC:DST[:ro]")
    if not dst:
        raise InvalidArgument(f"invalid volume specification {spec!r}: use SRC:DST[:ro]")
    opts = [o for o in mode.split(",") if o] if mode else []
    for o in opts:
        if o not in _MODES:
            raise InvalidArgument(f"invalid volume {spec!r}: mode {o!r} is not ro, rw, nocopy, idmap "
                                  f"or a propagation")
    props = [o for o in opts if o in PROPAGATIONS]
    if len(props) > 1 or ("ro" in opts and "rw" in opts):
        raise InvalidArgument(f"invalid volume {spec!r}: conflicting modes {mode!r}")
    target = _target(spec, dst)
    if src.startswith("."):  # ./dir, ../dir: a host path relative to here, as docker 23+ and podman
        src = os.path.abspath(src)
    if src.startswith("/"):
        if "nocopy" in opts:
            raise InvalidArgument(f"invalid volume {spec!r}: nocopy is for volumes, not host paths")
        if not os.path.exists(src):
            raise InvalidArgument(f"invalid volume {spec!r}: {src} does not exist")
        return Mount("bind", os.path.normpath(src), target, readonly="ro" in opts,
                       propagation=props[0] if props else "rprivate", idmap="idmap" in opts)
    if src:
        check_volume_name(src)
    return Mount("volume", src, target, readonly="ro" in opts, nocopy="nocopy" in opts,
                   propagation=props[0] if props else "rprivate")


def parse_mount(spec: str) -> Mount:
    """One --mount value: docker's csv of key=value fields."""
    import csv  # (only for --mount)

    try:
        [fields] = list(csv.reader([spec])) or [[]]
    except (csv.Error, ValueError):
        raise InvalidArgument(f"invalid --mount {spec!r}: not a comma-separated list of key=value") from None
    kind, source, target = "volume", "", ""
    readonly, nocopy, recursive = False, False, True
    propagation, size, mode = "", "", ""
    for field in fields:
        key, sep, value = field.partition("=")
        key = key.strip().lower()
        if key == "type":
            if value not in ("bind", "volume", "tmpfs"):
                raise InvalidArgument(f"invalid --mount {spec!r}: type {value!r} is not bind, volume "
                                      f"or tmpfs")
            kind = value
        elif key in ("source", "src"):
            source = value
        elif key in ("target", "destination", "dst"):
            target = value
        elif key in ("readonly", "ro", "volume-nocopy", "bind-nonrecursive"):
            flag = _TRUE.get(value.lower() if sep else "")
            if flag is None:
                raise InvalidArgument(f"invalid --mount {spec!r}: {key} takes true or false, not {value!r}")
            if key in ("readonly", "ro"):
                readonly = flag
            elif key == "volume-nocopy":
                nocopy = flag
            else:
                recursive = not flag
        elif key == "bind-propagation":
            if value not in PROPAGATIONS:
                raise InvalidArgument(f"invalid --mount {spec!r}: bind-propagation {value!r} is not one of "
                                      f"{', '.join(PROPAGATIONS)}")
            propagation = value
        elif key == "tmpfs-size":
            size = value
        elif key == "tmpfs-mode":
            mode = value
        elif key == "consistency":
            pass  # docker ignores it on Linux
        elif key == "volume-driver" and value == "local":
            pass
        else:
            raise InvalidArgument(f"invalid --mount {spec!r}: unexpected key {key!r}")
    if not target:
        raise InvalidArgument(f"invalid --mount {spec!r}: target is required")
    target = _target(spec, target, "--mount")
    if propagation and kind != "bind":
        raise InvalidArgument(f"invalid --mount {spec!r}: bind-propagation is only for type=bind")
    if (size or mode) and kind != "tmpfs":
        raise InvalidArgument(f"invalid --mount {spec!r}: tmpfs-size and tmpfs-mode are only for type=tmpfs")
    if kind == "tmpfs":
        if source:
            raise InvalidArgument(f"invalid --mount {spec!r}: a tmpfs has no source")
        options = []
        if size:
            from hutch.util.units import parse_ram

            options.append(f"size={parse_ram(size, 'mount tmpfs-size')}")
        if mode:
            try:
                options.append(f"mode={int(mode, 8):o}")
            except ValueError:
                raise InvalidArgument(f"invalid --mount {spec!r}: tmpfs-mode {mode!r} is not octal") from None
        return Mount("tmpfs", "", target, readonly=readonly,
                       tmpfs_options=[*options, *(["ro"] if readonly else [])])
    if kind == "bind":
        if source.startswith("."):  # relative to here, as docker 23+
            source = os.path.abspath(source)
        if not source.startswith("/"):
            raise InvalidArgument(f"invalid --mount {spec!r}: a bind source must be an absolute path")
        if not os.path.exists(source):
            raise InvalidArgument(f"invalid --mount {spec!r}: bind source path does not exist: {source}")
        return Mount("bind", os.path.normpath(source), target, readonly=readonly,
                       propagation=propagation or "rprivate", recursive=recursive)
    if source:
        check_volume_name(source)
    return Mount("volume", source, target, readonly=readonly, nocopy=nocopy)


def parse_tmpfs(spec: str) -> Mount:
    dst, _, options = spec.partition(":")
    target = _target(spec, dst, "--tmpfs")
    return Mount("tmpfs", "", target, tmpfs_options=[o for o in options.split(",") if o])


def requests(volumes: list[str], mounts: list[str], tmpfs: list[str]) -> list[Mount]:
    """Every -v, --mount and --tmpfs, checked; the same destination twice is an error."""
    out = [*map(parse_volume, volumes), *map(parse_mount, mounts), *map(parse_tmpfs, tmpfs)]
    for r, flag in zip(out, [*(["-v"] * len(volumes)), *(["--mount"] * len(mounts)),
                             *(["--tmpfs"] * len(tmpfs))], strict=True):
        r.flag = flag
    seen: set[str] = set()
    for r in out:
        if r.target in seen:
            raise InvalidArgument(f"duplicate mount point: {r.target}")
        seen.add(r.target)
    return out


def host_config(requested: list[Mount]) -> dict[str, Any]:
    """docker inspect's HostConfig.Binds (the -v ones with a source, as SRC:DST[:MODES]),
    HostConfig.Mounts (the --mount ones) and HostConfig.Tmpfs (the --tmpfs ones)."""
    binds, mounts, tmpfs = [], [], {}
    for m in requested:
        if m.flag == "-v" and m.source:
            modes = [*(["ro"] if m.readonly else []), *(["nocopy"] if m.nocopy else []),
                     *(["idmap"] if m.idmap else []),
                     *([m.propagation] if m.propagation != "rprivate" else [])]
            binds.append(":".join([m.source, m.target, *([",".join(modes)] if modes else [])]))
        elif m.flag == "--mount":
            mounts.append({"Type": m.kind, "Source": m.source, "Target": m.target,
                           **({"ReadOnly": True} if m.readonly else {})})
        elif m.flag == "--tmpfs":
            tmpfs[m.target] = ",".join(m.tmpfs_options)
    return {"Binds": binds or None, "Mounts": mounts or None, "Tmpfs": tmpfs or None}
