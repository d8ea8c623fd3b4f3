"""Images from the real world (issue 11's interop bugs), on real containers: device nodes in
layers, compressed tarballs and layers, one-line errors for missing files, loads that fail
leaving the store as it was, `rmi` refusing as docker does, `save` to standard output.

Each test has its own store and runroot (the `hutch` fixture); podman, where it runs, has
its own private storage and configuration, removed at the end.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_engine import HUTCH, Hutch, _import, hutch  # noqa: F401
from tests.integration.test_engine_commit import _age

pytestmark = pytest.mark.root


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layers(h: Hutch, ref: str) -> list[str]:
    [doc] = json.loads(h("image", "inspect", ref).stdout)
    return list(doc["RootFS"]["Layers"])


def _store_state(h: Hutch) -> dict[str, object]:
    """What a failed load must leave exactly as it was."""
    images = h.root / "images"
    out: dict[str, object] = {"index.json": (images / "index.json").read_bytes()}
    for sub in ("blobs/sha256", "snapshots", "ingest"):
        out[sub] = sorted(os.listdir(images / sub)) if (images / sub).exists() else None
    return out


# ---- device nodes ------------------------------------------------------------------------

def _with_devices(template: Path, out: Path) -> Path:
    """The busybox rootfs plus /hdev: a /dev/null-like char device (1:3), a loop-like
    block device (7:0), a fifo, and a 0:0 char device (overlayfs's own whiteout)."""
    with tarfile.open(out, "w") as t:
        t.add(template, arcname=".")
        d = tarfile.TarInfo("hdev")
        d.type, d.mode = tarfile.DIRTYPE, 0o755
        t.addfile(d)
        for name, kind, major, minor, mode in (("null", tarfile.CHRTYPE, 1, 3, 0o666),
                                               ("loop", tarfile.BLKTYPE, 7, 0, 0o660),
                                               ("fifo", tarfile.FIFOTYPE, 0, 0, 0o640),
                                               ("gone", tarfile.CHRTYPE, 0, 0, 0o000)):
            ti = tarfile.TarInfo(f"hdev/{name}")
            ti.type, ti.devmajor, ti.devminor, ti.mode, ti.gid = kind, major, minor, mode, 6
            t.addfile(ti)
    return out


STAT = "stat -c '%n %F %t:%T %a %g' /hdev/fifo /hdev/loop /hdev/null; test -e /hdev/gone || echo hidden"
WANT_STAT = ["/hdev/fifo fifo 0:0 640 6", "/hdev/loop block special file 7:0 660 6",
             "/hdev/null character special file 1:3 666 6", "hidden"]


def _check_devices(h: Hutch, ref: str) -> None:
    r = h("run", "--rm", ref, "sh", "-c", STAT)
    # the 0:0 device is a whiteout in the lowest layer: overlayfs hides it (and nothing under it)
    assert r.stdout.splitlines() == WANT_STAT, r.stdout
    # the devices cgroup still guards them, as docker's: 1:3 is in its allow list, 7:0 is not
    r = h("run", "--rm", ref, "sh", "-c",
          "echo x > /hdev/null && echo null-writable; head -c 1 /hdev/loop; echo rc=$?", check=False)
    assert r.stdout.splitlines() == ["null-writable", "rc=1"], r
    assert "Operation not permitted" in r.stderr, r.stderr


def test_device_nodes_in_an_imported_rootfs(hutch: Hutch, tmp_path: Path,  # noqa: F811
                                            rootfs_template: Path) -> None:
    tarball = _with_devices(rootfs_template, tmp_path / "devices.tar")
    hutch("import", str(tarball), "hdev:1")
    [layer] = _layers(hutch, "hdev:1")
    snap = hutch.root / "images" / "snapshots" / layer.removeprefix("sha256:") / "fs" / "hdev"
    st = os.lstat(snap / "loop")
    assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == (7, 0)
    gone = os.lstat(snap / "gone")
    assert gone.st_rdev == 0 and oct(gone.st_mode) == oct(0o20000)  # made as it is: a whiteout
    _check_devices(hutch, "hdev:1")


def test_device_nodes_in_a_podman_saved_image(hutch: Hutch, tmp_path: Path,  # noqa: F811
                                              rootfs_template: Path) -> None:
    """`podman import` of a rootfs with device nodes, `podman save`, `hutch load`, run."""
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    from tests.integration.test_podman import CONF, Podman

    tarball = _with_devices(rootfs_template, tmp_path / "devices.tar")
    conf = tmp_path / "containers.conf"
    conf.write_text(CONF.format(runtime="/bin/false"))  # nothing runs: import and save only
    pm = Podman(f"hutch-pm-{secrets.token_hex(3)}", conf, "/bin/false")
    archive = tmp_path / "podman.tar"
    try:
        pm("import", str(tarball), "localhost/pmdev:1")
        pm("save", "-o", str(archive), "localhost/pmdev:1")
    finally:
        pm("rmi", "--all", "--force", check=False)
        for d in (pm.root, pm.runroot):
            shutil.rmtree(d, ignore_errors=True)
    with tarfile.open(archive) as t:  # podman's layer does carry them
        [layer] = [m for m in t.getmembers() if m.name.endswith(".tar") and m.size > 1 << 20]
        f = t.extractfile(layer)
        assert f is not None
        with tarfile.open(fileobj=f, mode="r|") as inner:
            devs = {m.name.removeprefix("./"): (m.type, m.devmajor, m.devminor)
                    for m in inner if m.ischr() or m.isblk()}
    assert devs["hdev/loop"] == (tarfile.BLKTYPE, 7, 0) and devs["hdev/null"] == (tarfile.CHRTYPE, 1, 3)
    assert "Loaded image: localhost/pmdev:1" in hutch("load", "-i", str(archive)).stdout
    _check_devices(hutch, "localhost/pmdev:1")


# ---- compression -------------------------------------------------------------------------

COMPRESSORS = {"gz": ["gzip"], "bz2": ["bzip2"], "xz": ["xz"], "zst": ["zstd", "-q"]}


def _compress(data: bytes, ext: str) -> bytes:
    return subprocess.run([*COMPRESSORS[ext], "-c"], input=data, capture_output=True, check=True).stdout


def test_import_compressed_tarballs(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    """.tar, .tar.gz, .tar.bz2, .tar.xz, .tar.zst (made by the CLIs, and .tar.zst from
    standard input): one and the same layer, uncompressed, and each runs."""
    for tool in ("gzip", "bzip2", "xz", "zstd"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    plain = Path(hutch.tarball)  # type: ignore[attr-defined]
    diff_id = _sha(plain.read_bytes())
    hutch("import", str(plain), "plain:1")
    assert _layers(hutch, "plain:1") == [diff_id]
    for ext, cmd in COMPRESSORS.items():
        path = tmp_path / f"rootfs.tar.{ext}"
        subprocess.run([*cmd, "-k", "-c", str(plain)], stdout=path.open("wb"), check=True)
        hutch("import", str(path), f"c{ext}:1")
        assert _layers(hutch, f"c{ext}:1") == [diff_id], ext
        assert hutch("run", "--rm", f"c{ext}:1", "echo", ext).stdout == f"{ext}\n"
    hutch("import", "-", "stdin:1", input=(tmp_path / "rootfs.tar.zst").read_bytes())
    assert _layers(hutch, "stdin:1") == [diff_id]
    blob = hutch.root / "images" / "blobs" / "sha256" / diff_id.removeprefix("sha256:")
    assert blob.read_bytes() == plain.read_bytes()  # the layer is stored uncompressed
    # a compressed tarball cut short is one line, and leaves nothing
    before = _store_state(hutch)
    cut = (tmp_path / "rootfs.tar.xz").read_bytes()
    for data, words in ((cut[:len(cut) // 2], "bad xz stream"),
                        ((tmp_path / "rootfs.tar.zst").read_bytes()[:5000], "bad zstd stream")):
        r = hutch("import", "-", "cut:1", input=data, check=False)
        assert r.returncode == 1 and words in r.stderr and len(r.stderr.splitlines()) == 1, r
        assert _store_state(hutch) == before


def test_save_of_an_xz_import_loads_into_podman(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    plain = Path(hutch.tarball)  # type: ignore[attr-defined]
    diff_id = _sha(plain.read_bytes())
    xz = tmp_path / "rootfs.tar.xz"
    xz.write_bytes(_compress(plain.read_bytes(), "xz"))
    hutch("import", str(xz), "localhost/xzbox:1")
    archive = tmp_path / "xz.tar"
    hutch("save", "-o", str(archive), "localhost/xzbox:1")
    with tarfile.open(archive) as t:
        [layer] = [n for n in t.getnames() if n.endswith("layer.tar")]
        f = t.extractfile(layer)
        assert f is not None and _sha(f.read()) == diff_id  # a plain tar, whose sha256 is the diff id
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    from tests.integration.test_podman import CONF, Podman

    conf = tmp_path / "containers.conf"
    conf.write_text(CONF.format(runtime="/bin/false"))
    pm = Podman(f"hutch-pm-{secrets.token_hex(3)}", conf, "/bin/false")
    try:
        r = pm("load", "-i", str(archive))
        assert "localhost/xzbox:1" in r.stdout, r.stdout
        [doc] = json.loads(pm("image", "inspect", "localhost/xzbox:1").stdout)
        assert doc["RootFS"]["Layers"] == [diff_id]
    finally:
        pm("rmi", "--all", "--force", check=False)
        for d in (pm.root, pm.runroot):
            shutil.rmtree(d, ignore_errors=True)


def _rewrite(src: Path, dst: Path, change: dict[str, bytes]) -> None:
    """A copy of the tar ``src`` with the members in ``change`` given new contents (a
    name not in ``src`` is added)."""
    with tarfile.open(src) as s, tarfile.open(dst, "w") as d:
        for m in s.getmembers():
            if m.name in change:
                continue
            d.addfile(m, s.extractfile(m) if m.isfile() else None)
        for name, data in change.items():
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode = len(data), 0o644
            d.addfile(ti, io.BytesIO(data))


def _zstd_docker_archive(good: Path, out: Path) -> None:
    with tarfile.open(good) as t:
        layers = {m.name: t.extractfile(m).read() for m in t.getmembers()  # type: ignore[union-attr]
                  if m.name.endswith("layer.tar")}
    _rewrite(good, out, {name: _compress(data, "zst") for name, data in layers.items()})


def _zstd_oci_archive(good: Path, out: Path) -> None:
    """The OCI archive's layers as zstd blobs (media type +zstd), its manifest and index
    updated to name them."""
    with tarfile.open(good) as t:
        blob = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}  # type: ignore[union-attr]
    index = json.loads(blob["index.json"])
    change: dict[str, bytes] = {}
    for desc in index["manifests"]:
        manifest = json.loads(blob["blobs/sha256/" + desc["digest"].removeprefix("sha256:")])
        for layer in manifest["layers"]:
            data = _compress(blob["blobs/sha256/" + layer["digest"].removeprefix("sha256:")], "zst")
            layer.update(mediaType="application/vnd.oci.image.layer.v1.tar+zstd", digest=_sha(data),
                         size=len(data))
            change["blobs/sha256/" + _sha(data).removeprefix("sha256:")] = data
        mbytes = json.dumps(manifest).encode()
        change["blobs/sha256/" + _sha(mbytes).removeprefix("sha256:")] = mbytes
        desc.update(digest=_sha(mbytes), size=len(mbytes))
    change["index.json"] = json.dumps(index).encode()
    _rewrite(good, out, change)


@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_load_archives_with_zstd_layers(hutch: Hutch, tmp_path: Path, fmt: str) -> None:  # noqa: F811
    if not shutil.which("zstd"):
        pytest.skip("zstd is not installed")
    image_id = _import(hutch)
    good, zst = tmp_path / "good.tar", tmp_path / "zstd.tar"
    hutch("save", "-o", str(good), "--format", fmt, "hbox:1")
    (_zstd_docker_archive if fmt == "docker-archive" else _zstd_oci_archive)(good, zst)
    other = Hutch(tmp_path / "other-store", hutch.runroot)
    assert other("load", "-i", str(zst)).stdout.strip() == "Loaded image: hbox:1"
    assert other("images", "-q").stdout.strip() == image_id[7:19]  # the same config: the same id
    assert _layers(other, "hbox:1") == _layers(hutch, "hbox:1")
    assert other("run", "--rm", "hbox:1", "echo", "zstd").stdout == "zstd\n"


# ---- one-line errors ---------------------------------------------------------------------

def test_missing_and_bad_files_are_one_line(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    missing, junk = tmp_path / "missing.tar", tmp_path / "junk.bin"
    junk.write_bytes(b"this is not a tar archive\n" * 40)
    cases = [
        (["import", str(missing)], f"Error: open {missing}: no such file or directory\n"),
        (["import", str(tmp_path)], f"Error: open {tmp_path}: is a directory\n"),
        (["load", "-i", str(missing)], f"Error: open {missing}: no such file or directory\n"),
        (["load", "-i", str(junk)], f"Error: load {junk}: not a tar archive\n"),
        (["load"], "Error: requested load from stdin, but stdin is empty\n"),
    ]
    for args, want in cases:
        r = hutch(*args, check=False, input=b"")
        assert (r.returncode, r.stderr, r.stdout) == (1, want, ""), (args, r)
    r = hutch("load", check=False, input=junk.read_bytes())
    assert (r.returncode, r.stderr) == (1, "Error: load standard input: not a tar archive\n"), r


# ---- a failed load leaves nothing --------------------------------------------------------

def _docker_archive_parts(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as t:
        return {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}  # type: ignore[union-attr]


def _write_archive(path: Path, parts: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as t:
        for name, data in parts.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return path


def _bad_archives(good: Path, good_oci: Path, tmp: Path) -> Iterator[tuple[str, Path, str]]:
    parts = _docker_archive_parts(good)
    [manifest] = json.loads(parts["manifest.json"])
    [layer] = manifest["Layers"]
    body = parts[layer]
    # a layer whose content is not the config's diff id
    yield "diff id", _write_archive(tmp / "a.tar", {**parts, layer: body + b"\0" * 1024}), "the config says"
    # a gzip'd layer cut short
    cut = gzip.compress(body)[:30000]
    yield "cut", _write_archive(tmp / "b.tar", {**parts, layer: cut}), "bad gzip stream"
    # a layer that is not a tar, its diff id in a config of its own (a new image id): the
    # blob goes in, the config and manifest too, and unpacking it fails
    junk = b"not a tar at all " * 4096
    config = json.loads(parts[manifest["Config"]])
    config["rootfs"]["diff_ids"] = [_sha(junk)]
    cbytes = json.dumps(config).encode()
    entry = {**manifest, "Config": "junk.json", "Layers": ["junk/layer.tar"], "RepoTags": ["junk:1"]}
    yield "not a tar", _write_archive(tmp / "c.tar", {**parts, "junk.json": cbytes, "junk/layer.tar": junk,
                                                     "manifest.json": json.dumps([entry]).encode()}), \
        "not a tar archive"
    # two images, the second bad: the first is not named either (all or nothing)
    second = {**manifest, "Layers": [layer + ".bad"], "RepoTags": ["second:1"]}
    yield "second image", _write_archive(tmp / "d.tar", {
        **parts, layer + ".bad": body + b"\0" * 1024,
        "manifest.json": json.dumps([manifest, second]).encode()}), "the config says"
    # an OCI archive whose layer is gzip'd under its plain digest: the diff id matches (so
    # the uncompressed blob is written), the blob's digest does not
    oparts = _docker_archive_parts(good_oci)
    index = json.loads(oparts["index.json"])
    mname = "blobs/sha256/" + index["manifests"][0]["digest"].removeprefix("sha256:")
    omanifest = json.loads(oparts[mname])
    lname = "blobs/sha256/" + omanifest["layers"][0]["digest"].removeprefix("sha256:")
    omanifest["layers"][0]["mediaType"] += "+gzip"
    mbytes = json.dumps(omanifest).encode()
    index["manifests"][0]["digest"], index["manifests"][0]["size"] = _sha(mbytes), len(mbytes)
    yield "blob digest", _write_archive(tmp / "e.tar", {
        **oparts, lname: gzip.compress(oparts[lname]), "blobs/sha256/" + _sha(mbytes)[7:]: mbytes,
        "index.json": json.dumps(index).encode()}), "does not match its digest"


def test_a_failed_load_leaves_the_store_as_it_was(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    _import(hutch)
    good, good_oci = tmp_path / "good.tar", tmp_path / "good-oci.tar"
    hutch("save", "-o", str(good), "hbox:1")
    hutch("save", "-o", str(good_oci), "--format", "oci-archive", "hbox:1")
    fresh = Hutch(tmp_path / "fresh-store", hutch.runroot)  # has the same layer, another image
    fresh("import", str(hutch.tarball), "mine:1")  # type: ignore[attr-defined]
    layer_blob = _layers(fresh, "mine:1")[0].removeprefix("sha256:")
    for what, archive, words in _bad_archives(good, good_oci, tmp_path):
        before = _store_state(fresh)
        r = fresh("load", "-i", str(archive), check=False)
        assert r.returncode == 1 and words in r.stderr and len(r.stderr.splitlines()) == 1, (what, r)
        assert _store_state(fresh) == before, what
        assert layer_blob in os.listdir(fresh.root / "images" / "blobs" / "sha256")  # it was there before
    # and in an empty store, a bad load leaves no blob and no snapshot
    empty = Hutch(tmp_path / "empty-store", hutch.runroot)
    for what, archive, _words in _bad_archives(good, good_oci, tmp_path):
        assert empty("load", "-i", str(archive), check=False).returncode == 1, what
        images = empty.root / "images"
        for sub in ("blobs/sha256", "snapshots", "ingest"):
            assert not (images / sub).exists() or os.listdir(images / sub) == [], (what, sub)
        assert "hbox" not in empty("images").stdout and "second" not in empty("images").stdout
    assert fresh("load", "-i", str(good)).stdout.strip() == "Loaded image: hbox:1"  # the good one loads


# ---- rmi ---------------------------------------------------------------------------------

def test_rmi_refuses_as_docker_when_a_container_uses_the_image(hutch: Hutch) -> None:  # noqa: F811
    image_id = _import(hutch)
    short = image_id[7:19]
    cid = hutch("create", "--name", "user", "hbox:1", "echo", "ran").stdout.strip()
    # the last name of an image a (created, not started) container uses
    r = hutch("rmi", "hbox:1", check=False)
    assert r.returncode == 1 and r.stderr == (
        f'Error: conflict: unable to remove repository reference "hbox:1" (must force) - container '
        f"{cid[:12]} is using its referenced image {short}\n"), r.stderr
    # another name: untagging one of two is fine
    hutch("tag", "hbox:1", "hbox:2")
    hutch("tag", "hbox:1", "hbox:3")
    assert hutch("rmi", "hbox:3").stdout == "Untagged: hbox:3\n"
    r = hutch("rmi", image_id, check=False)  # by id, with two names
    assert r.returncode == 1 and r.stderr == (
        f"Error: conflict: unable to delete {short} (must be forced) - image is referenced in multiple "
        f"repositories\n"), r.stderr
    assert hutch("rmi", "hbox:2").stdout == "Untagged: hbox:2\n"
    r = hutch("rmi", short, check=False)  # by id, one name, a stopped container
    assert r.returncode == 1 and r.stderr == (
        f"Error: conflict: unable to delete {short} (must be forced) - image is being used by stopped "
        f"container {cid[:12]}\n"), r.stderr
    # a running container: not even -f deletes by id
    hutch("run", "-d", "--name", "runner", "hbox:1", "sleep", "300")
    r = hutch("rmi", "-f", short, check=False)
    assert r.returncode == 1 and "(cannot be forced) - image is being used by running container" in r.stderr
    # -f on the last name untags; the image stays, as <none>, while containers use it
    assert hutch("rmi", "-f", "hbox:1").stdout == "Untagged: hbox:1\n"
    rows = hutch("images").stdout.splitlines()[1:]
    assert [r.split()[:3] for r in rows] == [["<none>", "<none>", short]], rows
    assert hutch("start", "-a", "user").stdout == "ran\n"  # the stopped container still starts
    # prune keeps what they use, even with -a
    _age(hutch)
    hutch("image", "prune", "-a", "-f")
    assert hutch("images", "-q").stdout.split() == [short]
    assert hutch("start", "-a", "user").stdout == "ran\n"
    hutch("rm", "-f", "runner")
    # by id with -f and only a stopped user: deleted, as docker's (daemon/images/image_delete.go:
    # a stopped container is a soft conflict, which -f overrides); the container still starts
    assert hutch("rmi", "-f", short).stdout == f"Deleted: {image_id}\n"
    assert hutch("images", "-q").stdout == ""
    assert hutch("start", "-a", "user").stdout == "ran\n"
    hutch("rm", "user")
    _age(hutch)
    hutch("image", "prune", "-a", "-f")
    assert os.listdir(hutch.root / "images" / "blobs" / "sha256") == []
    assert os.listdir(hutch.root / "images" / "snapshots") == []


# ---- save to standard output -------------------------------------------------------------

def test_save_to_stdout_and_load_from_stdin(hutch: Hutch, tmp_path: Path) -> None:  # noqa: F811
    image_id = _import(hutch)
    other = Hutch(tmp_path / "other-store", hutch.runroot)
    base = [str(HUTCH), "--runroot", hutch.runroot, "--root"]
    save = subprocess.Popen([*base, str(hutch.root), "save", "hbox:1"], stdout=subprocess.PIPE)
    load = subprocess.run([*base, str(other.root), "load"], stdin=save.stdout, capture_output=True,
                          timeout=60, check=False)
    assert save.stdout is not None
    save.stdout.close()
    assert save.wait(timeout=60) == 0 and load.returncode == 0, load.stderr
    assert load.stdout == b"Loaded image: hbox:1\n"
    assert other("images", "-q").stdout.strip() == image_id[7:19]
    assert other("run", "--rm", "hbox:1", "echo", "piped").stdout == "piped\n"
    # the oci-archive format too, read back as a tar
    data = subprocess.run([*base, str(hutch.root), "save", "--format", "oci-archive", "hbox:1"],
                          capture_output=True, check=True, timeout=60).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        assert {"index.json", "oci-layout"} <= set(t.getnames())
    # a terminal: refused, as docker does; a name that is not there: nothing written
    import pty

    main, sub = pty.openpty()
    try:
        r = subprocess.run([*base, str(hutch.root), "save", "hbox:1"], stdout=sub, stderr=subprocess.PIPE,
                           timeout=60, check=False)
    finally:
        os.close(sub)
        os.close(main)
    assert r.returncode == 1 and r.stderr == (
        b"Error: cowardly refusing to save to a terminal. Use the -o flag or redirect\n")
    r2 = hutch("save", "nosuch:1", check=False)
    assert r2.returncode == 1 and r2.stdout == "" and "No such image: nosuch:1" in r2.stderr
