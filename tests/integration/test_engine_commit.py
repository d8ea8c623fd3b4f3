"""`hutch commit`, `hutch cp` and the prune verbs, on real containers (the `hutch` fixture:
its own store and runroot per test, everything removed at the end)."""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.integration.test_engine import HUTCH, Hutch, _import, hutch  # noqa: F401
from tests.support.tarballs import one_file_tar

pytestmark = pytest.mark.root


def _blobs(h: Hutch) -> list[str]:
    return sorted(os.listdir(h.root / "images" / "blobs" / "sha256"))


def _layer_names(h: Hutch, image: str) -> list[str]:
    """The entry names of an image's top layer."""
    [doc] = json.loads(h("image", "inspect", image).stdout)
    top = doc["RootFS"]["Layers"][-1].removeprefix("sha256:")
    with tarfile.open(h.root / "images" / "blobs" / "sha256" / top) as t:
        return t.getnames()


# ---- commit -----------------------------------------------------------------------------

def test_commit_adds_changes_deletions_and_config(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--name", "c", "-e", "FROM_RUN=1", "hbox:1", "sh", "-c",
          "echo x > /f; rm /bin/ls; mkdir -p /d/e; echo in > /d/e/g; ln /f /hard; ln -s /f /sym; "
          "rm -rf /home; mkdir /home; echo only > /home/only; chmod 4755 /f; chown 12:34 /d/e/g")
    out = hutch("commit", "-m", "my message", "-a", "Ann <ann@example.com>", "-c", 'CMD ["cat", "/f"]',
                "-c", "ENV K=V", "-c", "WORKDIR /d", "-c", "LABEL team=blue", "-c", "EXPOSE 80",
                "c", "committed:1").stdout.strip()
    assert out.startswith("sha256:") and len(out) == 71
    names = _layer_names(hutch, "committed:1")
    assert "bin/.wh.ls" in names and "home/.wh..wh..opq" in names and "hard" in names, names
    assert not any(n.startswith("etc/") for n in names), names  # /etc/hosts & co. are not committed
    assert not any("overlay" in n or n.startswith("work") for n in names)
    [doc] = json.loads(hutch("image", "inspect", "committed:1").stdout)
    assert doc["Id"] == out and doc["Author"] == "Ann <ann@example.com>"
    cfg = doc["Config"]
    assert cfg["Cmd"] == ["cat", "/f"] and "K=V" in cfg["Env"] and "FROM_RUN=1" in cfg["Env"]
    assert cfg["WorkingDir"] == "/d" and cfg["Labels"] == {"team": "blue"} and "80/tcp" in cfg["ExposedPorts"]
    hist = hutch("history", "committed:1").stdout
    assert "my message" in hist
    r = hutch("run", "--rm", "committed:1")  # the new Cmd, in the new WorkingDir
    assert r.stdout == "x\n"
    r = hutch("run", "--rm", "committed:1", "sh", "-c",
              "pwd; test -e /bin/ls || echo ls-gone; ls /home; cat /d/e/g; "
              "stat -c '%a %u:%g' /f /d/e/g; [ /f -ef /hard ] && echo linked; readlink /sym")
    want = ["/d", "ls-gone", "only", "in", "4755 0:0", "644 12:34", "linked", "/f", ""]
    assert r.stdout.split("\n") == want, r.stdout


