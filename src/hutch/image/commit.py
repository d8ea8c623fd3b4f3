"""`hutch commit`'s image side: a container's overlayfs upper directory as an OCI layer, and
the new image's config (the parent's, with ``--change`` instructions applied).

The layer is an uncompressed tar, as every layer of this store is (import and load store
them so too): its blob digest is its diff id, so one hash serves both, `save` writes it
as it is, a lost snapshot can be unpacked again from the diff ids alone, and no CPU goes to
gzip on a 2-core machine. docker keeps layers uncompressed locally too and compresses on push.

overlayfs upper directory → OCI layer (what moby's overlay2 driver does):
- a 0:0 character device NAME (a whiteout) → an empty file ``.wh.NAME``;
- a directory with ``trusted.overlay.opaque=y`` → the directory, then ``DIR/.wh..wh..opq``;
- ``trusted.overlay.*`` xattrs are never copied; ``security.capability`` is (a v3 capability
  written as v2, as moby does: a namespaced root uid means nothing outside it) and so are
  ``user.*`` xattrs (as containers/storage does); an upper directory with overlayfs redirects
  or metacopy files (mount options hutch does not use) is refused, not misread;
- hard links inside the layer stay hard links; symlinks are stored, never followed; modes,
  numeric owners and mtimes are kept; sockets are skipped (moby skips them too).
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import tarfile

from hutch.errors import HutchError
from hutch.image.unpack import OPAQUE, WHITEOUT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

_CAP = "security.capability"
_VFS_CAP_REVISION_3 = 3
_XATTR_CAPS_SZ_2 = 20
# a renamed lower directory, or a copied-up file whose data stayed below: moby's overlay2 falls
# back to a full-tree diff for these; hutch's mounts leave both off (the kernel default here)
_UNSUPPORTED = ("trusted.overlay.redirect", "trusted.overlay.metacopy")


class ChangeError(HutchError):
    pass


def _xattrs(path: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return out
    for name in names:
        if name in _UNSUPPORTED:
            raise HutchError(f"{path}: overlayfs {name.rpartition('.')[2]} is on (the mount's redirect_dir "
                             "or metacopy option): such an upper directory is not a layer by itself")
        if name != _CAP and not name.startswith("user."):
            continue
        try:
            value = os.getxattr(path, name, follow_symlinks=False)
        except OSError:
            continue
        if name == _CAP and len(value) > 3 and value[3] == _VFS_CAP_REVISION_3:
            value = value[:3] + bytes([2]) + value[4:_XATTR_CAPS_SZ_2]
        out[name] = value
    return out


def _is_opaque(path: str) -> bool:
    try:
        return os.getxattr(path, "trusted.overlay.opaque", follow_symlinks=False) == b"y"
    except OSError:
        return False


def write_diff(upper: str, out: IO[bytes]) -> None:
    """Write the overlayfs upper directory ``upper`` to ``out`` as an OCI layer tar."""
    links: dict[tuple[int, int], str] = {}
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _walk(tar, upper, "", links)


def _walk(tar: tarfile.TarFile, top: str, rel: str, links: dict[tuple[int, int], str]) -> None:
    for name in sorted(os.listdir(os.path.join(top, rel) if rel else top)):
        arc = f"{rel}/{name}" if rel else name
        path = os.path.join(top, arc)
        st = os.lstat(path)
        if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
            _add_empty(tar, _sibling(arc, WHITEOUT + name), 0o600, st)
            continue
        if stat.S_ISSOCK(st.st_mode):
            continue
        ti = tarfile.TarInfo(arc)
        ti.mode = stat.S_IMODE(st.st_mode)
        ti.uid, ti.gid = st.st_uid, st.st_gid
        ti.mtime = int(st.st_mtime)
        # a value that is not UTF-8 makes tarfile write hdrcharset=BINARY (its bytes kept)
        ti.pax_headers = {"SCHILY.xattr." + k: v.decode("utf-8", "surrogateescape")
                          for k, v in _xattrs(path).items()}
        if stat.S_ISDIR(st.st_mode):
            ti.type = tarfile.DIRTYPE
            tar.addfile(ti)
            if _is_opaque(path):
                _add_empty(tar, f"{arc}/{OPAQUE}", stat.S_IMODE(st.st_mode) & 0o777, st)
            _walk(tar, top, arc, links)
        elif stat.S_ISLNK(st.st_mode):
            ti.type, ti.linkname = tarfile.SYMTYPE, os.readlink(path)
            tar.addfile(ti)
        elif stat.S_ISREG(st.st_mode):
            inode = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and inode in links:
                ti.type, ti.linkname = tarfile.LNKTYPE, links[inode]
                tar.addfile(ti)
                continue
            links[inode] = arc
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as f:
                ti.size = os.fstat(f.fileno()).st_size
                tar.addfile(ti, f)
        elif stat.S_ISFIFO(st.st_mode):
            ti.type = tarfile.FIFOTYPE
            tar.addfile(ti)
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            ti.type = tarfile.CHRTYPE if stat.S_ISCHR(st.st_mode) else tarfile.BLKTYPE
            ti.devmajor, ti.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
            tar.addfile(ti)


def _sibling(arc: str, name: str) -> str:
    parent = arc.rpartition("/")[0]
    return f"{parent}/{name}" if parent else name


def _add_empty(tar: tarfile.TarFile, name: str, mode: int, st: os.stat_result) -> None:
    """An empty regular file: a whiteout (mode 0600, as moby) or an opaque marker (its
    directory's mode and owner)."""
    ti = tarfile.TarInfo(name)
    ti.mode, ti.uid, ti.gid, ti.mtime = mode, st.st_uid, st.st_gid, int(st.st_mtime)
    tar.addfile(ti)


# ---- --change ---------------------------------------------------------------------------

CHANGES = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "ONBUILD", "STOPSIGNAL", "USER",
           "VOLUME", "WORKDIR")


