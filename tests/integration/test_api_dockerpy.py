"""Code written for docker-py (the docker SDK for Python 7.x, docker-py.readthedocs.io), run on
hutch with ``import hutch as docker`` and only the client's creation changed (``from_env`` with
the test's own store): real containers, checked from inside them. docker-py's documented
behaviour is the reference for every return value and error here (docker/models/*.py,
docker/errors.py)."""

from __future__ import annotations

import io
import shutil
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import hutch as docker
from tests.support.apiclient import api_client
from tests.support.tarballs import one_file_tar

pytestmark = pytest.mark.root


@pytest.fixture
def client(tmp_path: Path, rootfs_template: Path) -> Iterator[docker.Client]:
    yield from api_client(tmp_path, rootfs_template, "apdp")


def test_run_output_and_container_error(client: docker.Client) -> None:
    """run: stdout only by default (stdout=True, stderr=False), both with stderr=True; a non-zero
    exit raises ContainerError with docker-py's attributes; remove=True leaves nothing."""
    cmd = "sh -c 'echo out; echo err >&2'"
    assert client.containers.run("box:1", cmd, remove=True) == b"out\n"
    assert sorted(client.containers.run("box:1", cmd, stderr=True, remove=True).split()) == [b"err", b"out"]
    assert client.containers.run("box:1", cmd, stdout=False, stderr=True, remove=True) == b"err\n"
    with pytest.raises(docker.errors.ContainerError) as err:
        client.containers.run("box:1", "sh -c 'echo bad >&2; exit 3'", remove=True)
    e = err.value
    assert (e.exit_status, e.command, e.image) == (3, "sh -c 'echo bad >&2; exit 3'", "box:1")
    assert e.stderr == b"bad\n"
    assert isinstance(e, docker.errors.DockerException) and isinstance(e, docker.HutchError)
    assert client.containers.list(all=True) == []
    # auto_remove in the foreground: its output and status, and the container gone
    assert client.containers.run("box:1", "sh -c 'sleep 0.3; echo bye'", auto_remove=True) == b"bye\n"
    with pytest.raises(docker.errors.ContainerError) as gone:
        client.containers.run("box:1", "sh -c 'echo no >&2; exit 5'", auto_remove=True)
    assert gone.value.exit_status == 5 and gone.value.stderr == b"no\n"
    assert b"".join(client.containers.run("box:1", "echo s", stream=True, remove=True)) == b"s\n"
    deadline = time.monotonic() + 10
    while client.containers.list(all=True) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.containers.list(all=True) == []
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        client.containers.run("box:1", "true", colour="red")
    with pytest.raises(docker.errors.NotFound):
        client.containers.get("nosuch")
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("nosuch:1")


def test_create_kwargs_seen_from_inside(client: docker.Client, tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "f").write_text("from the host\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other").chmod(0o777)  # (the container's user is 1000)
    script = ("id -u; id -g; pwd; hostname; echo $A; cat /data/f; touch /data/x 2>/dev/null || echo ro-data; "
              "touch /rw/x && echo rw-ok; touch /x 2>/dev/null || echo ro-root; "
              "grep -c ' /run tmpfs ' /proc/mounts; grep ' /run ' /proc/mounts; ulimit -n; "
              "grep -cw 10.1.2.3 /etc/hosts; grep nameserver /etc/resolv.conf; "
              "grep CapEff /proc/self/status; cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max "
              "2>/dev/null; cat /m/f; ip -o link 2>/dev/null | grep -c -v ' lo:' || true")
    out = client.containers.run(
        "box:1", ["sh", "-c", script], remove=True, user="1000:1001", working_dir="/tmp", hostname="dpy",
        environment={"A": "b"}, read_only=True,
        volumes={str(host): {"bind": "/data", "mode": "ro"},
                 str(tmp_path / "other"): {"bind": "/rw", "mode": "rw"}},
        tmpfs={"/run": "size=64k"}, ulimits=[docker.types.Ulimit(name="nofile", soft=321, hard=321)],
        extra_hosts={"db": "10.1.2.3"}, dns=["10.9.9.9"], network_mode="bridge", cap_drop=["ALL"],
        pids_limit=33, mounts=[docker.types.Mount("/m", str(host), type="bind", read_only=True)],
        labels={"team": "api"})
    lines = out.decode().splitlines()
    assert lines[:8] == ["1000", "1001", "/tmp", "dpy", "b", "from the host", "ro-data", "rw-ok"], lines
    assert lines[8:10] == ["ro-root", "1"] and "size=64k" in lines[10], lines
    assert lines[11:13] == ["321", "1"] and lines[13] == "nameserver 10.9.9.9", lines
    assert lines[14].split()[1] == "0000000000000000" and lines[15] == "33" and lines[16] == "from the host"
    assert (tmp_path / "other" / "x").exists() and not (host / "x").exists()
    # the list form of volumes, entrypoint as a string, cap_add, network_mode none, init
    out = client.containers.run("box:1", "-c 'grep CapEff /proc/self/status; ls /sys/class/net; cat /in/f; "
                                "cat /proc/1/comm'", entrypoint="/bin/sh", volumes=[f"{host}:/in:ro"],
                                cap_drop=["ALL"], cap_add=["NET_ADMIN"], network_mode="none", init=True,
                                remove=True)
    lines = out.decode().split()
    assert lines[1] == "0000000000001000" and lines[2] == "lo"
    assert lines[3:7] == ["from", "the", "host", "docker-init"]  # (docker's --init: tini as docker-init)


