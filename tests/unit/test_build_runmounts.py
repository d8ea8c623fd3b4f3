"""hutch.build.runmounts: RUN --mount's values (buildkit's), their engine flags, the mount
points taken out of a step's upper directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hutch.build import runmounts
from hutch.build.runmounts import RunMount
from hutch.errors import HutchError


def test_parse_as_buildkit() -> None:
    assert runmounts.parse("type=cache,target=/root/.cache,id=pip,uid=1000,mode=0700") == RunMount(
        "cache", "/root/.cache", source="", ident="pip", uid=1000, mode=0o700)
    assert runmounts.parse("target=src,source=app", "/work") == RunMount(
        "bind", "/work/src", source="app", ident="/work/src")  # (bind by default; the WORKDIR's)
    assert runmounts.parse("type=secret,id=tok").target == "/run/secrets/tok"
    assert runmounts.parse("type=secret,target=/etc/key").ident == "key"
    assert runmounts.parse("type=tmpfs,dst=/t,size=1024").size == 1024
    assert runmounts.parse("type=secret,id=s,required").required
    for bad, words in (("type=nfs,target=/x", "unsupported mount type"),
                       ("type=cache", "a target is required"), ("target=/x,rw", "a writable bind"),
                       ("type=cache,target=/x,from=stage", "from="),
                       ("type=cache,target=/x,uid=me", "uid is not a number"),
                       ("target=/x,color=red", "color"), ("target=/x,oops", "key=value pair"),
                       ("type=cache,target=/", "cannot be /")):
        with pytest.raises(HutchError, match=words):
            runmounts.parse(bad)


def test_engine_flags(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    (ctx / "data").mkdir(parents=True)
    os.symlink("/etc", ctx / "out")
    secret = tmp_path / "s"
    secret.write_text("x")
    mounts = [runmounts.parse(m) for m in ("source=data,target=/d", "type=cache,target=/c,uid=7,mode=0700",
                                          "type=tmpfs,target=/t,size=64", "type=secret,id=s",
                                          "type=secret,id=absent")]
    binds, tmpfs = runmounts.engine_flags(mounts, context=str(ctx), cache_root=str(tmp_path / "caches"),
                                          secrets={"s": str(secret)})
    [cache] = os.listdir(tmp_path / "caches")
    st = os.stat(tmp_path / "caches" / cache)
    assert (st.st_uid, st.st_mode & 0o777) == (7, 0o700)
    assert binds == [f"type=bind,src={ctx}/data,dst=/d,readonly",
                     f"type=bind,src={tmp_path}/caches/{cache},dst=/c",
                     f"type=bind,src={secret},dst=/run/secrets/s,readonly"]  # (no absent optional one)
    assert tmpfs == ["/t:size=64"]
    with pytest.raises(HutchError, match="outside the build context"):  # (a symlink cannot lead out)
        runmounts.engine_flags([runmounts.parse("source=out,target=/o")], context=str(ctx), cache_root="/x",
                               secrets={})


def test_unmade_mountpoints(tmp_path: Path) -> None:
    upper = tmp_path / "upper"
    (upper / "run/secrets").mkdir(parents=True)
    (upper / "run/secrets/tok").write_text("")
    (upper / "cache").mkdir()
    (upper / "keep").mkdir()
    (upper / "keep/mnt").mkdir()
    (upper / "keep/file").write_text("made by the command")
    mounts = [runmounts.parse(m) for m in ("type=secret,id=tok", "type=cache,target=/cache",
                                          "type=tmpfs,target=/keep/mnt", "type=tmpfs,target=/run/gone")]
    runmounts.unmade_mountpoints(str(upper), mounts, lambda p: p == "/run")  # (/run: the image's)
    assert sorted(str(p.relative_to(upper)) for p in upper.rglob("*")) == ["keep", "keep/file", "run"]
