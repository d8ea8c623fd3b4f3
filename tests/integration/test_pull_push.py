"""`hutch pull` and `hutch push` against a real registry (Debian's docker-registry on
127.0.0.1), with skopeo and podman as the independent clients on the other side, and a
proxy that corrupts, cuts and stalls blobs. Every pulled image is run."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_engine import HUTCH, Hutch, hutch  # noqa: F401  # the fixture
from tests.support.registry import (
    BUSYBOX_LAYERS,
    Proxy,
    Registry,
    oci_index_layout,
    oci_layout_from_rootfs,
    skopeo_inspect_raw,
    skopeo_push,
)

pytestmark = [pytest.mark.root,
              pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")]


@pytest.fixture(scope="module")
def pushed(registry: Registry, tmp_path_factory: pytest.TempPathFactory,
           rootfs_template: Path) -> dict[str, Any]:
    """Images skopeo pushed: a 4-layer busybox (gzip, with a whiteout) as OCI and as docker
    schema2, and a two-platform index."""
    d = tmp_path_factory.mktemp("layouts")
    bb = oci_layout_from_rootfs(rootfs_template, d / "bb", tag="4", layers=BUSYBOX_LAYERS)
    index = oci_index_layout(rootfs_template, d / "multi", tag="1")
    return {
        "bb": bb,
        "bb_digest": skopeo_push(d / "bb", registry, "library/bb:4", compress=None),
        "v2_digest": skopeo_push(d / "bb", registry, "v2/bb:1", format="v2s2"),
        "index": index,
        "index_digest": skopeo_push(d / "multi", registry, "multi/bb:1", all=True, compress=None),
    }


def _store_files(h: Hutch) -> dict[str, list[str]]:
    out = {}
    for part in ("blobs/sha256", "snapshots"):
        p = h.root / "images" / part
        out[part] = sorted(os.listdir(p)) if p.is_dir() else []
    return out


def test_pull_runs_and_records_digests(hutch: Hutch, registry: Registry, pushed: dict[str, Any]) -> None:  # noqa: F811
    ref = f"{registry.host}/library/bb:4"
    r = hutch("pull", ref)
    lines = r.stdout.splitlines()
    assert lines[0] == "4: Pulling from library/bb", r.stdout
    assert sum(line.endswith(": Pull complete") for line in lines) == 4, r.stdout
    assert any(line.endswith(": Downloading") for line in lines) and \
        any(line.endswith(": Verifying Checksum") for line in lines), r.stdout
    assert f"Digest: {pushed['bb_digest']}" in lines
    assert f"Status: Downloaded newer image for {ref}" in lines
    assert lines[-1] == ref
    # the image as it came: four layers, the whiteout applied, docker's default command
    out = hutch("run", "--rm", ref, "sh", "-c", "cat /etc/motd; test -e /etc/hutch-removed || echo gone")
    assert out.stdout == "hutch test image\ngone\n"
    doc = json.loads(hutch("image", "inspect", ref).stdout)[0]
    assert doc["RepoTags"] == [ref]
    assert doc["RepoDigests"] == [f"{registry.host}/library/bb@{pushed['bb_digest']}"]
    assert doc["RootFS"]["Layers"] == pushed["bb"].diff_ids
    rows = hutch("images", "--digests").stdout.splitlines()
    assert rows[0].split()[:3] == ["REPOSITORY", "TAG", "DIGEST"]
    assert rows[1].split()[:3] == [f"{registry.host}/library/bb", "4", pushed["bb_digest"]]
    # again: nothing to do; -q: the name alone; by digest: the same image
    again = hutch("pull", ref).stdout
    assert f"Status: Image is up to date for {ref}" in again and "Pull complete" not in again
    assert hutch("pull", "-q", ref).stdout == ref + "\n"
    by_digest = f"{registry.host}/library/bb@{pushed['bb_digest']}"
    assert "Image is up to date" in hutch("pull", by_digest).stdout
    assert hutch("run", "--rm", by_digest, "cat", "/etc/motd").stdout == "hutch test image\n"


def test_pull_docker_schema2(hutch: Hutch, registry: Registry, pushed: dict[str, Any]) -> None:  # noqa: F811
    ref = f"{registry.host}/v2/bb:1"
    raw = json.loads(skopeo_inspect_raw(registry, "v2/bb:1"))
    assert raw["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert f"Digest: {pushed['v2_digest']}" in hutch("pull", ref).stdout
    assert hutch("run", "--rm", ref, "cat", "/etc/motd").stdout == "hutch test image\n"


def test_pull_picks_the_platform_from_an_index(hutch: Hutch, registry: Registry,  # noqa: F811
                                               pushed: dict[str, Any]) -> None:
    ref = f"{registry.host}/multi/bb:1"
    r = hutch("pull", ref)
    assert f"Digest: {pushed['index_digest']}" in r.stdout  # the index's, as docker shows it
    assert hutch("run", "--rm", ref, "cat", "/arch").stdout.strip() == "amd64"
    doc = json.loads(hutch("image", "inspect", ref).stdout)[0]
    assert doc["Architecture"] == "amd64"
    assert doc["RepoDigests"] == [f"{registry.host}/multi/bb@{pushed['index_digest']}"]
    hutch("pull", "--platform", "linux/arm64", ref)
    doc = json.loads(hutch("image", "inspect", ref).stdout)[0]
    assert doc["Architecture"] == "arm64"
    assert hutch("run", "--rm", ref, "cat", "/arch").stdout.strip() == "arm64"  # busybox is amd64 inside
    bad = hutch("pull", "--platform", "windows/amd64", ref, check=False)
    assert bad.returncode == 1 and "no matching manifest for windows/amd64" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_pull_zstd_layers(hutch: Hutch, fresh_registry: Registry, pushed: dict[str, Any]) -> None:  # noqa: F811
    skopeo_push(pushed["bb"].path, fresh_registry, "z/bb:1", compress="zstd")
    raw = json.loads(skopeo_inspect_raw(fresh_registry, "z/bb:1"))
    assert {layer["mediaType"] for layer in raw["layers"]} == {"application/vnd.oci.image.layer.v1.tar+zstd"}
    ref = f"{fresh_registry.host}/z/bb:1"
    hutch("pull", ref)
    assert hutch("run", "--rm", ref, "cat", "/etc/motd").stdout == "hutch test image\n"
    doc = json.loads(hutch("image", "inspect", ref).stdout)[0]
    assert doc["RootFS"]["Layers"] == pushed["bb"].diff_ids  # the same content, checked at unpack


def test_a_corrupted_blob_is_refused_and_nothing_is_named(hutch: Hutch, proxy: Proxy,  # noqa: F811
                                                         pushed: dict[str, Any]) -> None:
    before = _store_files(hutch)
    bad = pushed["bb"].layers[1]
    proxy.corrupt(bad)
    r = hutch("pull", f"{proxy.host}/library/bb:4", check=False)
    assert r.returncode == 1, r
    assert bad in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert hutch("images", "-q").stdout == ""
    assert _store_files(hutch) == before
    ingest = hutch.root / "images" / "ingest"
    assert not any(n.startswith(bad[7:]) for n in os.listdir(ingest)) if ingest.is_dir() else True


def test_a_cut_download_resumes_where_it_stopped(hutch: Hutch, proxy: Proxy,  # noqa: F811
                                                 pushed: dict[str, Any]) -> None:
    big = pushed["bb"].layers[0]  # busybox itself: ~1 MB
    proxy.cut(big, 300_000)
    ref = f"{proxy.host}/library/bb:4"
    hutch("pull", ref)
    gets = proxy.blob_gets(big)
    assert len(gets) == 2, gets
    assert gets[1].headers.get("Range", "").startswith("bytes="), gets
    assert int(gets[1].headers["Range"][6:].rstrip("-")) > 0
    assert hutch("run", "--rm", ref, "cat", "/etc/motd").stdout == "hutch test image\n"


def test_a_killed_pull_resumes_on_the_next_pull(hutch: Hutch, proxy: Proxy,  # noqa: F811
                                                pushed: dict[str, Any]) -> None:
    big = pushed["bb"].layers[0]
    proxy.cut(big, 400_000, stall=30)  # 400 kB, then nothing: the pull is killed meanwhile
    ref = f"{proxy.host}/library/bb:4"
    partial = hutch.root / "images" / "ingest" / f"{big[7:]}.partial"
    p = subprocess.Popen([str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "pull", ref],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not (partial.exists() and partial.stat().st_size >= 400_000):
            assert time.monotonic() < deadline and p.poll() is None, "the pull did not get its 400 kB"
            time.sleep(0.05)
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    assert hutch("images", "-q").stdout == ""  # nothing named
    hutch("pull", ref)
    gets = proxy.blob_gets(big)
    assert gets[-1].headers.get("Range") == "bytes=400000-", gets
    assert not partial.exists()
    assert hutch("run", "--rm", ref, "cat", "/etc/motd").stdout == "hutch test image\n"


def test_retries_on_server_errors(hutch: Hutch, proxy: Proxy, pushed: dict[str, Any]) -> None:  # noqa: F811
    proxy.fail("/blobs/", 503, times=2)
    proxy.fail("/manifests/", 429, times=1)
    ref = f"{proxy.host}/library/bb:4"
    hutch("pull", ref)
    assert hutch("run", "--rm", ref, "cat", "/etc/motd").stdout == "hutch test image\n"


def test_run_and_create_pull_a_missing_image(hutch: Hutch, registry: Registry,  # noqa: F811
                                             pushed: dict[str, Any]) -> None:
    ref = f"{registry.host}/library/bb:4"
    never = hutch("run", "--rm", "--pull", "never", ref, "true", check=False)
    assert never.returncode == 125 and "No such image" in never.stderr
    r = hutch("run", "--rm", ref, "cat", "/etc/motd")
    assert r.stdout == "hutch test image\n"
    assert f"Unable to find image '{ref}' locally" in r.stderr and "Pull complete" in r.stderr
    r = hutch("create", "--pull", "always", ref, "true")
    assert "Image is up to date" in r.stderr and len(r.stdout.strip()) == 64
    missing = hutch("run", "--rm", f"{registry.host}/library/nothing:1", "true", check=False)
    assert missing.returncode == 125 and "not found" in missing.stderr, missing


def test_pull_errors_are_one_line(hutch: Hutch, registry: Registry, pushed: dict[str, Any]) -> None:  # noqa: F811
    for args, words in [
        ([f"{registry.host}/library/bb:nope"], "manifest for"),
        ([f"{registry.host}/nobody/here"], "not found"),
        (["bad/Name"], "invalid reference format"),
        (["--platform", "a/b/c/d", f"{registry.host}/library/bb:4"], "invalid platform"),
        ([f"{registry.host}/library/bb:4", "--max-concurrent-downloads", "0"], "max-concurrent-downloads"),
    ]:
        r = hutch("pull", *args, check=False)
        assert r.returncode == 1 and words in r.stderr, (args, r)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr


def test_all_tags(hutch: Hutch, registry: Registry, pushed: dict[str, Any]) -> None:  # noqa: F811
    skopeo_push(pushed["bb"].path, registry, "tags/bb:a", compress=None)
    skopeo_push(pushed["bb"].path, registry, "tags/bb:b", compress=None)
    r = hutch("pull", "--all-tags", f"{registry.host}/tags/bb")
    assert r.stdout.splitlines()[-1] == f"{registry.host}/tags/bb:b"
    tags = {line.split()[1] for line in hutch("images").stdout.splitlines()[1:]}
    assert tags == {"a", "b"}


def test_push_round_trip(hutch: Hutch, fresh_registry: Registry, tmp_path: Path) -> None:  # noqa: F811
    reg = fresh_registry.host
    hutch("import", str(hutch.tarball), f"{reg}/mine/box:1")  # type: ignore[attr-defined]
    r = hutch("push", f"{reg}/mine/box:1")
    lines = r.stdout.splitlines()
    assert lines[0] == f"The push refers to repository [{reg}/mine/box]"
    assert any(line.endswith(": Pushed") for line in lines), r.stdout
    tail = lines[-1].split()
    assert tail[0] == "1:" and tail[1] == "digest:" and tail[3] == "size:", r.stdout
    digest = tail[2]
    assert json.loads(subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{reg}/mine/box:1"],
        capture_output=True, check=True).stdout)["Digest"] == digest
    doc = json.loads(hutch("image", "inspect", f"{reg}/mine/box:1").stdout)[0]
    assert doc["RepoDigests"] == [f"{reg}/mine/box@{digest}"]
    assert "Layer already exists" in hutch("push", f"{reg}/mine/box:1").stdout
    # another repository of the same registry: the layer is mounted, not uploaded
    hutch("tag", f"{reg}/mine/box:1", f"{reg}/other/box:2")
    assert "Mounted from mine/box" in hutch("push", f"{reg}/other/box:2").stdout
    # a destination of its own, in chunks
    r = hutch("push", "-q", "--chunk-size", "65536", f"{reg}/mine/box:1", f"{reg}/chunked/box:3")
    assert r.stdout.strip() == digest
    # and back, into an empty store, by another engine's pull
    other = Hutch(tmp_path / "store2", hutch.runroot)
    other("pull", f"{reg}/chunked/box:3")
    r = other("run", "--rm", f"{reg}/chunked/box:3", "sh", "-c", "echo round trip")
    assert r.stdout == "round trip\n"
    for ref, words in [(f"{reg}/missing/x:1", "No such image"), (f"{reg}/mine/box@sha256:{'0' * 64}", "")]:
        bad = hutch("push", ref, check=False)
        assert bad.returncode == 1 and words in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_podman_pulls_what_hutch_pushed_and_the_reverse(hutch: Hutch, fresh_registry: Registry,  # noqa: F811
                                                        tmp_path: Path, hutch_runtime_bin: Path) -> None:
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    from tests.integration.test_podman import CONF, Podman, forget_default_root

    had_default_root = os.path.exists("/run/hutch")
    reg = fresh_registry.host
    conf = tmp_path / "containers.conf"
    conf.write_text(CONF.format(runtime=hutch_runtime_bin))
    pm = Podman(f"hutch-pm-{secrets.token_hex(3)}", conf, str(hutch_runtime_bin))
    try:
        hutch("import", str(hutch.tarball), f"{reg}/from/hutch:1")  # type: ignore[attr-defined]
        hutch("push", f"{reg}/from/hutch:1")
        pm("pull", "--tls-verify=false", f"{reg}/from/hutch:1")
        r = pm.run("--rm", f"{reg}/from/hutch:1", "sh", "-c", "echo hutch-pushed")
        assert r.stdout == "hutch-pushed\n"
        pm("tag", f"{reg}/from/hutch:1", f"{reg}/from/podman:2")
        pm("push", "--tls-verify=false", f"{reg}/from/podman:2")
        hutch("rmi", f"{reg}/from/hutch:1")
        hutch("pull", f"{reg}/from/podman:2")
        assert hutch("run", "--rm", f"{reg}/from/podman:2", "sh", "-c", "echo podman-pushed").stdout == \
            "podman-pushed\n"
    finally:
        pm("rm", "--all", "--force", "--time", "0", check=False)
        pm("rmi", "--all", "--force", check=False)
        from tests.support.daemons import remove_cgroup_parent, unmount_under

        unmount_under(pm.root)
        for d in (pm.root, pm.runroot):
            shutil.rmtree(d, ignore_errors=True)
        remove_cgroup_parent(pm.parent)
        forget_default_root(had_default_root)


def test_python_api_pull_and_push(hutch: Hutch, registry: Registry, fresh_registry: Registry,  # noqa: F811
                                  pushed: dict[str, Any]) -> None:
    import hutch as hutch_api

    with hutch_api.Client(root=str(hutch.root), runroot=hutch.runroot) as client:
        image = client.images.pull(f"{registry.host}/library/bb", "4")
        assert image.repo_digests == [f"{registry.host}/library/bb@{pushed['bb_digest']}"]
        client.images.get(f"{registry.host}/library/bb:4")
        # docker-py's run pulls a missing image
        out = client.containers.run(f"{registry.host}/v2/bb:1", ["cat", "/etc/motd"], remove=True)
        assert out == b"hutch test image\n"
        hutch("tag", f"{registry.host}/library/bb:4", f"{fresh_registry.host}/api/bb:1")
        digest = client.images.push(f"{fresh_registry.host}/api/bb", "1")
        assert digest == pushed["bb_digest"]


def test_save_a_pulled_image_and_load_it(hutch: Hutch, registry: Registry, pushed: dict[str, Any],  # noqa: F811
                                         tmp_path: Path) -> None:
    ref = f"{registry.host}/library/bb:4"
    hutch("pull", ref)
    for fmt in ("docker-archive", "oci-archive"):
        archive = tmp_path / f"{fmt}.tar"
        hutch("save", "--format", fmt, "-o", str(archive), ref)
        other = Hutch(tmp_path / f"store-{fmt}", hutch.runroot)
        assert f"Loaded image: {ref}" in other("load", "-i", str(archive)).stdout
        doc = json.loads(other("image", "inspect", ref).stdout)[0]
        assert doc["RootFS"]["Layers"] == pushed["bb"].diff_ids
        assert other("run", "--rm", ref, "cat", "/etc/motd").stdout == "hutch test image\n"


def test_concurrent_pulls_of_one_image(hutch: Hutch, proxy: Proxy, pushed: dict[str, Any]) -> None:  # noqa: F811
    """Two pulls at once into one store: they take turns on each blob, both succeed."""
    ref = f"{proxy.host}/library/bb:4"
    cmd = [str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "pull", ref]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    for p in procs:
        _out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    assert len(hutch("images", "-q").stdout.split()) == 1
    assert hutch("run", "--rm", ref, "cat", "/etc/motd").stdout == "hutch test image\n"
    ingest = hutch.root / "images" / "ingest"
    assert not [n for n in os.listdir(ingest) if n.endswith((".partial", ".complete"))]


def test_ctrl_c_stops_a_stalled_pull_at_once(hutch: Hutch, proxy: Proxy,  # noqa: F811
                                             pushed: dict[str, Any]) -> None:
    big = pushed["bb"].layers[0]
    proxy.cut(big, 300_000, stall=30)
    partial = hutch.root / "images" / "ingest" / f"{big[7:]}.partial"
    p = subprocess.Popen([str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "pull",
                          f"{proxy.host}/library/bb:4"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not (partial.exists() and partial.stat().st_size >= 300_000):
            assert time.monotonic() < deadline and p.poll() is None
            time.sleep(0.05)
        start = time.monotonic()
        p.send_signal(signal.SIGINT)
        p.wait(timeout=10)
        assert time.monotonic() - start < 5  # the stalled read is woken, not waited out
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 130 and b"Traceback" not in p.stderr.read()  # type: ignore[union-attr]
    assert hutch("images", "-q").stdout == ""
    assert partial.stat().st_size >= 300_000  # kept for the next pull


def test_a_rotten_blob_is_found_when_a_layer_is_unpacked_again(hutch: Hutch, registry: Registry,  # noqa: F811
                                                              pushed: dict[str, Any]) -> None:
    """Both digests are checked: the compressed blob's and the diff id of what it unpacks to."""
    ref = f"{registry.host}/library/bb:4"
    hutch("pull", ref)
    shutil.rmtree(hutch.root / "images" / "snapshots")
    blob = hutch.root / "images" / "blobs" / "sha256" / pushed["bb"].layers[2][7:]
    data = bytearray(blob.read_bytes())
    data[-20] ^= 0xFF  # in gzip's trailer area: still a tar to unpack, but not the blob
    blob.write_bytes(bytes(data))
    r = hutch("run", "--rm", ref, "true", check=False)
    assert r.returncode == 125 and pushed["bb"].layers[2] in r.stderr, r