def _json_or_shell(rest: str) -> list[str]:
    """A Dockerfile exec form (``["a", "b"]``) or shell form (``a b`` → /bin/sh -c)."""
    if rest.startswith("["):
        try:
            value = json.loads(rest)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
    return ["/bin/sh", "-c", rest]


def _healthcheck(change: str, rest: str) -> dict[str, Any]:
    """``HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D] [--retries=N] CMD ...``
    or ``HEALTHCHECK NONE``: the image config's Healthcheck (durations in nanoseconds)."""
    from hutch.errors import HutchError
    from hutch.util.duration import parse_duration

    words = rest.split(" ")
    check: dict[str, Any] = {}
    while words and words[0].startswith("--"):
        flag, _, value = words.pop(0).partition("=")
        key = {"--interval": "Interval", "--timeout": "Timeout", "--start-period": "StartPeriod",
               "--retries": "Retries"}.get(flag)
        try:
            if key is None:
                raise ValueError(f"unknown flag {flag}")
            check[key] = int(value) if key == "Retries" else parse_duration(value, flag)
        except (ValueError, HutchError) as err:
            raise ChangeError(f"--change {change!r}: {err}") from None
    kind, _, command = " ".join(words).strip().partition(" ")
    if kind.upper() == "NONE" and not command:
        return {"Test": ["NONE"]}
    if kind.upper() != "CMD" or not command.strip():
        raise ChangeError(f"--change {change!r}: HEALTHCHECK needs CMD and a command, or NONE")
    form = _json_or_shell(command.strip())
    test = ["CMD", *form] if command.strip().startswith("[") and form[:2] != ["/bin/sh", "-c"] \
        else ["CMD-SHELL", command.strip()]
    return {"Test": test, **check}


def _pairs(instr: str, rest: str) -> list[tuple[str, str]]:
    """``K=V K2="v 2"`` pairs, or the legacy ``K V`` form of ENV and LABEL."""
    try:
        words = shlex.split(rest)
    except ValueError as err:
        raise ChangeError(f"--change {instr} {rest}: {err}") from err
    if words and "=" not in words[0]:
        if len(words) < 2:
            raise ChangeError(f"--change {instr} {rest}: needs KEY=VALUE")
        return [(words[0], rest.split(None, 1)[1])]
    out = []
    for w in words:
        key, eq, value = w.partition("=")
        if not eq or not key:
            raise ChangeError(f"--change {instr} {rest}: {w!r} is not KEY=VALUE")
        out.append((key, value))
    return out


def apply_change(config: dict[str, Any], change: str) -> None:
    """Apply one Dockerfile instruction (docker commit's ``--change``) to an image's
    ``config`` section, in place."""
    instr, _, rest = change.strip().partition(" ")
    instr, rest = instr.upper(), rest.strip()
    if instr not in CHANGES:
        raise ChangeError(f"--change {change!r}: {instr or 'an empty instruction'} is not one of "
                          f"{', '.join(CHANGES)}")
    if not rest:
        raise ChangeError(f"--change {change!r}: {instr} needs an argument")
    if instr == "CMD":
        config["Cmd"] = _json_or_shell(rest)
    elif instr == "ENTRYPOINT":
        config["Entrypoint"] = _json_or_shell(rest)
    elif instr == "ENV":
        env = [e for e in config.get("Env") or []]
        for key, value in _pairs(instr, rest):
            env = [e for e in env if e.partition("=")[0] != key] + [f"{key}={value}"]
        config["Env"] = env
    elif instr == "LABEL":
        config["Labels"] = {**(config.get("Labels") or {}), **dict(_pairs(instr, rest))}
    elif instr == "EXPOSE":
        ports = dict(config.get("ExposedPorts") or {})
        for p in rest.split():
            port, _, proto = p.partition("/")
            if not port.replace("-", "").isdigit() or proto not in ("", "tcp", "udp", "sctp"):
                raise ChangeError(f"--change {change!r}: invalid port {p!r}")
            ports[f"{port}/{proto or 'tcp'}"] = {}
        config["ExposedPorts"] = ports
    elif instr == "VOLUME":
        volumes = dict(config.get("Volumes") or {})
        for v in _json_or_shell(rest) if rest.startswith("[") else rest.split():
            volumes[v] = {}
        config["Volumes"] = volumes
    elif instr == "HEALTHCHECK":
        config["Healthcheck"] = _healthcheck(change, rest)
    elif instr == "ONBUILD":
        config["OnBuild"] = [*(config.get("OnBuild") or []), rest]
    else:
        config[{"USER": "User", "WORKDIR": "WorkingDir", "STOPSIGNAL": "StopSignal"}[instr]] = rest


def new_config(parent: dict[str, Any], diff_id: str, created: str, created_by: str,
               comment: str = "", author: str = "", changes: list[str] | None = None) -> dict[str, Any]:
    """The committed image's config: the parent's, one more diff id and history entry."""
    config: dict[str, Any] = json.loads(json.dumps(parent))
    inner = dict(config.get("config") or {})
    for change in changes or []:
        apply_change(inner, change)
    config["config"] = inner
    config["created"] = created
    if author:
        config["author"] = author
    else:
        config.pop("author", None)
    diff_ids = [*config.get("rootfs", {}).get("diff_ids", []), diff_id]
    config["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    entry: dict[str, Any] = {"created": created, "created_by": created_by}
    if author:
        entry["author"] = author
    if comment:
        entry["comment"] = comment
    config["history"] = [*config.get("history", []), entry]
    return config
