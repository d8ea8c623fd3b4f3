"""`hutch`, the engine, on real containers: import, images, rmi, run, ps, rm.

Each test gets its own store (--root in tmp) and runtime state (--runroot under /run); at
the end no container, mount or cgroup of it is left.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.support.leaks import find_leaks

pytestmark = pytest.mark.root

HUTCH = REPO / ".venv" / "bin" / "hutch"


class Hutch:
    def __init__(self, root: Path, runroot: str) -> None:
        self.root, self.runroot = root, runroot

    def __call__(self, *args: str, input: bytes | None = None, check: bool = True,
                 runtime: str | None = None) -> subprocess.CompletedProcess[str]:
        cmd = [str(HUTCH), "--root", str(self.root), "--runroot", self.runroot]
        if runtime:
            cmd += ["--runtime", runtime]
        r = subprocess.run([*cmd, *args], input=input, capture_output=True, timeout=60, check=False)
        out = subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(errors="replace"),
                                          r.stderr.decode(errors="replace"))
        if check and r.returncode != 0:
            raise AssertionError(f"hutch {' '.join(args)} exited {r.returncode}: {out.stderr}{out.stdout}")
        return out


def _mounts_under(path: Path) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(str(path))]


@pytest.fixture
def hutch(tmp_path: Path, rootfs_template: Path) -> Iterator[Hutch]:
    if not HUTCH.exists():
        pytest.skip(f"{HUTCH} is missing: run scripts/setup.sh")
    runroot = f"/run/hutch-engtest-{secrets.token_hex(4)}"
    h = Hutch(tmp_path / "store", runroot)
    tarball = tmp_path / "rootfs.tar"
    with tarfile.open(tarball, "w") as t:
        t.add(rootfs_template, arcname=".")
    h.tarball = tarball  # type: ignore[attr-defined]
    try:
        yield h
    finally:
        clean_up(h, tmp_path, h.runroot)


def clean_up(h: Any, tmp_path: Path, runroot: str) -> None:
    """After a test with the store ``h.root``: remove its containers, and fail if one left
    a process, cgroup or monitor (its command line names the store) or a mount under
    ``tmp_path``."""
    ids = h("ps", "-a", "-q", "--no-trunc", check=False).stdout.split() if h.root.exists() else []
    for cid in ids:
        h("rm", "-f", cid, check=False)
    leaks = find_leaks(ids, markers=[str(h.root)])
    leftover = _mounts_under(tmp_path)
    for m in reversed(leftover):
        subprocess.run(["umount", "-l", m], check=False)
    shutil.rmtree(runroot, ignore_errors=True)
    assert not leftover, f"mounts left behind: {leftover}"
    assert not leaks, f"left behind: {leaks}"


def _import(h: Hutch, ref: str = "hbox:1") -> str:
    return h("import", str(h.tarball), ref).stdout.strip()  # type: ignore[attr-defined]


def test_import_images_rmi(hutch: Hutch) -> None:
    image_id = _import(hutch)
    assert image_id.startswith("sha256:") and len(image_id) == 71
    data = Path(hutch.tarball).read_bytes()  # type: ignore[attr-defined]
    hutch("import", "-", "other:latest", input=data)  # from standard input
    out = hutch("images").stdout.splitlines()
    assert out[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    rows = {tuple(line.split()[:3]) for line in out[1:]}
    assert ("hbox", "1", image_id[7:19]) in rows and ("other", "latest") in {r[:2] for r in rows}
    other_id = hutch("images", "-q").stdout.split()  # docker: the last name gone, the image goes
    assert hutch("rmi", "other").stdout.splitlines()[0] == "Untagged: other:latest"
    assert len(other_id) == 2 and len(hutch("images", "-q").stdout.split()) == 1
    assert "other" not in hutch("images").stdout
    r = hutch("rmi", "nosuch:1", check=False)
    assert r.returncode == 1 and "No such image: nosuch:1" in r.stderr


def test_run_is_isolated(hutch: Hutch) -> None:
    _import(hutch)
    script = ("hostname; echo pid=$$; grep ' / / ' /proc/self/mountinfo | grep -c overlay; "
              "grep ^Seccomp: /proc/self/status; echo E=$E; pwd; id -u; exit 7")
    r = hutch("run", "--rm", "-e", "E=from-cli", "-w", "/tmp", "-u", "1000", "hbox:1", "sh", "-c", script,
              check=False)
    assert r.returncode == 7, r.stderr
    lines = r.stdout.split()
    assert len(lines[0]) == 12 and lines[1] == "pid=1" and lines[2] == "1", r.stdout  # its own overlay root
    assert lines[3:] == ["Seccomp:", "2", "E=from-cli", "/tmp", "1000"], r.stdout
    assert hutch("ps", "-a", "-q").stdout == ""  # --rm


def test_the_writable_layer_is_the_containers_own(hutch: Hutch) -> None:
    _import(hutch)
    r = hutch("run", "--name", "writer", "hbox:1", "sh", "-c", "echo hi > /etc/new; rm /bin/ls; cat /etc/new")
    assert r.stdout == "hi\n"
    # the image is unchanged: another container sees neither change
    r = hutch("run", "--rm", "hbox:1", "sh", "-c", "ls /etc/new; test -e /bin/ls && echo ls-there",
              check=False)
    assert "No such file" in r.stdout + r.stderr and "ls-there" in r.stdout
    ps = hutch("ps", "-a").stdout.splitlines()
    assert len(ps) == 2 and "Exited (0)" in ps[1] and ps[1].split()[-1] == "writer"
    assert hutch("ps").stdout.splitlines()[1:] == []  # not running
    hutch("rm", "writer")
    assert hutch("ps", "-a", "-q").stdout == ""


def test_run_with_runc(hutch: Hutch) -> None:
    if not shutil.which("runc"):
        pytest.skip("runc is not installed")
    _import(hutch)
    r = hutch("run", "--rm", "hbox:1", "sh", "-c", "echo pid=$$; exit 5", runtime="runc", check=False)
    assert r.returncode == 5 and r.stdout == "pid=1\n", r.stderr


def _tar(entries: list[tuple[str, bytes]]) -> bytes:
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


@pytest.mark.parametrize(("data", "words"), [
    (b"this is not a tarball at all" * 100, "not a tar archive"),
    (_tar([("ok", b"x"), ("../../escape", b"x")]), "escapes the layer"),
])
def test_bad_tarballs_leave_the_store_unchanged(hutch: Hutch, data: bytes, words: str) -> None:
    _import(hutch)
    blobs = hutch.root / "images" / "blobs" / "sha256"
    before = sorted(os.listdir(blobs))
    snaps = sorted(os.listdir(hutch.root / "images" / "snapshots"))
    r = hutch("import", "-", "bad:1", input=data, check=False)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and words in r.stderr, r
    assert sorted(os.listdir(blobs)) == before
    assert sorted(os.listdir(hutch.root / "images" / "snapshots")) == snaps
    assert os.listdir(hutch.root / "images" / "ingest") == []
    assert "bad" not in hutch("images").stdout


@pytest.mark.parametrize(("args", "code", "words"), [
    (["--pull", "never", "nosuch:1", "true"], 125, "No such image: nosuch:1"),
    (["NotValid", "true"], 125, "invalid reference format"),
    (["--network", "hutchnosuch", "hbox:1", "true"], 125, "network hutchnosuch not found"),
    (["--network", "container:hutchnosuch", "hbox:1", "true"], 125, "No such container: hutchnosuch"),
    (["-u", "hutchnosuch", "hbox:1", "true"], 125, "invalid user 'hutchnosuch'"),
    (["--name", "bad/name", "hbox:1", "true"], 125, "invalid container name"),
])
def test_bad_run_arguments(hutch: Hutch, args: list[str], code: int, words: str) -> None:
    _import(hutch)
    r = hutch("run", "--rm", *args, check=False)
    assert r.returncode == code and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r
    assert hutch("ps", "-a", "-q").stdout == ""
    cdir = hutch.root / "containers"
    assert not cdir.exists() or os.listdir(cdir) in ([], ["lock"])


def test_names_are_unique(hutch: Hutch) -> None:
    _import(hutch)
    cid = hutch("run", "-d", "--name", "twin", "hbox:1", "sleep", "60").stdout.strip()
    r = hutch("run", "--name", "twin", "hbox:1", "true", check=False)
    assert r.returncode == 125 and r.stderr == (  # docker's daemon's words
        f'Error: Conflict. The container name "/twin" is already in use by container "{cid}". You have to '
        f'remove (or rename) that container to be able to reuse that name.\n')
    r = hutch("rm", "twin", check=False)
    assert r.returncode == 1 and r.stderr == ('Error: cannot remove container "/twin": container is running: '
                                              'stop the container before removing or force remove\n')
    hutch("rm", "-f", "twin")
    r2: Any = hutch("rm", "twin", check=False)
    assert r2.returncode == 1 and "No such container: twin" in r2.stderr


def test_resource_flags(hutch: Hutch) -> None:
    """-m, --memory-swap, --cpus, --cpu-shares, --pids-limit, read from inside (v1 here,
    v2 files where the host is v2)."""
    _import(hutch)
    script = ("for f in memory/memory.limit_in_bytes memory.max cpu/cpu.cfs_quota_us cpu.max "
              "cpu/cpu.shares pids/pids.max pids.max; do "
              "[ -e /sys/fs/cgroup/$f ] && echo $f=$(cat /sys/fs/cgroup/$f); done; true")
    r = hutch("run", "--rm", "-m", "64m", "--memory-swap", "128m", "--cpus", "0.5", "--cpu-shares", "512",
              "--pids-limit", "50", "hbox:1", "sh", "-c", script)
    got = dict(line.split("=", 1) for line in r.stdout.split())
    mem = got.get("memory/memory.limit_in_bytes") or got.get("memory.max")
    assert mem == str(64 << 20), got
    assert got.get("cpu/cpu.cfs_quota_us", "50000") == "50000", got
    assert got.get("cpu.max", "50000 100000") == "50000 100000", got
    assert (got.get("pids/pids.max") or got.get("pids.max")) == "50", got


def test_a_memory_limit_kills(hutch: Hutch) -> None:
    _import(hutch)
    r = hutch("run", "--rm", "-m", "16m", "--memory-swap", "16m", "hbox:1", "sh", "-c",
              "tail /dev/zero; echo rc=$?", check=False)
    assert "rc=137" in r.stdout, r


def test_volumes_and_tmpfs(hutch: Hutch, tmp_path: Path) -> None:
    _import(hutch)
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "in").write_text("from the host\n")
    r = hutch("run", "--rm", "-v", f"{vol}:/data", "-v", f"{vol}:/ro:ro", "--tmpfs", "/scratch:size=1m",
              "hbox:1", "sh", "-c",
              "cat /data/in; echo out > /data/out; echo x > /ro/x 2>/dev/null || echo ro-refused; "
              "grep ' /scratch ' /proc/self/mountinfo | grep -c tmpfs")
    assert r.stdout.split("\n")[:3] == ["from the host", "ro-refused", "1"], r.stdout
    assert (vol / "out").read_text() == "out\n"


@pytest.mark.parametrize(("args", "words"), [
    (["-m", "lots"], "invalid value 'lots' for --memory"),
    (["-m", "1m"], "the minimum allowed is 6MB"),
    (["--memory-swap", "1g"], "--memory-swap needs --memory"),
    (["--cpus", "x"], "for --cpus"),
    (["-v", "bad name!:/x"], "invalid volume name"),
    (["-v", "/nonexistent-hutch-src:/x"], "does not exist"),
    (["-v", "/tmp:/x:rx"], "mode 'rx'"),
    (["--tmpfs", "rel"], "invalid --tmpfs"),
])
def test_bad_resource_and_volume_flags(hutch: Hutch, args: list[str], words: str) -> None:
    _import(hutch)
    r = hutch("run", "--rm", *args, "hbox:1", "true", check=False)
    assert r.returncode == 125 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r
    assert hutch("ps", "-a", "-q").stdout == ""


def test_tag_history_inspect(hutch: Hutch) -> None:
    import json

    image_id = _import(hutch)
    hutch("tag", "hbox:1", "registry.local/team/box:2")
    assert "registry.local/team/box" in hutch("images").stdout
    hist = hutch("history", "hbox:1").stdout.splitlines()
    assert hist[0].split()[:2] == ["IMAGE", "CREATED"] and hist[1].startswith(image_id[7:19])
    assert "hutch import" in hist[1]
    [doc] = json.loads(hutch("image", "inspect", "hbox:1").stdout)
    assert doc["Id"] == image_id and sorted(doc["RepoTags"]) == ["hbox:1", "registry.local/team/box:2"]
    assert doc["RootFS"]["Layers"] and doc["Os"] == "linux"
    hutch("run", "--name", "insp", "-m", "32m", "-e", "A=1", "hbox:1", "sh", "-c", "exit 3", check=False)
    [c] = json.loads(hutch("inspect", "insp").stdout)
    assert c["Name"] == "/insp" and c["Image"] == image_id
    assert c["State"]["Status"] == "exited" and c["State"]["ExitCode"] == 3 and not c["State"]["Running"]
    assert c["HostConfig"]["Memory"] == 32 << 20 and "A=1" in c["Config"]["Env"]
    assert c["State"]["StartedAt"] and c["State"]["FinishedAt"]
    [same] = json.loads(hutch("inspect", "hbox:1").stdout)  # an image, when no container has the name
    assert same["Id"] == image_id
    r = hutch("inspect", "nothing-here", check=False)
    assert r.returncode == 1 and "No such object: nothing-here" in r.stderr
    # --type: one kind only; without, networks and volumes too (docker's order)
    hutch("network", "create", "inspnet")
    hutch("volume", "create", "inspvol")
    [net] = json.loads(hutch("inspect", "inspnet").stdout)
    [vol] = json.loads(hutch("inspect", "--type", "volume", "inspvol").stdout)
    assert net["Name"] == "inspnet" and net["Driver"] == "bridge" and vol["Name"] == "inspvol"
    [img] = json.loads(hutch("inspect", "--type", "image", "hbox:1").stdout)
    assert img["Id"] == image_id
    r = hutch("inspect", "--type", "container", "hbox:1", "inspnet", check=False)
    assert r.returncode == 1 and r.stdout == "[]\n" and r.stderr.count("No such object") == 2, r
    r = hutch("inspect", "--type", "pod", "x", check=False)
    assert r.returncode == 1 and '"pod" is not a valid value for --type' in r.stderr
    hutch("network", "rm", "inspnet")
    hutch("volume", "rm", "inspvol")
    r = hutch("tag", "nosuch:1", "x:1", check=False)
    assert r.returncode == 1 and "No such image: nosuch:1" in r.stderr


@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_save_and_load_round_trip(hutch: Hutch, tmp_path: Path, fmt: str) -> None:
    image_id = _import(hutch)
    archive = tmp_path / f"box-{fmt}.tar"
    hutch("save", "-o", str(archive), "--format", fmt, "hbox:1")
    with tarfile.open(archive) as t:
        names = set(t.getnames())
    assert ("manifest.json" in names) if fmt == "docker-archive" else ({"index.json", "oci-layout"} <= names)
    other = Hutch(tmp_path / "other-store", hutch.runroot)
    r = other("load", "-i", str(archive))
    assert r.stdout.strip() == "Loaded image: hbox:1", r.stdout
    assert other("images", "-q").stdout.strip() == image_id[7:19]  # the same image id
    r = other("run", "--rm", "hbox:1", "sh", "-c", "echo loaded; exit 4", check=False)
    assert r.returncode == 4 and r.stdout == "loaded\n"


def test_load_from_podman_save(hutch: Hutch, tmp_path: Path) -> None:
    """An archive `podman save` wrote (podman with a private store and config, no network)."""
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    from tests.integration.test_podman import CONF, Podman

    conf = tmp_path / "containers.conf"
    conf.write_text(CONF.format(runtime="/bin/false"))  # nothing runs: import and save only
    pm = Podman(f"hutch-pm-{secrets.token_hex(3)}", conf, "/bin/false")
    archive = tmp_path / "podman.tar"
    try:
        pm("import", str(hutch.tarball), "localhost/pmbox:7")  # type: ignore[attr-defined]
        pm("save", "-o", str(archive), "localhost/pmbox:7")
    finally:
        pm("rmi", "--all", "--force", check=False)
        for d in (pm.root, pm.runroot):
            shutil.rmtree(d, ignore_errors=True)
    r = hutch("load", "-i", str(archive))
    assert "Loaded image: localhost/pmbox:7" in r.stdout, r
    r = hutch("run", "--rm", "localhost/pmbox:7", "sh", "-c", "echo from-podman")
    assert r.stdout == "from-podman\n"


def test_load_refuses_a_tampered_archive(hutch: Hutch, tmp_path: Path) -> None:
    _import(hutch)
    good = tmp_path / "good.tar"
    hutch("save", "-o", str(good), "hbox:1")
    bad = tmp_path / "bad.tar"
    with tarfile.open(good) as src, tarfile.open(bad, "w") as dst:
        for m in src.getmembers():
            data = src.extractfile(m)
            if m.name.endswith("layer.tar") and data is not None:
                body = data.read() + b"\0" * 1024  # a different layer: its diff id no longer matches
                m.size = len(body)
                dst.addfile(m, io.BytesIO(body))
            else:
                dst.addfile(m, data)
    other = Hutch(tmp_path / "other-store", hutch.runroot)
    r = other("load", "-i", str(bad), check=False)
    assert r.returncode == 1 and "the config says" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r
    assert "hbox" not in other("images").stdout
    missing = tmp_path / "nothing.tar"
    r = other("load", "-i", str(missing), check=False)
    assert r.returncode == 1 and r.stderr == f"Error: open {missing}: no such file or directory\n", r


def test_exit_codes_as_docker(hutch: Hutch) -> None:
    """127: no such command; 126: not executable; the container's own status otherwise."""
    _import(hutch)
    assert hutch("run", "--rm", "hbox:1", "nosuchcmd", check=False).returncode == 127
    assert hutch("run", "--rm", "hbox:1", "/etc/passwd", check=False).returncode == 126
    assert hutch("run", "--rm", "hbox:1", "sh", "-c", "exit 1", check=False).returncode == 1
    assert hutch("run", "--rm", "hbox:1", "false", check=False).returncode == 1
    # a process that could not be run: the container stays Created, with the status and the
    # error (docker's State), already when `run -d` returns
    r = hutch("run", "-d", "--name", "nocmd", "hbox:1", "nosuchcmd", check=False)
    assert r.returncode == 127 and len(r.stderr.splitlines()) == 1, r
    assert hutch("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout == "nocmd Created\n"
    [doc] = json.loads(hutch("inspect", "nocmd").stdout)
    assert doc["State"]["Status"] == "created" and doc["State"]["ExitCode"] == 127
    assert "executable file not found" in doc["State"]["Error"]
    hutch("rm", "nocmd")


def test_a_full_disk_during_unpack_leaves_the_store_unchanged(hutch: Hutch, tmp_path: Path) -> None:
    """The blob fits, its unpacked snapshot does not: one line, and no blob, snapshot or
    ingest file is left (a 3 MiB tmpfs as the store)."""
    _import(hutch)  # the store's first image, on a disk with room
    small = tmp_path / "small-store"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "hutch-full", str(small)], check=True)
    try:
        h = Hutch(small, hutch.runroot)
        big = os.urandom(1600 * 1024)  # incompressible: the blob takes as much room as the file
        data = _tar([("big", big)])
        r = h("import", "-", "big:1", input=data, check=False)
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "No space left on device" in r.stderr and "Traceback" not in r.stderr
        images = small / "images"
        for sub in ("blobs/sha256", "snapshots", "ingest"):
            assert not (images / sub).exists() or not any((images / sub).iterdir()), sub
        assert "big" not in h("images").stdout
        # and with room again, the same import works
        subprocess.run(["mount", "-o", "remount,size=16m", str(small)], check=True)
        h("import", "-", "big:1", input=data)
        assert "big" in h("images").stdout
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