def test_detached_container_methods(client: docker.Client) -> None:
    c = client.containers.run("box:1", ["sh", "-c", "echo one; sleep 0.2; echo two >&2; sleep 1000"],
                              detach=True,
                              name="apdp-web", labels=["tier=web", "solo"],
                              ports={"80/tcp": 18080, "81/tcp": ("127.0.0.1", None)},
                              mem_limit="64m", nano_cpus=500_000_000, stop_signal="SIGKILL")
    with c:
        assert c.status == "running" and c.labels == {"tier": "web", "solo": ""}
        assert c.image is not None and c.image.tags == ["box:1"]
        assert c.ports["80/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": "18080"}] or \
            c.ports["80/tcp"][0]["HostPort"] == "18080"
        assert int(c.ports["81/tcp"][0]["HostPort"]) > 0
        deadline = time.monotonic() + 10
        while c.logs() != b"one\ntwo\n" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert c.logs(stderr=False) == b"one\n" and c.logs(stdout=False) == b"two\n"
        assert c.logs(tail=1) == b"two\n" and c.logs(timestamps=True).split()[1] == b"one"
        assert c.logs(since=time.time() + 60) == b""
        # exec_run: merged, demux, stream, environment, workdir, user
        r = c.exec_run("sh -c 'echo o; echo e >&2; exit 4'")
        assert r.exit_code == 4 and sorted(r.output.split()) == [b"e", b"o"]
        assert c.exec_run("sh -c 'echo o; echo e >&2'", demux=True) == (0, (b"o\n", b"e\n"))
        assert c.exec_run("sh -c 'echo o; echo e >&2'", stderr=False).output == b"o\n"
        assert c.exec_run(["sh", "-c", "echo $X $(pwd) $(id -u)"], environment={"X": "y"}, workdir="/tmp",
                          user="7").output == b"y /tmp 7\n"
        streamed = c.exec_run("sh -c 'echo a; sleep 0.2; echo b'", stream=True)
        assert streamed.exit_code is None and b"".join(streamed.output) == b"a\nb\n"
        mem = "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null"
        assert c.exec_run(["sh", "-c", mem]).output.split()[0] == b"67108864"
        # top, stats
        top = c.top()
        assert "PID" in top["Titles"] and any("sleep 1000" in " ".join(p) for p in top["Processes"])
        st = c.stats(stream=False)
        assert st["name"] == "/apdp-web" and st["pids_stats"]["current"] >= 1
        assert st["memory_stats"]["limit"] == 64 << 20 and st["cpu_stats"]["cpu_usage"]["total_usage"] > 0
        assert st["precpu_stats"]["system_cpu_usage"] > 0
        assert set(st["networks"]) == {"eth0"} and set(st["networks"]["eth0"]) == {
            f"{d}_{k}" for d in ("rx", "tx") for k in ("bytes", "packets", "errors", "dropped")}
        one = next(c.stats(decode=True))
        assert one["id"] == c.id
        # put_archive / get_archive on the running container
        assert c.put_archive("/tmp", one_file_tar("put.txt", b"put by the api\n")) is True
        assert c.exec_run("cat /tmp/put.txt").output == b"put by the api\n"
        chunks, stat = c.get_archive("/tmp/put.txt")
        assert stat["name"] == "put.txt" and stat["size"] == 15
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as t:
            member = t.extractfile("put.txt")
            assert member is not None and member.read() == b"put by the api\n"
        with pytest.raises(docker.errors.NotFound):
            c.get_archive("/nosuch")
        # the engine's refusals are docker's answers: APIError, 409 for a conflict, 400 for a bad value
        with pytest.raises(docker.errors.APIError) as conflict:
            client.containers.create("box:1", "true", name="apdp-web")
        assert conflict.value.status_code == 409 and "apdp-web" in str(conflict.value)
        with pytest.raises(docker.errors.APIError) as bad:
            client.containers.create("box:1", "true", mem_limit="lots")
        assert bad.value.status_code == 400 and isinstance(bad.value, docker.HutchError)
        # list filters, limit
        assert [x.id for x in client.containers.list(filters={"label": "tier=web"})] == [c.id]
        assert client.containers.list(filters={"label": "tier=db"}) == []
        assert [x.name for x in client.containers.list(filters={"name": "apdp-w", "status": "running"})] == \
            ["apdp-web"]
        assert client.containers.list(filters={"id": c.id[:10]}) == [c]
        # wait, stop; the archive of a stopped container (its own mount namespace, in hutch cp)
        c.stop()
        assert c.wait() == {"StatusCode": 137, "Error": None} and c.status == "exited"
        with pytest.raises(docker.errors.APIError) as stopped:
            c.exec_run("true")
        assert stopped.value.status_code == 409
        chunks, stat = c.get_archive("/tmp")
        assert stat["name"] == "tmp" and stat["mode"] & (1 << 31)
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as t:
            assert "tmp/put.txt" in t.getnames()
        assert [x.id for x in client.containers.list(all=True, filters={"status": "exited"})] == [c.id]
        assert c.put_archive("/", one_file_tar("while-stopped.txt", b"put while stopped\n")) is True
        # diff: docker's kinds (0 changed, 1 added, 2 deleted); the container's own files only
        c.start()
        c.exec_run("sh -c 'rm /bin/true; mkdir -p /new/sub; echo x > /new/sub/f; echo y >> /etc/group'")
        c.stop()
        changes = {d["Path"]: d["Kind"] for d in c.diff()}
        assert {"/tmp": 0, "/tmp/put.txt": 1, "/bin": 0, "/bin/true": 2, "/new": 1, "/new/sub": 1,
                "/new/sub/f": 1, "/etc": 0, "/etc/group": 0}.items() <= changes.items(), changes
        # commit: an image with the file
        img = c.commit("apdp/committed", "v1", message="api", changes=["ENV C=1"])
        assert img.tags == ["apdp/committed:v1"]
        assert client.containers.run(img, "sh -c 'cat /tmp/put.txt /while-stopped.txt; echo $C'",
                                     remove=True) == b"put by the api\nput while stopped\n1\n"
        client.images.remove("apdp/committed:v1")
    assert client.containers.list(all=True) == []


