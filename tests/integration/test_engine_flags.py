# ruff: noqa: F811  (the imported `hutch` fixture is every test's parameter)
"""`hutch run`'s flags that shape the OCI config, on real containers, checked from inside:
--env-file, --ulimit, --cap-add/--cap-drop, --privileged, --security-opt, --init, --label,
--label-file, --mount, named and anonymous volumes (and `hutch volume`), user names.

Each bad value gives one line on stderr, exit status 125, and leaves no container and no
volume behind.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_engine import HUTCH, Hutch, _import, hutch  # noqa: F401

pytestmark = pytest.mark.root

DEFAULT_CAPS = 0xA80425FB  # docker's 14


def _status(text: str, key: str) -> str:
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {key} in {text!r}")


def _host_capbnd() -> int:
    with open("/proc/self/status") as f:
        return int(_status(f.read(), "CapBnd"), 16)


def _volumes(h: Hutch) -> list[str]:
    d = h.root / "volumes"
    return sorted(n for n in os.listdir(d) if n != "lock") if d.exists() else []


def _nothing_left(h: Hutch, volumes_before: list[str] | None = None) -> None:
    assert h("ps", "-a", "-q").stdout == ""
    cdir = h.root / "containers"
    assert not cdir.exists() or os.listdir(cdir) in ([], ["lock"])
    assert _volumes(h) == (volumes_before or [])


def _bad(h: Hutch, args: list[str], words: str, *, rm: bool = True) -> None:
    """`run [--rm] ARGS` refused: docker's usage status (125), one line naming ``words``, no
    traceback, nothing left."""
    before = _volumes(h)
    r = h("run", *(["--rm"] if rm else []), *args, check=False)
    assert r.returncode == 125 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r
    assert "Traceback" not in r.stderr
    _nothing_left(h, before)


def _image(h: Hutch, ref: str, changes: dict[str, Any], files: dict[str, bytes] | None = None) -> None:
    """An image of the test rootfs with config ``changes`` (and ``files`` replaced or added)."""
    from hutch.image.store import ImageStore

    src = Path(h.tarball)  # type: ignore[attr-defined]
    data = io.BytesIO()
    files = files or {}
    with tarfile.open(src) as old, tarfile.open(fileobj=data, mode="w") as new:
        for m in old.getmembers():
            if m.name.removeprefix("./") not in files:
                new.addfile(m, old.extractfile(m) if m.isfile() else None)
        for name, body in files.items():
            ti = tarfile.TarInfo("./" + name)
            ti.size = len(body)
            new.addfile(ti, io.BytesIO(body))
    data.seek(0)
    ImageStore(str(h.root / "images")).import_rootfs(data, ref, changes)


# ---- --env-file ---------------------------------------------------------------------------


def test_env_file(hutch: Hutch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _import(hutch)
    monkeypatch.setenv("HUTCH_T_HOST", "from-the-host")
    monkeypatch.delenv("HUTCH_T_UNSET", raising=False)
    f = tmp_path / "env"
    f.write_text("# a comment\n\n  A=1\nB= two words \nC=\"quoted\"\nHUTCH_T_HOST\nHUTCH_T_UNSET\nD=file\n")
    r = hutch("run", "--rm", "--env-file", str(f), "-e", "D=cli", "hbox:1", "env")
    env = dict(line.split("=", 1) for line in r.stdout.splitlines())
    assert env["A"] == "1" and env["B"] == " two words " and env["C"] == '"quoted"', env
    assert env["HUTCH_T_HOST"] == "from-the-host" and "HUTCH_T_UNSET" not in env
    assert env["D"] == "cli"  # -e wins over the file


def test_bad_env_file(hutch: Hutch, tmp_path: Path) -> None:
    _import(hutch)
    _bad(hutch, ["--env-file", str(tmp_path / "nosuch"), "hbox:1", "true"], "No such file")
    bad = tmp_path / "bad"
    bad.write_text("GOOD=1\nBAD KEY=2\n")
    _bad(hutch, ["--env-file", str(bad), "hbox:1", "true"], "contains whitespace")


# ---- --ulimit -----------------------------------------------------------------------------


def test_ulimit(hutch: Hutch) -> None:
    _import(hutch)
    r = hutch("run", "--rm", "--ulimit", "nofile=1024:2048", "--ulimit", "NPROC=500:600",
              "--ulimit", "core=-1", "--ulimit", "memlock=65536", "--ulimit", "stack=4194304:-1",
              "hbox:1", "sh", "-c",
              "ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu; ulimit -c; ulimit -Hc; ulimit -l; ulimit -Hl; "
              "ulimit -s; ulimit -Hs")
    assert r.stdout.split() == ["1024", "2048", "500", "600", "unlimited", "unlimited", "64", "64",
                                "4096", "unlimited"], r.stdout


@pytest.mark.parametrize(("value", "words"), [
    ("nofile", "use TYPE=SOFT[:HARD]"),
    ("bogus=1", "use TYPE=SOFT[:HARD]"),
    ("nofile=2048:1024", "soft limit must be at most the hard limit"),
    ("nofile=many", "must be integers"),
    ("nofile=-5", "-1 for unlimited"),
])
def test_bad_ulimit(hutch: Hutch, value: str, words: str) -> None:
    _import(hutch)
    _bad(hutch, ["--ulimit", value, "hbox:1", "true"], words)


# ---- capabilities, --privileged, --security-opt ------------------------------------------


def _caps(h: Hutch, *flags: str) -> int:
    r = h("run", "--rm", *flags, "hbox:1", "cat", "/proc/self/status")
    eff, bnd = _status(r.stdout, "CapEff"), _status(r.stdout, "CapBnd")
    assert eff == bnd, r.stdout
    return int(eff, 16)


def test_cap_add_and_drop(hutch: Hutch) -> None:
    _import(hutch)
    assert _caps(hutch) == DEFAULT_CAPS
    assert _caps(hutch, "--cap-add", "net_admin", "--cap-drop", "CAP_chown") == (DEFAULT_CAPS | 1 << 12) & ~1
    assert _caps(hutch, "--cap-drop", "ALL", "--cap-add", "Kill") == 1 << 5
    assert _caps(hutch, "--cap-add", "all", "--cap-drop", "sys_admin") == _host_capbnd() & ~(1 << 21)
    assert _caps(hutch, "--cap-drop", "all") == 0


@pytest.mark.parametrize(("flags", "words"), [
    (["--cap-add", "CAP_NOSUCH"], "--cap-add 'CAP_NOSUCH': unknown capability"),
    (["--cap-drop", "bogus"], "--cap-drop 'bogus': unknown capability"),
])
def test_bad_capabilities(hutch: Hutch, flags: list[str], words: str) -> None:
    _import(hutch)
    _bad(hutch, [*flags, "hbox:1", "true"], words)


def test_a_capability_the_host_lacks(hutch: Hutch) -> None:
    if _host_capbnd() >> 24 & 1:
        pytest.skip("this host's bounding set has CAP_SYS_RESOURCE")
    _import(hutch)
    _bad(hutch, ["--cap-add", "sys_resource", "hbox:1", "true"], "bounding set lacks it")


def test_privileged(hutch: Hutch) -> None:
    _import(hutch)
    script = ("cat /proc/self/status; "
              "grep -E ' /(sys|proc/kcore|proc/sys|sys/fs/cgroup) ' /proc/self/mountinfo; ls /dev; "
              " cat /sys/fs/cgroup/devices/devices.list 2>/dev/null; true")
    r = hutch("run", "--rm", "--privileged", "hbox:1", "sh", "-c", script)
    assert int(_status(r.stdout, "CapEff"), 16) == _host_capbnd()
    assert _status(r.stdout, "Seccomp") == "0"
    mounts = [line.split() for line in r.stdout.splitlines() if " - " in line]
    assert not any(m[4] in ("/proc/kcore", "/proc/sys") for m in mounts), mounts  # nothing masked or ro
    sys_mount = next(m for m in mounts if m[4] == "/sys")
    assert sys_mount[5].split(",")[0] == "rw", sys_mount
    names = set(r.stdout.split())
    host_devices = {n for n in ("kmsg", "loop-control", "fuse", "kvm") if os.path.exists(f"/dev/{n}")}
    assert host_devices and host_devices <= names, names  # the host's devices
    if os.path.exists("/sys/fs/cgroup/devices"):
        assert "a *:* rwm" in r.stdout
    # without it: none of that
    r = hutch("run", "--rm", "hbox:1", "sh", "-c", "grep Seccomp: /proc/self/status; ls /dev")
    assert "Seccomp:\t2" in r.stdout and "kmsg" not in r.stdout


def test_security_opts(hutch: Hutch, tmp_path: Path) -> None:
    _import(hutch)

    def status(*opts: str) -> str:
        return hutch("run", "--rm", *(f"--security-opt={o}" for o in opts), "hbox:1", "cat",
                     "/proc/self/status").stdout

    default = status()
    assert _status(default, "Seccomp") == "2" and _status(default, "NoNewPrivs") == "0"
    assert _status(status("seccomp=unconfined"), "Seccomp") == "0"
    assert _status(status("no-new-privileges"), "NoNewPrivs") == "1"
    assert _status(status("no-new-privileges=true"), "NoNewPrivs") == "1"
    assert _status(status("no-new-privileges:true"), "NoNewPrivs") == "1"
    assert _status(status("no-new-privileges=false"), "NoNewPrivs") == "0"
    assert _status(status("apparmor=unconfined", "label=disable"), "Seccomp") == "2"
    # a profile of one's own (docker's format): mkdir fails with EPERM, the rest is allowed
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
    }))
    r = hutch("run", "--rm", "--security-opt", f"seccomp={profile}", "hbox:1", "sh", "-c",
              "grep Seccomp: /proc/self/status; mkdir /tmp/x && echo made || echo refused")
    assert r.stdout.split() == ["Seccomp:", "2", "refused"], r
    # systempaths=unconfined: nothing masked
    r = hutch("run", "--rm", "--security-opt", "systempaths=unconfined", "hbox:1", "sh", "-c",
              "grep -c ' /proc/kcore ' /proc/self/mountinfo", check=False)
    assert r.stdout.strip() == "0", r


@pytest.mark.parametrize(("opt", "words"), [
    ("label=type:container_t", "SELinux labels are not supported"),
    ("label", "invalid --security-opt 'label'"),
    ("bogus=1", "invalid --security-opt 'bogus=1'"),
    ("no-new-privileges=maybe", "takes true or false"),
    ("seccomp=/nonexistent-hutch.json", "No such file"),
])
def test_bad_security_opts(hutch: Hutch, opt: str, words: str) -> None:
    _import(hutch)
    _bad(hutch, ["--security-opt", opt, "hbox:1", "true"], words)


def test_bad_seccomp_profile_and_missing_lsm(hutch: Hutch, tmp_path: Path) -> None:
    _import(hutch)
    notjson = tmp_path / "p.json"
    notjson.write_text("{nope")
    _bad(hutch, ["--security-opt", f"seccomp={notjson}", "hbox:1", "true"], "not JSON")
    notjson.write_text("[]")
    _bad(hutch, ["--security-opt", f"seccomp={notjson}", "hbox:1", "true"], "not a seccomp profile")
    if os.path.exists("/sys/kernel/security/apparmor"):
        pytest.skip("this host has AppArmor")
    r = hutch("run", "--rm", "--security-opt", "apparmor=hutch-profile", "hbox:1", "true", check=False)
    assert r.returncode == 125 and "AppArmor" in r.stderr and "Traceback" not in r.stderr, r
    _nothing_left(hutch)


# ---- --init -------------------------------------------------------------------------------


@pytest.mark.parametrize("read_only", [False, True])
def test_init(hutch: Hutch, read_only: bool) -> None:
    _import(hutch)
    r = hutch("run", "--rm", "--init", *(["--read-only"] if read_only else []), "hbox:1", "sh", "-c",
              "tr '\\0' ' ' < /proc/1/cmdline; echo; echo me=$$ parent=$PPID; "
              "grep ' /sbin/docker-init ' /proc/self/mountinfo | cut -d' ' -f6")
    lines = r.stdout.splitlines()
    assert lines[0].startswith("/sbin/docker-init -- sh -c"), r.stdout
    me = lines[1].split()
    assert me[0] != "me=1" and me[1] == "parent=1", r.stdout  # the command is the init's child
    assert lines[2].startswith("ro"), r.stdout
    # exit status and signals pass through the init
    assert hutch("run", "--rm", "--init", "hbox:1", "sh", "-c", "exit 9", check=False).returncode == 9


# ---- labels, and the image config in inspect ---------------------------------------------


def test_labels_and_inspect_config(hutch: Hutch, tmp_path: Path) -> None:
    _image(hutch, "hlab:1", {"Labels": {"from.image": "img", "over": "image"},
                             "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}}})
    lf = tmp_path / "labels"
    lf.write_text("# labels\nfile.label=f\nover=file\nbare\n")
    hutch("run", "--name", "hutch-labelled", "--label", "cli=1", "-l", "over=cli", "--label-file", str(lf),
          "hlab:1", "true")
    [doc] = json.loads(hutch("inspect", "hutch-labelled").stdout)
    assert doc["Config"]["Labels"] == {"from.image": "img", "over": "cli", "file.label": "f", "bare": "",
                                       "cli": "1"}
    assert doc["Config"]["ExposedPorts"] == {"80/tcp": {}}
    assert doc["Config"]["Volumes"] == {"/data": {}}
    [vol] = [m for m in doc["Mounts"] if m["Destination"] == "/data"]
    assert vol["Type"] == "volume" and len(vol["Name"]) == 64 and vol["RW"]
    record = json.loads((hutch.root / "containers" / doc["Id"] / "container.json").read_text())
    assert record["labels"]["cli"] == "1" and record["volumes"][0]["Anonymous"] is True
    hutch("rm", "-v", "hutch-labelled")
    assert _volumes(hutch) == []


# ---- --mount and volumes -----------------------------------------------------------------


def _mountinfo(text: str) -> dict[str, list[str]]:
    return {line.split()[4]: line.split() for line in text.splitlines() if " - " in line}


def test_mount_flag(hutch: Hutch, tmp_path: Path) -> None:
    _import(hutch)
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("bound\n")
    r = hutch("run", "--rm",
              "--mount", f"type=bind,source={src},target=/b,readonly",
              "--mount", f"type=bind,src={src},dst=/b2,bind-propagation=rslave",
              "--mount", "type=tmpfs,destination=/t,tmpfs-size=2m,tmpfs-mode=1770",
              "--mount", "type=volume,src=hutch-mvol,dst=/v",
              "--mount", "type=volume,dst=/anon,ro=true",
              "hbox:1", "sh", "-c", "cat /b/f; echo x > /b/x || echo ro-refused; cat /proc/self/mountinfo")
    assert r.stdout.startswith("bound\nro-refused\n"), r
    mi = _mountinfo(r.stdout)
    assert mi["/b"][5].startswith("ro") and mi["/b2"][5].startswith("rw")
    assert "size=2048k" in mi["/t"][-1] and "mode=1770" in mi["/t"][-1], mi["/t"]
    assert "hutch-mvol/_data" in mi["/v"][3] and mi["/anon"][5].startswith("ro")
    assert _volumes(hutch) == ["hutch-mvol"]  # the anonymous one went with --rm
    hutch("run", "--name", "hutch-prop", "--mount", f"type=bind,src={src},dst=/b2,bind-propagation=rslave",
          "--mount", f"type=bind,src={src},dst=/b3,bind-nonrecursive", "hbox:1", "true")
    [doc] = json.loads(hutch("inspect", "hutch-prop").stdout)
    config = json.loads((hutch.root / "containers" / doc["Id"] / "bundle" / "config.json").read_text())
    opts = {m["destination"]: m.get("options") for m in config["mounts"]}
    assert opts["/b2"] == ["rbind", "rw", "rslave"] and opts["/b3"] == ["bind", "rw", "rprivate"], opts


@pytest.mark.parametrize(("spec", "words"), [
    ("type=bind,src=/nonexistent-hutch,dst=/x", "bind source path does not exist"),
    ("type=bind,src=rel,dst=/x", "must be an absolute path"),
    ("type=bind,src=/tmp", "target is required"),
    ("type=nfs,dst=/x", "type 'nfs'"),
    ("type=volume,src=bad!name,dst=/x", "invalid volume name"),
    ("type=tmpfs,src=x,dst=/x", "a tmpfs has no source"),
    ("type=tmpfs,dst=/x,tmpfs-mode=9z", "not octal"),
    ("type=tmpfs,dst=/x,tmpfs-size=lots", "tmpfs-size"),
    ("type=volume,dst=/x,bind-propagation=shared", "only for type=bind"),
    ("type=bind,src=/tmp,dst=/x,bind-propagation=weird", "bind-propagation 'weird'"),
    ("type=bind,src=/tmp,dst=/x,colour=blue", "unexpected key 'colour'"),
    ("type=bind,src=/tmp,dst=/x,readonly=maybe", "takes true or false"),
    ("type=volume,dst=relative", "the mount path 'relative' must be absolute"),
])
def test_bad_mount(hutch: Hutch, spec: str, words: str) -> None:
    _import(hutch)
    _bad(hutch, ["--mount", spec, "hbox:1", "true"], words)


def test_duplicate_mount_points(hutch: Hutch) -> None:
    _import(hutch)
    _bad(hutch, ["-v", "hutch-a:/x", "--mount", "type=tmpfs,dst=/x", "hbox:1", "true"],
         "duplicate mount point")


def test_named_volume(hutch: Hutch) -> None:
    """Made on first use with the image's content there (owners kept), kept across runs,
    refused removal while a container uses it."""
    _import(hutch)
    r = hutch("run", "--rm", "-v", "hutch-home:/home", "hbox:1", "sh", "-c",
              "ls -ln /home | grep ' user'; echo kept > /home/note")
    assert r.stdout.split()[2:4] == ["1000", "1000"], r.stdout
    data = hutch.root / "volumes" / "hutch-home" / "_data"
    assert (data / "note").read_text() == "kept\n" and (data / "user").stat().st_uid == 1000
    r = hutch("run", "--rm", "-v", "hutch-home:/elsewhere:ro", "hbox:1", "sh", "-c",
              "cat /elsewhere/note; touch /elsewhere/x || echo ro-refused")
    assert r.stdout.split() == ["kept", "ro-refused"]
    assert hutch("volume", "ls", "-q").stdout.split() == ["hutch-home"]
    [doc] = json.loads(hutch("volume", "inspect", "hutch-home").stdout)
    assert doc["Name"] == "hutch-home" and doc["Driver"] == "local" and doc["Mountpoint"] == str(data)
    hutch("run", "--name", "hutch-user", "-v", "hutch-home:/home", "hbox:1", "true")
    r = hutch("volume", "rm", "hutch-home", check=False)
    assert r.returncode == 1 and "in use" in r.stderr
    hutch("rm", "-v", "hutch-user")  # -v: only anonymous volumes go
    assert _volumes(hutch) == ["hutch-home"]
    assert hutch("volume", "prune").stdout.strip() == "Total reclaimed volumes: 0"  # named: kept
    assert "hutch-home" in hutch("volume", "prune", "-a").stdout
    assert _volumes(hutch) == []


def test_volume_verbs(hutch: Hutch) -> None:
    assert hutch("volume", "create", "hutch-made", "-l", "k=v").stdout.strip() == "hutch-made"
    anon = hutch("volume", "create").stdout.strip()
    assert len(anon) == 64 and all(c in "0123456789abcdef" for c in anon)
    ls = hutch("volume", "ls").stdout.splitlines()
    assert ls[0].split() == ["DRIVER", "VOLUME", "NAME"] and {line.split()[1] for line in ls[1:]} == {
        "hutch-made", anon}
    [doc] = json.loads(hutch("volume", "inspect", "hutch-made").stdout)
    assert doc["Labels"] == {"k": "v"}
    r = hutch("volume", "create", "x", check=False)  # docker: at least two characters
    assert r.returncode == 1 and "invalid volume name" in r.stderr and len(r.stderr.splitlines()) == 1
    r = hutch("volume", "inspect", "hutch-none", check=False)
    assert r.returncode == 1 and "No such volume: hutch-none" in r.stderr
    r = hutch("volume", "rm", "hutch-none", check=False)
    assert r.returncode == 1 and "No such volume" in r.stderr
    assert hutch("volume", "rm", "-f", "hutch-none").returncode == 0
    assert anon in hutch("volume", "prune").stdout  # the anonymous one only
    assert hutch("volume", "rm", "hutch-made").stdout.strip() == "hutch-made"
    assert _volumes(hutch) == []


def test_image_volumes_are_anonymous(hutch: Hutch) -> None:
    _image(hutch, "hvols:1", {"Volumes": {"/home": {}, "/srv/new": {}}})
    r = hutch("run", "--name", "hutch-iv", "hvols:1", "sh", "-c",
              "ls /home; grep -E ' /(home|srv/new) ' /proc/self/mountinfo | wc -l")
    assert r.stdout.split() == ["user", "2"], r.stdout
    vols = _volumes(hutch)
    assert len(vols) == 2 and all(len(v) == 64 for v in vols)
    hutch("rm", "hutch-iv")  # without -v they stay (as docker)
    assert _volumes(hutch) == vols
    assert len(hutch("volume", "prune").stdout.splitlines()) == 4
    # a mount the user gives replaces the image's volume
    hutch("run", "--rm", "-v", "hutch-srv:/srv/new", "hvols:1", "true")
    assert _volumes(hutch) == ["hutch-srv"]


def test_volume_copy_is_safe(hutch: Hutch, tmp_path: Path) -> None:
    """The copy into a new volume reads the image's layers (merged, whiteouts honoured) and
    never follows a symlink out of the image."""
    from hutch.engine.volumes import VolumeStore

    low, high = tmp_path / "low", tmp_path / "high"
    (low / "data" / "sub").mkdir(parents=True)
    (low / "data" / "gone").write_text("deleted above")
    (low / "data" / "sub" / "keep").write_text("low")
    (low / "data" / "escape").symlink_to("/etc")
    (high / "data").mkdir(parents=True)
    (high / "data" / "new").write_text("high")
    os.mknod(high / "data" / "gone", 0o20000 | 0o600, 0)  # an overlayfs whiteout
    (high / "link").symlink_to("/../../../../data")  # the destination through an absolute symlink
    store = VolumeStore(str(tmp_path / "engine"))
    doc, made = store.create("hutch-copy")
    assert made
    from hutch.engine.volumes import copy_up

    copy_up([str(low), str(high)], "/link", doc["Mountpoint"])
    data = Path(doc["Mountpoint"])
    assert sorted(os.listdir(data)) == ["escape", "new", "sub"]
    assert (data / "sub" / "keep").read_text() == "low" and os.readlink(data / "escape") == "/etc"
    assert not (data / "escape").is_dir() or os.path.islink(data / "escape")
    assert not list(tmp_path.glob("engine/volumes/hutch-copyup-*"))  # the view is gone
    # a destination that leaves the image through a symlink finds nothing to copy
    doc2, _ = store.create("hutch-copy2")
    (high / "out").symlink_to("../../../../../../etc")
    copy_up([str(high)], "/out", doc2["Mountpoint"])
    assert os.listdir(doc2["Mountpoint"]) == []


@pytest.mark.parametrize(("volume", "words"), [
    ("bad name!:/x", "invalid volume name"),
    ("x:/y", "volume name is too short, names should be at least two alphanumeric characters"),
    ("hutch-v:/", "the destination can't be '/'"),
    ("hutch-v:/x:rx", "mode 'rx'"),
    ("hutch-v:/x:ro,rw", "conflicting modes"),
    ("/tmp:/x:nocopy", "nocopy is for volumes"),
])
def test_bad_volumes(hutch: Hutch, volume: str, words: str) -> None:
    _import(hutch)
    _bad(hutch, ["-v", volume, "hbox:1", "true"], words)


# ---- user names -------------------------------------------------------------------------


GROUP = b"root:x:0:\ntty:x:5:\nuser:x:1000:\nhutchg:x:2000:user,other\nhutchh:x:2001:user\nnogroup:x:65534:\n"


def test_user_names(hutch: Hutch) -> None:
    _image(hutch, "husers:1", {"User": "user"}, {"etc/group": GROUP})
    assert hutch("run", "--rm", "husers:1", "id").stdout.strip() == \
        "uid=1000(user) gid=1000(user) groups=1000(user),2000(hutchg),2001(hutchh)"
    r = hutch("run", "--rm", "husers:1", "grep", "Groups:", "/proc/self/status")
    assert r.stdout.split() == ["Groups:", "1000", "2000", "2001"]
    # an explicit group: no groups from /etc/group, only the primary one (as docker)
    r = hutch("run", "--rm", "-u", "nobody:nogroup", "husers:1", "sh", "-c",
              "id -u; id -g; grep Groups: /proc/self/status")
    assert r.stdout.split() == ["65534", "65534", "Groups:", "65534"], r.stdout
    r = hutch("run", "--rm", "-u", "user:5", "husers:1", "sh", "-c", "id -u; id -g")
    assert r.stdout.split() == ["1000", "5"]
    r = hutch("run", "--rm", "-u", "4242", "husers:1", "sh", "-c", "id -u; id -g")  # not in passwd: gid 0
    assert r.stdout.split() == ["4242", "0"]
    r = hutch("run", "--rm", "-u", "0", "husers:1", "id", "-u")
    assert r.stdout.strip() == "0"


@pytest.mark.parametrize(("user", "words"), [
    ("hutchnobody", "no user 'hutchnobody'"),
    ("user:hutchnogroup", "no group 'hutchnogroup'"),
    ("user:", "use USER[:GROUP]"),
    (":5", "use USER[:GROUP]"),
])
def test_bad_users(hutch: Hutch, user: str, words: str) -> None:
    _import(hutch)
    _bad(hutch, ["-u", user, "hbox:1", "true"], words)


def test_passwd_symlinked_out_of_the_image(hutch: Hutch, tmp_path: Path) -> None:
    """An image whose /etc/passwd is a symlink to the host's: the name is not found there."""
    from hutch.engine.users import read_image_file, resolve

    layer = tmp_path / "layer"
    (layer / "etc").mkdir(parents=True)
    (layer / "etc" / "passwd").symlink_to("../../../../../../../../etc/passwd")
    assert read_image_file([str(layer)], "/etc/passwd") is None
    dirlink = tmp_path / "dirlink"
    dirlink.mkdir()
    (dirlink / "etc").symlink_to("/etc")  # the directory itself points at the host's
    assert read_image_file([str(dirlink)], "/etc/passwd") is None
    from hutch.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="no user 'root'"):
        resolve("root", [str(layer)])
    # a whiteout in a higher layer hides a lower file
    low = tmp_path / "low"
    (low / "etc").mkdir(parents=True)
    (low / "etc" / "passwd").write_text("hutchu:x:7:7::/:/bin/sh\n")
    assert resolve("hutchu", [str(low)]) == {"uid": 7, "gid": 7, "additionalGids": [7]}
    os.unlink(layer / "etc" / "passwd")
    os.mknod(layer / "etc" / "passwd", 0o20000 | 0o600, 0)
    assert read_image_file([str(low), str(layer)], "/etc/passwd") is None


def test_relative_bind_source(hutch: Hutch, tmp_path: Path) -> None:
    """-v ./dir:/data (docker 23+, podman): the host's directory relative to where hutch runs."""
    _import(hutch)
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "f").write_text("relative\n")
    argv = [str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "run", "--rm",
            "-v", "./here:/data:ro", "hbox:1", "cat", "/data/f"]
    r = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0 and r.stdout == "relative\n", r