def test_references_are_normalised_everywhere(hutch: Hutch, tmp_path: Path, rootfs_template: Path) -> None:
    """docker's rules: an archive's docker.io/library/busybox:1.36 is busybox:1.36, by every verb."""
    from tests.support.ociimage import build_docker_archive, build_oci_archive

    archive = tmp_path / "docker.tar"
    build_docker_archive(rootfs_template, archive, "docker.io/library/busybox:1.36")
    assert "Loaded image: busybox:1.36" in hutch("load", "-i", str(archive)).stdout
    assert hutch("run", "--rm", "busybox:1.36", "echo", "short").stdout == "short\n"
    assert hutch("run", "--rm", "docker.io/library/busybox:1.36", "echo", "long").stdout == "long\n"
    assert hutch("run", "--rm", "library/busybox:1.36", "echo", "lib").stdout == "lib\n"
    hutch("tag", "index.docker.io/library/busybox:1.36", "team/app")
    rows = {tuple(line.split()[:2]) for line in hutch("images").stdout.splitlines()[1:]}
    assert rows == {("busybox", "1.36"), ("team/app", "latest")}
    doc = json.loads(hutch("image", "inspect", "docker.io/team/app:latest").stdout)[0]
    assert sorted(doc["RepoTags"]) == ["busybox:1.36", "team/app:latest"]
    out = tmp_path / "out.tar"
    hutch("save", "-o", str(out), "busybox:1.36")
    with tarfile.open(out) as t:
        manifest = json.load(t.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest[0]["RepoTags"] == ["busybox:1.36"]  # docker's short form, as docker save writes
    assert hutch("rmi", "docker.io/team/app").stdout == "Untagged: team/app:latest\n"
    # an OCI archive's full name too
    oci = tmp_path / "oci.tar"
    build_oci_archive(rootfs_template, oci, "docker.io/library/alpine:3")
    hutch("load", "-i", str(oci))
    assert hutch("run", "--rm", "alpine:3", "echo", "oci").stdout == "oci\n"