def test_logs_streamed_and_followed(client: docker.Client) -> None:
    """docker-py's logs(stream=True): a generator of chunks that follows the log while the
    container runs (follow defaults to stream), or stops at the end with follow=False."""
    c = client.containers.run("box:1", "sh -c 'echo a; sleep 1; echo b >&2; sleep 0.3; echo c'", detach=True)
    with c:
        chunks = list(c.logs(stream=True))
        assert b"".join(chunks) == b"a\nb\nc\n" and len(chunks) >= 2
        assert b"".join(c.logs(stream=True, follow=False, stderr=False)) == b"a\nc\n"
        assert c.wait()["StatusCode"] == 0


def test_auto_remove_prune_and_remove_v(client: docker.Client) -> None:
    for how in ({"auto_remove": True}, {"remove": True}):  # docker-py: detach and remove → auto_remove
        c = client.containers.run("box:1", ["sh", "-c", "exit 3"], detach=True, **how)
        deadline = time.monotonic() + 10
        while client.containers.list(all=True, filters={"id": c.id}) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.containers.list(all=True, filters={"id": c.id}) == []
        # a wait after the removal still gets the status (hutch.engine.exits), where docker may 404
        assert c.wait() == {"StatusCode": 3, "Error": None}
    a = client.containers.create("box:1", "true", name="apdp-a", volumes=["/anon"])
    b = client.containers.create("box:1", ["sleep", "100"], name="apdp-b")
    b.start()
    anon = [v.name for v in client.volumes.list()]
    assert len(anon) == 1
    assert client.containers.list(since=a.id) == [b] and client.containers.list(before=b.name) == [a]
    assert client.containers.list(limit=1) == [b] and client.containers.list() == [b]
    got = client.containers.prune()
    assert got["ContainersDeleted"] == [a.id] and got["SpaceReclaimed"] >= 0
    assert [x.id for x in client.containers.list()] == [b.id]
    b.remove(force=True)
    v = client.containers.create("box:1", "true", volumes=["/anon2"])
    before = {x.name for x in client.volumes.list()}
    v.remove(v=True)
    assert {x.name for x in client.volumes.list()} == before - {n for n in before if n not in anon}
    with pytest.raises(docker.errors.APIError) as err:
        client.containers.run("box:1", "true", sysctls={"net.ipv4.ip_forward": "1"})
    assert err.value.status_code == 501


