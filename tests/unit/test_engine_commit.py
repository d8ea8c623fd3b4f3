"""hutch commit's layer writer and --change parser, and cp's argument split (no containers)."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from hutch.engine.copy import split
from hutch.errors import HutchError
from hutch.image import commit


def test_changes_as_docker() -> None:
    cfg: dict[str, object] = {"Env": ["PATH=/bin", "K=old"], "Cmd": ["sh"]}
    for change in ['CMD ["echo", "hi"]', "ENTRYPOINT /bin/run it", "ENV K=new L=\"two words\"",
                   "env M 3 4", "LABEL a=b c=d", "EXPOSE 80 53/udp", "WORKDIR /w", "USER 1000:1000",
                   "VOLUME /data", "STOPSIGNAL SIGINT"]:
        commit.apply_change(cfg, change)
    assert cfg["Cmd"] == ["echo", "hi"] and cfg["Entrypoint"] == ["/bin/sh", "-c", "/bin/run it"]
    assert cfg["Env"] == ["PATH=/bin", "K=new", "L=two words", "M=3 4"]
    assert cfg["Labels"] == {"a": "b", "c": "d"} and cfg["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert cfg["WorkingDir"] == "/w" and cfg["User"] == "1000:1000" and cfg["Volumes"] == {"/data": {}}
    assert cfg["StopSignal"] == "SIGINT"


@pytest.mark.parametrize("change", ["FROB x", "ENV", "ENV =x", "EXPOSE http", "LABEL 'unclosed", ""])
def test_bad_changes(change: str) -> None:
    with pytest.raises(HutchError):
        commit.apply_change({}, change)


def test_new_config_appends_a_layer_and_history() -> None:
    parent = {"architecture": "amd64", "rootfs": {"type": "layers", "diff_ids": ["sha256:a"]},
              "history": [{"created_by": "import"}], "config": {"Cmd": ["sh"]}, "author": "old"}
    cfg = commit.new_config(parent, "sha256:b", "2026-01-01T00:00:00Z", "sh -c x", "msg", "", ["USER u"])
    assert cfg["rootfs"]["diff_ids"] == ["sha256:a", "sha256:b"] and "author" not in cfg
    want = {"created": "2026-01-01T00:00:00Z", "created_by": "sh -c x", "comment": "msg"}
    assert cfg["history"][-1] == want
    assert cfg["config"] == {"Cmd": ["sh"], "User": "u"} and parent["config"] == {"Cmd": ["sh"]}


@pytest.mark.parametrize(("arg", "want"), [
    ("c:/x", ("c", "/x")), ("/abs:x", (None, "/abs:x")), ("./c:x", (None, "./c:x")),
    ("plain", (None, "plain")), ("c:", ("c", "")),
])
def test_cp_split(arg: str, want: tuple[str | None, str]) -> None:
    assert split(arg) == want


@pytest.mark.root
def test_upper_dir_to_layer(tmp_path: Path) -> None:
    """Whiteouts and opaque directories become OCI entries; overlay xattrs stay behind;
    capabilities (v3 → v2), user xattrs, hard links, symlinks and odd names are kept."""
    up = tmp_path / "upper"
    (up / "opq").mkdir(parents=True)
    os.setxattr(up / "opq", "trusted.overlay.opaque", b"y")
    (up / "opq" / "new").write_text("n")
    os.mknod(up / "gone", stat.S_IFCHR, os.makedev(0, 0))
    (up / "f").write_text("f")
    os.setxattr(up / "f", "trusted.overlay.origin", b"x")
    os.setxattr(up / "f", "user.k", b"\xff\x00v")
    cap_v3 = bytes([0, 0, 0, 3]) + b"\x01" * 16 + b"\x00\x00\x00\x00"
    os.setxattr(up / "f", "security.capability", cap_v3)
    os.link(up / "f", up / "hard")
    os.symlink("/f", up / "sym")
    odd = os.fsencode(str(up)) + b"/odd-\xff"
    with open(odd, "wb") as o:
        o.write(b"o")
    buf = io.BytesIO()
    commit.write_diff(str(up), buf)
    buf.seek(0)
    with tarfile.open(fileobj=buf) as t:
        members = {m.name: m for m in t.getmembers()}
    assert set(members) == {"opq", "opq/.wh..wh..opq", "opq/new", ".wh.gone", "f", "hard", "sym",
                            "odd-\udcff"}
    assert members[".wh.gone"].isfile() and members[".wh.gone"].size == 0
    assert members["hard"].islnk() and members["hard"].linkname == "f"
    assert members["sym"].issym() and members["sym"].linkname == "/f"
    pax = members["f"].pax_headers
    assert "SCHILY.xattr.trusted.overlay.origin" not in pax
    assert pax["SCHILY.xattr.user.k"].encode("utf-8", "surrogateescape") == b"\xff\x00v"
    cap = pax["SCHILY.xattr.security.capability"].encode("utf-8", "surrogateescape")
    assert cap[3] == 2 and len(cap) == 20


@pytest.mark.root
def test_an_upper_dir_with_redirects_is_refused(tmp_path: Path) -> None:
    (tmp_path / "renamed").mkdir()
    os.setxattr(tmp_path / "renamed", "trusted.overlay.redirect", b"/old")
    with pytest.raises(HutchError, match="redirect is on"):
        commit.write_diff(str(tmp_path), io.BytesIO())
