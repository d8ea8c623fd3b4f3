"""The pure parsers behind `hutch run`'s flags: --ulimit, --env-file, capabilities,
--security-opt, -v and --mount (the containers that use them: tests/integration/test_engine_flags.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hutch.engine import mounts, request, security, specgen
from hutch.errors import InvalidArgument


def test_rlimits() -> None:
    ulimits = request.parse_ulimits(["nofile=10:20", "core=-1", "NPROC=5", "nofile=11:21"])
    out = specgen.rlimits(ulimits, 1000)
    assert out == [{"type": "RLIMIT_NOFILE", "hard": 21, "soft": 11},
                   {"type": "RLIMIT_CORE", "hard": request.RLIM_INFINITY, "soft": request.RLIM_INFINITY},
                   {"type": "RLIMIT_NPROC", "hard": 5, "soft": 5}]
    assert specgen.rlimits([], 7) == [{"type": "RLIMIT_NOFILE", "hard": 7, "soft": 7}]
    for bad in ("nofile", "x=1", "nofile=2:1", "nofile=a", "nofile=-2", "nofile=-1:5"):
        with pytest.raises(InvalidArgument):
            request.parse_ulimits([bad])


def test_env_file(tmp_path: Path) -> None:
    f = tmp_path / "env"
    f.write_bytes(b"\xef\xbb\xbfA=1\n# c\n\n   B= x \nBARE\nC==d\n")  # a BOM, indents, a comment
    assert request.env_file(str(f)) == ["A=1", "B= x ", "BARE", "C==d"]
    f.write_text("B = x\n")
    with pytest.raises(InvalidArgument, match="contains whitespace"):
        request.env_file(str(f))
    f.write_text("=v\n")
    with pytest.raises(InvalidArgument, match="no variable name"):
        request.env_file(str(f))
    f.write_bytes(b"A=\xff\n")
    with pytest.raises(InvalidArgument, match="not UTF-8"):
        request.env_file(str(f))


def test_capabilities() -> None:
    host = security.host_caps()
    base = ["CAP_CHOWN", "CAP_KILL"]
    assert security.capabilities(base, [], [], False) == base
    assert security.capabilities(base, ["net_raw"], ["chown"], False) == ["CAP_KILL", "CAP_NET_RAW"]
    assert security.capabilities(base, ["kill"], ["all"], False) == ["CAP_KILL"]
    assert security.capabilities(base, ["ALL"], ["CAP_KILL"], False) == [c for c in host if c != "CAP_KILL"]
    assert security.capabilities(base, [], [], True) == host
    with pytest.raises(InvalidArgument, match="unknown capability"):
        security.capabilities(base, ["CAP_FLY"], [], False)


def test_security_opts() -> None:
    s = security.parse_security_opts(["no-new-privileges", "seccomp=unconfined", "apparmor=p",
                                      "label=disable"])
    assert s.no_new_privileges and s.seccomp == "unconfined" and s.apparmor == "p" and s.label_disable
    assert not security.parse_security_opts(["no-new-privileges=false"]).no_new_privileges
    assert security.parse_security_opts(["no-new-privileges:true"]).no_new_privileges
    for bad in ("label=user:u", "seccomp", "bogus", "no-new-privileges=2"):
        with pytest.raises(InvalidArgument):
            security.parse_security_opts([bad])


def test_volume_specs() -> None:
    r = mounts.parse_volume("/tmp:/x:ro,rslave")
    assert (r.kind, r.source, r.target, r.readonly, r.propagation) == ("bind", "/tmp", "/x", True, "rslave")
    r = mounts.parse_volume("data:/x/:nocopy")
    assert (r.kind, r.source, r.target, r.nocopy) == ("volume", "data", "/x", True)
    r = mounts.parse_volume("/anon:ro")  # DST:MODE, as moby reads two fields with a mode
    assert (r.kind, r.source, r.target, r.readonly) == ("volume", "", "/anon", True)
    assert mounts.parse_volume("/anon").kind == "volume"
    for bad in ("a:/x", "-x:/y", "n:rel", "n:/", "n:/x:bad", "a:b:c:d", ":/x"):
        with pytest.raises(InvalidArgument):
            mounts.parse_volume(bad)
    with pytest.raises(InvalidArgument, match="the mount path 'relative' must be absolute"):
        mounts.parse_volume("/h:relative")  # (the destination named, not /)
    with pytest.raises(InvalidArgument, match="the destination can't be '/'"):
        mounts.parse_volume("/h:/")
    with pytest.raises(InvalidArgument, match="the mount path 'rel' must be absolute"):
        mounts.parse_tmpfs("rel:size=1m")


def test_idmap_option_and_inspects_host_config() -> None:
    """podman's idmap -v option; HostConfig.Binds (-v with a source, as SRC:DST[:MODES]),
    Mounts (--mount) and Tmpfs (--tmpfs) as docker inspect shows them."""
    assert mounts.parse_volume("/tmp:/x:idmap,ro").idmap and not mounts.parse_volume("/tmp:/x").idmap
    asked = mounts.requests(["/tmp:/a:ro,idmap", "vol:/b", "/anon"], ["type=bind,src=/tmp,dst=/c,ro"],
                            ["/t:size=1m,mode=700"])
    assert [m.flag for m in asked] == ["-v", "-v", "-v", "--mount", "--tmpfs"]
    assert mounts.host_config(asked) == {
        "Binds": ["/tmp:/a:ro,idmap", "vol:/b"],
        "Mounts": [{"Type": "bind", "Source": "/tmp", "Target": "/c", "ReadOnly": True}],
        "Tmpfs": {"/t": "size=1m,mode=700"}}
    assert mounts.host_config([]) == {"Binds": None, "Mounts": None, "Tmpfs": None}


def test_relative_host_paths(tmp_path: Any, monkeypatch: Any) -> None:
    """docker 23+ and podman: -v ./dir:/x (and ../dir, .) is a host path relative to here; a bare
    name stays a volume's."""
    (tmp_path / "dir").mkdir()
    monkeypatch.chdir(tmp_path / "dir")
    r = mounts.parse_volume("./:/x:ro")
    assert (r.kind, r.source, r.readonly) == ("bind", str(tmp_path / "dir"), True)
    assert mounts.parse_volume("../dir:/x").source == str(tmp_path / "dir")
    assert mounts.parse_volume(".:/x").source == str(tmp_path / "dir")
    assert mounts.parse_mount("type=bind,src=.,dst=/x").source == str(tmp_path / "dir")
    assert mounts.parse_volume("dir:/x").kind == "volume"


def test_mount_specs() -> None:
    r = mounts.parse_mount('type=bind,"source=/tmp",target=/x,readonly,bind-propagation=shared')
    assert specgen.oci_mount(r, "/tmp") == {"destination": "/x", "type": "bind", "source": "/tmp",
                             "options": ["rbind", "ro", "shared"]}
    r = mounts.parse_mount("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=0700")
    assert specgen.oci_mount(r)["options"] == ["nosuid", "nodev", "noexec", "size=1048576", "mode=700"]
    r = mounts.parse_mount("dst=/v")  # type defaults to volume; no source: anonymous
    assert (r.kind, r.source) == ("volume", "")
    with pytest.raises(InvalidArgument, match="duplicate mount point"):
        mounts.requests(["/a"], ["type=tmpfs,dst=/a"], [])