def test_images(client: docker.Client, tmp_path: Path) -> None:
    img = client.images.get("box:1")
    assert img.id.startswith("sha256:") and img.short_id == img.id[:19] and img.tags == ["box:1"]
    assert img.attrs["Id"] == img.id and isinstance(img.labels, dict)
    assert img.tag("apdp/box", "2") is True and sorted(img.reload().tags) == ["apdp/box:2", "box:1"]
    assert [i.id for i in client.images.list(name="apdp/box")] == [img.id]
    assert [i.id for i in client.images.list(filters={"reference": "apdp/*"})] == [img.id]
    hist = img.history()
    assert hist[0]["Id"] == img.id and {"Created", "CreatedBy", "Size", "Tags", "Comment"} <= set(hist[0])
    data = b"".join(img.save(named=True))
    client.images.remove("apdp/box:2")
    assert client.images.get("box:1").tags == ["box:1"]
    client.images.remove("box:1")
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("box:1")
    loaded = client.images.load(data)
    assert [i.id for i in loaded] == [img.id] and client.images.get("box:1").id == img.id


def test_volumes_and_networks(client: docker.Client) -> None:
    vol = client.volumes.create("apdp-vol", labels={"k": "v"})
    assert vol.name == vol.id == "apdp-vol" and vol.attrs["Labels"] == {"k": "v"}
    assert client.volumes.get("apdp-vol") == vol and vol in client.volumes.list(filters={"label": "k=v"})
    client.containers.run("box:1", "sh -c 'echo kept > /v/f'", volumes={"apdp-vol": {"bind": "/v"}},
                          remove=True)
    assert client.containers.run("box:1", "cat /v/f", volumes=["apdp-vol:/v:ro"], remove=True) == b"kept\n"
    vol.remove()
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get("apdp-vol")
    client.volumes.create("apdp-unused")
    assert client.volumes.prune(filters={"all": True})["VolumesDeleted"] == ["apdp-unused"]

    net = client.networks.create("apdp-net", driver="bridge", labels={"n": "1"},
                                 ipam=docker.types.IPAMConfig(pool_configs=[
                                     docker.types.IPAMPool(subnet="10.77.0.0/24", gateway="10.77.0.1")]))
    assert net.name == "apdp-net" and client.networks.get("apdp-net").id == net.id
    assert "apdp-net" in [n.name for n in client.networks.list()]
    assert [n.name for n in client.networks.list(names=["apdp-net"])] == ["apdp-net"]
    c = client.containers.run("box:1", ["sleep", "100"], detach=True, network="apdp-net", name="apdp-n1")
    with c:
        assert c.exec_run("ip -4 -o addr show eth0").output.split()[3].startswith(b"10.77.0.")
        assert [x.id for x in net.containers] == [c.id]
        other = client.networks.create("apdp-net2")
        other.connect(c, aliases=["alias2"])
        assert c.exec_run("ls /sys/class/net").output.split() == [b"eth0", b"eth1", b"lo"]
        other.disconnect(c)
        assert c.exec_run("ls /sys/class/net").output.split() == [b"eth0", b"lo"]
        with pytest.raises(docker.errors.APIError):
            net.remove()  # a container is on it
    assert sorted(client.networks.prune()["NetworksDeleted"]) == ["apdp-net", "apdp-net2"]
    with pytest.raises(docker.errors.NotFound):
        client.networks.get("apdp-net")


def test_system(client: docker.Client) -> None:
    assert client.ping() is True
    v = client.version()
    assert v["Version"] == docker.__version__ and v["Os"] == "linux" and "ApiVersion" in v
    c = client.containers.create("box:1", "true")
    info = client.info()
    assert info["Containers"] == 1 and info["ContainersStopped"] == 1 and info["Images"] == 1
    assert info["DockerRootDir"] == client.engine.root and info["NCPU"] >= 1
    c.remove()