def test_commit_survives_save_and_load(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--name", "c", "hbox:1", "sh", "-c", "echo saved > /s; rm /bin/cat")
    image_id = hutch("commit", "c", "keep:2").stdout.strip()
    for fmt in ("docker-archive", "oci-archive"):
        archive = tmp_path / f"{fmt}.tar"
        hutch("save", "-o", str(archive), "--format", fmt, "keep:2")
        other = Hutch(tmp_path / f"store-{fmt}", hutch.runroot)
        assert other("load", "-i", str(archive)).stdout.strip() == "Loaded image: keep:2"
        assert other("images", "-q").stdout.strip() == image_id[7:19]
        r = other("run", "--rm", "keep:2", "sh", "-c",
                  "read l < /s; echo $l; test -e /bin/cat || echo cat-gone")
        assert r.stdout == "saved\ncat-gone\n", r


def test_podman_loads_a_committed_image(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    from tests.integration.test_podman import CONF, Podman

    _import(hutch)
    hutch("run", "--name", "c", "hbox:1", "sh", "-c", "echo pm > /pm; rm /bin/ls")
    hutch("commit", "-m", "for podman", "c", "localhost/pmcommit:1")
    archive = tmp_path / "out.tar"
    hutch("save", "-o", str(archive), "localhost/pmcommit:1")
    conf = tmp_path / "containers.conf"
    conf.write_text(CONF.format(runtime="/bin/false"))
    pm = Podman(f"hutch-pmc-{secrets.token_hex(3)}", conf, "/bin/false")
    try:
        r = pm("load", "-i", str(archive))
        assert "localhost/pmcommit:1" in r.stdout, r.stdout
        hist = pm("history", "--format", "{{.Comment}}", "localhost/pmcommit:1").stdout
        assert "for podman" in hist
        mnt = pm("image", "mount", "localhost/pmcommit:1").stdout.strip()
        try:
            assert Path(mnt, "pm").read_text() == "pm\n" and not Path(mnt, "bin/ls").exists()
        finally:
            pm("image", "unmount", "localhost/pmcommit:1", check=False)
    finally:
        pm("rmi", "--all", "--force", check=False)
        for d in (pm.root, pm.runroot):
            shutil.rmtree(d, ignore_errors=True)


def test_commit_without_a_name_is_listed_as_none(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--name", "c", "hbox:1", "true")
    image_id = hutch("commit", "c").stdout.strip()
    rows = hutch("images").stdout.splitlines()
    assert any(r.split()[:3] == ["<none>", "<none>", image_id[7:19]] for r in rows), rows
    assert hutch("run", "--rm", image_id[7:19], "echo", "ok").stdout == "ok\n"


@pytest.mark.parametrize(("args", "words"), [
    (["nosuch"], "No such container: nosuch"),
    (["-c", "FROB x", "c"], "FROB is not one of"),
    (["-c", "ENV", "c"], "ENV needs an argument"),
    (["c", "Bad:Name"], "invalid"),
    (["--pause=maybe", "c"], "invalid boolean"),
])
def test_bad_commits_change_nothing(hutch: Hutch, args: list[str], words: str) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--name", "c", "hbox:1", "sh", "-c", "echo x > /f")
    before = _blobs(hutch)
    r = hutch("commit", *args, check=False)
    assert r.returncode == 1 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r
    assert _blobs(hutch) == before and os.listdir(hutch.root / "images" / "ingest") == []


def test_commit_on_a_full_disk_leaves_no_blob(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    """The store's ingest directory on a 1 MB tmpfs; the layer needs 4 MB."""
    _import(hutch)
    hutch("run", "--name", "c", "hbox:1", "sh", "-c", "dd if=/dev/zero of=/big bs=1M count=4 2>/dev/null")
    before = _blobs(hutch)
    ingest = hutch.root / "images" / "ingest"
    ingest.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "hutch-full", str(ingest)], check=True)
    try:
        r = hutch("commit", "c", "full:1", check=False)
        assert r.returncode == 1 and "No space left" in r.stderr, r
        assert len(r.stderr.strip().splitlines()) == 1, r
        assert os.listdir(ingest) == []
    finally:
        subprocess.run(["umount", str(ingest)], check=False)
    assert _blobs(hutch) == before and "full" not in hutch("images").stdout


def test_commit_pauses_a_running_container(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    """(through a runtime wrapper that logs its verbs: pause before the copy, resume after)"""
    _import(hutch)
    log = tmp_path / "verbs"
    wrapper = tmp_path / "hutch-runtime-logging"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {HUTCH.parent / "hutch-runtime"} "$@"\n')
    wrapper.chmod(0o755)
    cmd = [str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "--runtime", str(wrapper),
           "run", "--name", "live", "hbox:1", "sh", "-c",
           "echo live > /live; while :; do echo $((n+=1)) > /count; sleep 0.01; done"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if (hutch.root / "containers").exists() and any(
                    (p / "upper" / "count").exists() for p in (hutch.root / "containers").iterdir()
                    if p.is_dir()):
                break
            subprocess.run(["sleep", "0.05"], check=True)
        hutch("commit", "live", "live:1")
        verbs = [line.split()[-2] for line in log.read_text().splitlines()]
        assert verbs[-2:] == ["pause", "resume"], verbs
        r = hutch("run", "--rm", "live:1", "sh", "-c", "cat /live")
        assert r.stdout == "live\n"
    finally:
        hutch("rm", "-f", "live", check=False)
        proc.kill()
        proc.wait()


# ---- prune ------------------------------------------------------------------------------

def _age(h: Hutch) -> None:
    """Make every blob and snapshot older than prune's grace period."""
    old = 1_000_000_000
    for sub in ("blobs/sha256", "snapshots"):
        d = h.root / "images" / sub
        for name in os.listdir(d):
            os.utime(d / name, (old, old), follow_symlinks=False)


def test_container_prune(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--name", "a", "hbox:1", "sh", "-c", "head -c 5000 /dev/zero > /five")
    hutch("run", "--name", "b", "hbox:1", "true")
    ids = set(hutch("ps", "-a", "-q").stdout.split())
    r = hutch("container", "prune", input=b"n\n")  # not confirmed: nothing happens
    assert "Are you sure" in r.stderr and set(hutch("ps", "-a", "-q").stdout.split()) == ids
    out = hutch("container", "prune", "-f").stdout.splitlines()
    assert out[0] == "Deleted Containers:" and {i[:12] for i in out[1:3]} == ids
    assert out[-1].startswith("Total reclaimed space: 5") and out[-1].endswith("kB"), out
    assert hutch("ps", "-a", "-q").stdout == ""
    assert hutch("container", "prune", "-f").stdout == "Total reclaimed space: 0B\n"


def test_image_prune_and_system_prune(hutch: Hutch) -> None:  # noqa: F811
    image_id = _import(hutch)
    hutch("run", "--name", "c", "hbox:1", "sh", "-c", "head -c 3000 /dev/zero > /three")
    dangling = hutch("commit", "c").stdout.strip()
    replaced = hutch("commit", "c", "named:1").stdout.strip()
    named = hutch("commit", "c", "named:1").stdout.strip()  # the name moves: the old image is <none>
    assert len({dangling, replaced, named}) == 3  # a new created time: a new config
    nones = [r.split()[2] for r in hutch("images").stdout.splitlines() if r.startswith("<none>")]
    assert sorted(nones) == sorted([dangling[7:19], replaced[7:19]])
    _age(hutch)
    out = hutch("image", "prune", "-f").stdout
    assert f"deleted: {dangling}" in out and f"deleted: {replaced}" in out and "named" not in out, out
    assert dangling[7:19] not in hutch("images").stdout and named[7:19] in hutch("images").stdout
    hutch("rm", "c")
    # -a: every image no container uses (hbox:1 is used by the container `d`)
    hutch("run", "--name", "d", "hbox:1", "true")
    out = hutch("image", "prune", "-a", "-f").stdout
    assert "untagged: docker.io/library/named:1" in out or "untagged: named:1" in out, out
    assert "hbox" in hutch("images").stdout and "named" not in hutch("images").stdout
    top = _layer_top_blob(hutch, image_id)
    assert top in _blobs(hutch)  # the container's image keeps its layer
    assert hutch("run", "--rm", "hbox:1", "echo", "still").stdout == "still\n"
    out = hutch("system", "prune", "-f").stdout
    assert out.startswith("Deleted Containers:\n") and "Total reclaimed space" in out
    assert hutch("ps", "-a", "-q").stdout == ""
    # hutch image ls / image rm aliases
    assert hutch("image", "ls", "-q").stdout.strip() == image_id[7:19]
    assert hutch("image", "rm", "hbox:1").stdout.splitlines() == ["Untagged: hbox:1", f"Deleted: {image_id}"]
    _age(hutch)
    hutch("image", "prune", "-a", "-f")
    assert _blobs(hutch) == [] and os.listdir(hutch.root / "images" / "snapshots") == []


def _layer_top_blob(h: Hutch, image: str) -> str:
    [doc] = json.loads(h("image", "inspect", image).stdout)
    return str(doc["RootFS"]["Layers"][-1]).removeprefix("sha256:")


def test_container_aliases(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--name", "al", "hbox:1", "true")
    assert hutch("container", "ls", "-a").stdout.splitlines()[1].split()[-1] == "al"
    [doc] = json.loads(hutch("container", "inspect", "al").stdout)
    assert doc["Name"] == "/al"
    r = hutch("container", "inspect", "hbox:1", check=False)
    assert r.returncode == 1 and "No such container: hbox:1" in r.stderr
    assert hutch("container", "rm", "al").stdout.strip() == "al"


# ---- cp ---------------------------------------------------------------------------------

SETUP = ("mkdir -p /d/sub; echo f > /d/f; echo g > /d/sub/g; ln /d/f /d/hard; echo file > /file; "
         "ln -s /file /lnk; chown 7:8 /file; chmod 640 /file")


def _upper(h: Hutch, name: str) -> Path:
    [doc] = json.loads(h("inspect", name).stdout)
    return h.root / "containers" / doc["Id"] / "upper"


def test_cp_out_of_a_stopped_container(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--name", "c", "hbox:1", "sh", "-c", SETUP)
    out = tmp_path / "out"
    out.mkdir()
    hutch("cp", "c:/file", str(out / "renamed"))  # a file to a new name
    assert (out / "renamed").read_text() == "file\n"
    st = os.stat(out / "renamed")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (0, 0, 0o640)  # the caller's ids, the mode kept
    hutch("cp", "-a", "c:/file", str(out))  # into a directory; -a keeps the owner
    st = os.stat(out / "file")
    assert (st.st_uid, st.st_gid) == (7, 8)
    hutch("cp", "c:/d", str(out / "newdir"))  # a directory to a new name: its contents
    assert (out / "newdir" / "sub" / "g").read_text() == "g\n"
    assert os.stat(out / "newdir" / "f").st_ino == os.stat(out / "newdir" / "hard").st_ino
    hutch("cp", "c:/d", str(out))  # into an existing directory: out/d
    assert (out / "d" / "f").read_text() == "f\n"
    (out / "contents").mkdir()
    hutch("cp", "c:/d/.", str(out / "contents"))  # /. copies what the directory holds
    assert sorted(os.listdir(out / "contents")) == ["f", "hard", "sub"]
    hutch("cp", "c:/lnk", str(out / "link"))  # a symlink is copied as the link...
    assert os.readlink(out / "link") == "/file"
    hutch("cp", "-L", "c:/lnk", str(out / "followed"))  # ...unless -L
    assert (out / "followed").read_text() == "file\n" and not (out / "followed").is_symlink()
    for args, words in [
        (["c:/nope", str(out)], "Could not find the file /nope in container c"),
        (["c:/file/", str(out)], "not a directory"),
        (["c:/d", str(out / "renamed")], "cannot overwrite non-directory"),
        (["c:/file", str(out / "missing") + "/"], "does not exist"),
        (["c:/file", str(out / "no" / "such" / "x")], "its directory does not exist"),
        (["nosuch:/file", str(out)], "No such container: nosuch"),
        ([str(out), str(out / "x")], "must specify at least one container"),
        (["c:/file", "c:/x"], "copying between containers is not supported"),
    ]:
        r = hutch("cp", *args, check=False)
        assert r.returncode == 1 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r)


def test_cp_into_a_stopped_container(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--name", "c", "hbox:1", "sh", "-c", SETUP)
    src = tmp_path / "src"
    (src / "inner").mkdir(parents=True)
    (src / "inner" / "x").write_text("x\n")
    (src / "top").write_text("top\n")
    os.chown(src / "top", 1234, 5678)
    hutch("cp", str(src / "top"), "c:/etc/")
    hutch("cp", "-a", str(src / "top"), "c:/top-kept")
    hutch("cp", str(src), "c:/d")  # into an existing directory
    hutch("cp", str(src) + "/.", "c:/newdir")
    hutch("cp", str(src / "top"), "c:/file")  # overwrite a file
    upper = _upper(hutch, "c")
    st = os.stat(upper / "etc" / "top")
    assert (st.st_uid, st.st_gid) == (0, 0) and (upper / "etc" / "top").read_text() == "top\n"
    st = os.stat(upper / "top-kept")
    assert (st.st_uid, st.st_gid) == (1234, 5678)
    assert (upper / "d" / "src" / "inner" / "x").read_text() == "x\n"
    assert (upper / "newdir" / "inner" / "x").read_text() == "x\n"
    assert (upper / "file").read_text() == "top\n"
    hutch("commit", "c", "copied:1")  # and the container's view of it
    r = hutch("run", "--rm", "copied:1", "sh", "-c", "cat /etc/top /newdir/inner/x /file")
    assert r.stdout == "top\nx\ntop\n"
    r = hutch("cp", str(src), "c:/file", check=False)
    assert r.returncode == 1 and "cannot overwrite non-directory" in r.stderr
    r = hutch("cp", str(tmp_path / "absent"), "c:/", check=False)
    assert r.returncode == 1 and "no such file or directory" in r.stderr


def test_cp_tar_streams(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--name", "c", "hbox:1", "sh", "-c", SETUP)
    r = subprocess.run([str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "cp", "c:/d", "-"],
                       capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(r.stdout)) as t:
        assert sorted(t.getnames()) == ["d", "d/f", "d/hard", "d/sub", "d/sub/g"]
        assert t.getmember("d/hard").islnk()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        ti = tarfile.TarInfo("in/stream")
        ti.size, ti.uid = 3, 99
        t.addfile(ti, io.BytesIO(b"abc"))
    hutch("cp", "-", "c:/d", input=buf.getvalue())
    upper = _upper(hutch, "c")
    assert (upper / "d" / "in" / "stream").read_bytes() == b"abc"
    assert os.stat(upper / "d" / "in" / "stream").st_uid == 0
    r = hutch("cp", "-", "c:/file", input=buf.getvalue(), check=False)
    assert r.returncode == 1 and "must be a directory" in r.stderr
    r = hutch("cp", "-", "c:/d", input=b"not a tar" * 100, check=False)
    assert r.returncode == 1 and "not a tar archive" in r.stderr


def test_cp_symlinks_never_leave_the_container(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    """CVE-2018-15664 / CVE-2019-14271: symlinks to /, to ../../.., to a host path, in both
    directions, resolve inside the container."""
    _import(hutch)
    secret = tmp_path / "secret"
    secret.write_text("host secret\n")
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    unique = f"hutch-cp-{secrets.token_hex(4)}"
    up = "../../../../../../../.."
    hutch("run", "--name", "c", "hbox:1", "sh", "-c",
          f"ln -s / /root-link; ln -s {up} /up; ln -s {up}{secret} /sneak; "
          f"ln -s {up}{hostdir} /hostdir-link; "
          "ln -s /etc /etcl; echo in the container > /marker")
    out = tmp_path / "out"
    out.mkdir()
    try:
        # out of the container: the host's file is never read
        for src in ("c:/sneak", f"c:/up{secret}", f"c:/root-link{secret}"):
            r = hutch("cp", "-L", src, str(out / "got"), check=False)
            assert r.returncode == 1 and "Could not find the file" in r.stderr, (src, r)
            assert not (out / "got").exists()
        hutch("cp", "c:/up/marker", str(out / "marker"))  # the container's own / ...
        hutch("cp", "c:/root-link/.", str(out / "root"))
        assert (out / "marker").read_text() == "in the container\n"
        assert (out / "root" / "marker").exists() and not (out / "root" / secret.relative_to("/")).exists()
        # into the container: nothing is written on the host
        (out / unique).write_text("payload\n")
        for dest in ("c:/root-link/", "c:/up/", "c:/etcl/", f"c:/hostdir-link/{unique}", f"c:/up{hostdir}/"):
            r = hutch("cp", str(out / unique), dest, check=False)
            assert not (hostdir / unique).exists(), dest
        assert not Path("/", unique).exists() and not Path("/etc", unique).exists()
        upper = _upper(hutch, "c")
        assert (upper / unique).exists() and (upper / "etc" / unique).exists()
        # a tar stream that makes a symlink out, then writes through it
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            link = tarfile.TarInfo("a")
            link.type, link.linkname = tarfile.SYMTYPE, str(hostdir)
            t.addfile(link)
            ti = tarfile.TarInfo("a/evil")
            ti.size = 1
            t.addfile(ti, io.BytesIO(b"e"))
            dots = tarfile.TarInfo("../../../../evil2")
            t.addfile(dots, io.BytesIO(b""))
        r = hutch("cp", "-", "c:/", input=buf.getvalue(), check=False)
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r
        assert os.listdir(hostdir) == []
    finally:
        for p in (Path("/", unique), Path("/etc", unique)):
            if p.exists():
                p.unlink()


def test_cp_into_a_running_container(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    cmd = [str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot,
           "run", "--name", "live", "hbox:1", "sh", "-c",
           "while [ ! -e /go ]; do sleep 0.05; done; cat /go; echo seen > /seen; sleep 0.5"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            ps = hutch("ps", "-q").stdout
            if ps.strip():
                break
            subprocess.run(["sleep", "0.05"], check=True)
        hutch("cp", "-", "live:/", input=one_file_tar("go", b"from cp\n"))
        out, _ = proc.communicate(timeout=30)
        assert out == b"from cp\n"
    finally:
        if proc.poll() is None:
            hutch("rm", "-f", "live", check=False)
            proc.kill()
            proc.wait()


def _overlays_of(root: Path) -> list[str]:
    """This process's mounts that name the store (an overlay left behind by cp would)."""
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if str(root) in line]


def test_cp_goes_through_mounts(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    """As docker's cp: the container's files as it sees them, its mounts included: its own
    /etc/hostname and /etc/hosts, a bind, a named volume and (running) a tmpfs, in and out,
    running and stopped; a read-only bind refuses; a stopped container's mounts are made in a
    mount namespace of cp's own, and none is left, not even after a kill -9 mid-copy."""
    _import(hutch)
    bind = tmp_path / "bind"
    bind.mkdir()
    (bind / "f").write_text("on the host\n")
    (tmp_path / "in").write_text("copied in\n")
    out = tmp_path / "out"
    out.mkdir()
    hutch("run", "-d", "--name", "vc", "-h", "vchost", "-v", f"{bind}:/data", "-v", "cpvol:/vol",
          "--tmpfs", "/t", "hbox:1", "sleep", "1000")
    hutch("cp", "vc:/etc/hostname", str(out / "hostname"))
    hutch("cp", "vc:/etc/hosts", str(out / "hosts"))
    assert (out / "hostname").read_text() == "vchost\n"
    assert "vchost" in (out / "hosts").read_text()
    hutch("cp", "vc:/data/f", str(out / "f"))
    assert (out / "f").read_text() == "on the host\n"
    hutch("cp", str(tmp_path / "in"), "vc:/data/")  # into the bind: the host's directory has it
    hutch("cp", str(tmp_path / "in"), "vc:/vol/")
    hutch("cp", str(tmp_path / "in"), "vc:/t/")
    assert (bind / "in").read_text() == "copied in\n"
    assert hutch("exec", "vc", "cat", "/vol/in", "/t/in").stdout == "copied in\n" * 2
    upper = _upper(hutch, "vc")
    assert not (upper / "data").exists() or not (upper / "data" / "in").exists()  # not under the mount
    hutch("stop", "-t", "0", "vc")
    # stopped: the binds and volumes, and its /etc files, mounted for the copy alone
    hutch("cp", "vc:/vol/in", str(out / "from-volume"))
    hutch("cp", "vc:/etc/hostname", str(out / "hostname2"))
    assert (out / "from-volume").read_text() == "copied in\n"
    assert (out / "hostname2").read_text() == "vchost\n"
    (tmp_path / "in2").write_text("while stopped\n")
    hutch("cp", str(tmp_path / "in2"), "vc:/data/")
    assert (bind / "in2").read_text() == "while stopped\n"
    assert not _overlays_of(hutch.root)
    # a kill -9 mid-copy (the mounts made) leaves no mount, and the container starts
    argv = [str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "cp", "vc:/vol/in",
            str(out / "killed")]
    r = subprocess.run(argv, env={**os.environ, "HUTCH_RUNTIME_KILL_AT": "engine.cp.mounted"},
                       capture_output=True, timeout=60, check=False)
    assert r.returncode == -9 and not _overlays_of(hutch.root)
    hutch("start", "vc")
    assert hutch("exec", "vc", "cat", "/data/in2").stdout == "while stopped\n"
    hutch("rm", "-f", "vc")
    # a read-only bind is not written through
    hutch("create", "--name", "ro", "-v", f"{bind}:/data:ro", "hbox:1", "true")
    r = hutch("cp", str(tmp_path / "in"), "ro:/data/other", check=False)
    assert r.returncode == 1 and "Read-only file system" in r.stderr and not (bind / "other").exists()
    hutch("rm", "ro")
    hutch("volume", "rm", "cpvol")
