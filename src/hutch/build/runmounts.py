"""``RUN --mount=...``: what a RUN step sees besides its image, buildkit's four kinds.

    --mount=type=bind,source=PATH,target=DIR[,rw]   a file or directory of the build context
                                                   (read-only: buildkit discards a rw mount's
                                                   writes; hutch refuses rw rather than write
                                                   into the context)
    --mount=type=cache,target=DIR[,id=ID][,uid=,gid=,mode=]
                                                   a directory kept between builds (ROOT/
                                                   build-mounts/ID hashed), shared by every
                                                   RUN that names the same id (the target by
                                                   default): package caches
    --mount=type=tmpfs,target=DIR[,size=BYTES]      an empty tmpfs
    --mount=type=secret,id=ID[,target=PATH][,required]
                                                   `hutch build --secret id=ID,src=FILE` (or
                                                   env=VAR), read-only at /run/secrets/ID

None of them is in the step's layer: they are mounts, and the mount points the runtime made for
them in the container's upper directory are removed before the layer is written
(`unmade_mountpoints`). A bind's content is in the step's cache key (its digest); a cache's,
a tmpfs's and a secret's are not, as buildkit.
"""

from __future__ import annotations

import hashlib
import os
import posixpath

from hutch.errors import InvalidArgument
from hutch.util.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

KINDS = ("bind", "cache", "tmpfs", "secret")


class RunMount(Value):
    """One --mount of a RUN: ``kind``, ``target`` (absolute), ``source`` (a bind's, in the
    context), ``ident`` (a cache's or a secret's id), ``size`` (a tmpfs's, bytes or 0),
    ``uid``/``gid``/``mode`` (a new cache directory's), ``required`` (a secret's)."""

    __slots__ = ("gid", "ident", "kind", "mode", "required", "size", "source", "target", "uid")

    def __init__(self, kind: str, target: str, *, source: str = "", ident: str = "", size: int = 0,
                 uid: int = 0, gid: int = 0, mode: int = 0o755, required: bool = False) -> None:
        self.kind, self.target, self.source, self.ident, self.size = kind, target, source, ident, size
        self.uid, self.gid, self.mode, self.required = uid, gid, mode, required


def parse(spec: str, workdir: str = "/") -> RunMount:
    """One ``--mount`` value (buildkit's csv of key=value; a relative target is the WORKDIR's)."""
    fields: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if key in ("ro", "readonly", "rw", "readwrite", "required"):
            fields[key] = value if sep else "true"
        elif not sep:
            raise InvalidArgument(f"invalid field '{part}' must be a key=value pair")
        else:
            fields[{"dst": "target", "destination": "target", "src": "source"}.get(key, key)] = value
    kind = fields.pop("type", "bind")
    if kind not in KINDS:
        raise InvalidArgument(f"unsupported mount type {kind!r}: use bind, cache, tmpfs or secret")
    ident = fields.pop("id", "")
    target = fields.pop("target", "")
    if kind == "secret":
        if not ident:
            ident = posixpath.basename(target) if target else ""
        if not ident:
            raise InvalidArgument("a secret mount needs an id (id=...)")
        target = target or f"/run/secrets/{ident}"
    if not target:
        raise InvalidArgument(f"--mount {spec!r}: a target is required")
    target = posixpath.normpath(posixpath.join(workdir or "/", target))
    if target == "/":
        raise InvalidArgument(f"--mount {spec!r}: the target cannot be /")
    if fields.pop("from", ""):
        raise InvalidArgument(f"--mount {spec!r}: from= (a stage or an image) is not supported by hutch "
                              f"build")
    if kind == "bind" and fields.get("rw", fields.get("readwrite", "false")) in ("true", "1"):
        raise InvalidArgument(f"--mount {spec!r}: a writable bind is not supported by hutch build (its "
                              f"writes would reach the build context)")
    numbers = {}
    for key, base in (("uid", 10), ("gid", 10), ("mode", 8), ("size", 10)):
        if key in fields:
            try:
                numbers[key] = int(fields.pop(key), base)
            except ValueError:
                raise InvalidArgument(f"--mount {spec!r}: {key} is not a number") from None
    for key in ("ro", "readonly", "rw", "readwrite", "sharing"):
        fields.pop(key, None)
    required = fields.pop("required", "false") in ("true", "1")
    source = fields.pop("source", "")
    if fields:
        raise InvalidArgument(f"--mount {spec!r}: unexpected key {next(iter(fields))!r}")
    return RunMount(kind, target, source=source or ("." if kind == "bind" else ""), ident=ident or target,
                    size=numbers.get("size", 0), uid=numbers.get("uid", 0), gid=numbers.get("gid", 0),
                    mode=numbers.get("mode", 0o755), required=required)


def engine_flags(mounts: list[RunMount], *, context: str, cache_root: str,
                 secrets: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The step container's ``--mount`` and ``--tmpfs`` values for these mounts (the cache
    directories made, as the mount asks: owner and mode); a missing required secret is an
    error, a missing optional one no mount."""
    binds, tmpfs = [], []
    for m in mounts:
        if m.kind == "tmpfs":
            tmpfs.append(m.target + (f":size={m.size}" if m.size else ""))
        elif m.kind == "bind":
            source = _in_context(context, m.source)
            binds.append(f"type=bind,src={source},dst={m.target},readonly")
        elif m.kind == "cache":
            path = os.path.join(cache_root, hashlib.sha256(m.ident.encode()).hexdigest()[:24])
            if not os.path.isdir(path):
                os.makedirs(path, exist_ok=True)
                os.chown(path, m.uid, m.gid)
                os.chmod(path, m.mode)
            binds.append(f"type=bind,src={path},dst={m.target}")
        else:  # secret
            source = secrets.get(m.ident, "")
            if not source:
                if m.required:
                    raise InvalidArgument(f"secret {m.ident} not found: give it with --secret "
                                          f"id={m.ident},src=FILE")
                continue
            binds.append(f"type=bind,src={source},dst={m.target},readonly")
    return binds, tmpfs


def bind_digest(context: str, source: str) -> str:
    """The digest of a bind mount's source in the context (the RUN's cache key has it)."""
    from hutch.build import copylayer

    _in_context(context, source)  # (there, and in it: else the RUN's own words)
    return copylayer.digest(context, [posixpath.normpath("/" + source).lstrip("/") or "."])


def _in_context(context: str, source: str) -> str:
    """A bind's source: a path of the context, never outside it (symlinks resolved)."""
    top = os.path.realpath(context)  # (a source with .. is clamped at the context's root, as COPY's)
    path = os.path.realpath(os.path.join(top, posixpath.normpath("/" + source).lstrip("/")))
    if path != top and not path.startswith(top + "/"):
        raise InvalidArgument(f"bind source {source!r} is outside the build context")
    if not os.path.exists(path):
        raise InvalidArgument(f"bind source {source!r}: not found in the build context")
    return path


def unmade_mountpoints(upper: str, mounts: list[RunMount], exists: Callable[[str], bool]) -> None:
    """Remove from a step container's ``upper`` the empty mount points the runtime made for
    ``mounts`` (and the empty directories made only to hold them): what ``exists`` (the image
    below) lacks and the command left empty."""
    for m in mounts:
        path = m.target
        while path != "/":
            here = upper + path
            if exists(path) or not os.path.lexists(here):
                break
            try:
                if os.path.isdir(here) and not os.path.islink(here):
                    os.rmdir(here)  # (only an empty one)
                elif os.path.getsize(here) == 0 and path == m.target:
                    os.unlink(here)
                else:
                    break
            except OSError:
                break
            path = posixpath.dirname(path)