def test_exec_run_streams_with_runc(client: docker.Client) -> None:
    """exec_run's demux and stream through another OCI runtime's CLI (runc exec), as through
    hutch's own (the other tests)."""
    if not shutil.which("runc"):
        pytest.skip("runc is not installed")
    other = docker.from_env(root=client.engine.root, runroot=client.engine.runroot, runtime="runc")
    with other.containers.run("box:1", "sleep 100", detach=True, network_mode="none") as c:
        assert c.exec_run("sh -c 'echo o; echo e >&2; exit 2'", demux=True) == (2, (b"o\n", b"e\n"))
        assert b"".join(c.exec_run("sh -c 'echo a; echo b'", stream=True).output) == b"a\nb\n"
        assert c.exec_run("sh -c 'echo o; echo e >&2'", stdout=False).output == b"e\n"


def test_update_resources_and_export(client: docker.Client) -> None:
    """docker-py's Container.update (resources into the running container's cgroup, seen from
    inside) and Container.export (its files as a tar, no volumes, as docker's)."""
    c = client.containers.run("box:1", ["sh", "-c", "echo made > /made; sleep 100"], detach=True,
                              volumes=["/vol"])
    try:
        assert c.update(mem_limit="96m", memswap_limit=-1, pids_limit=70) == {"Warnings": []}
        mem = "/sys/fs/cgroup/memory/memory.limit_in_bytes"
        out = c.exec_run(["sh", "-c", f"cat {mem} 2>/dev/null || cat /sys/fs/cgroup/memory.max"]).output
        assert out.strip() == str(96 << 20).encode()
        assert c.attrs["HostConfig"]["Memory"] == 96 << 20
        with pytest.raises(docker.errors.APIError):
            c.update(kernel_memory="10m")  # (none in docker's cgroup v2 or here: 501)
        deadline = time.monotonic() + 10
        while c.exec_run(["cat", "/made"]).exit_code != 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        data = b"".join(c.export())
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            names = set(t.getnames())
            made = t.extractfile("made")
            assert made is not None and made.read() == b"made\n"
        assert "bin/busybox" in names and not any(n.startswith("vol/") for n in names)
    finally:
        c.remove(force=True, v=True)


def test_df_and_events(client: docker.Client) -> None:
    """docker-py's client.df() and client.events(since, until, filters, decode) from the store's
    event journal."""
    import datetime

    start = datetime.datetime.now(datetime.UTC)
    client.containers.run("box:1", "true", name="apev", remove=True)
    end = time.time() + 0.5
    got = list(client.events(since=start, until=end, filters={"type": "container", "container": "apev"},
                             decode=True))
    actions = [e["Action"] for e in got]
    assert actions[:1] == ["create"] and "start" in actions and "die" in actions and "destroy" in actions
    assert all(e["Actor"]["Attributes"]["name"] == "apev" for e in got)
    raw = list(client.events(since=start, until=end, filters={"event": "die"}))
    assert len(raw) == 1 and raw[0].endswith(b"\n") and b'"exitCode":"0"' in raw[0].replace(b" ", b"")
    df = client.df()
    assert {"LayersSize", "Images", "Containers", "Volumes"} <= set(df)
    assert [i["RepoTags"] for i in df["Images"]] == [["box:1"]]


def test_images_build(client: docker.Client, tmp_path: Path) -> None:
    """docker-py's images.build: (Image, log of {"stream": ...}); a failed RUN raises BuildError
    with its build_log; the build's step images are listed with all=True only."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text('FROM box:1\nARG X=1\nRUN echo ran $X > /ran && cat /ran\n'
                                    'CMD ["cat", "/ran"]\n')
    image, log = client.images.build(path=str(ctx), tag="apdp-built:1", buildargs={"X": "2"},
                                      network_mode="none")
    lines = "".join(entry["stream"] for entry in log)
    assert "Step 3/4 : RUN echo ran $X > /ran && cat /ran" in lines and "ran 2\n" in lines, lines
    assert image.tags == ["apdp-built:1"]
    assert client.containers.run("apdp-built:1", network_mode="none", remove=True) == b"ran 2\n"
    shown = {i.id for i in client.images.list()}
    assert image.id in shown and len({i.id for i in client.images.list(all=True)}) > len(shown)
    with pytest.raises(docker.errors.BuildError) as info:
        client.images.build(fileobj=io.BytesIO(b"FROM box:1\nRUN echo failing; exit 4\n"),
                            network_mode="none")
    assert info.value.msg == "The command '/bin/sh -c echo failing; exit 4' returned a non-zero code: 4"
    log = list(info.value.build_log)
    assert {"stream": "failing\n"} in log and log[-1]["error"] == info.value.msg
