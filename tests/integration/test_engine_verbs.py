"""The everyday verbs on real containers: version, info, events (the journal), diff, export,
system df, update, exec's flags. docker's output shapes and exit codes are the reference
(docs.docker.com/reference/cli/docker/*; the `hutch` fixture: a store of the test's own)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import time

import pytest

from tests.integration.test_engine import HUTCH, Hutch, _import, hutch  # noqa: F401

pytestmark = pytest.mark.root


def test_version_sections_and_format(hutch: Hutch) -> None:  # noqa: F811
    out = hutch("version").stdout
    assert out.startswith("Client:\n Version:") and "\nServer: hutch Engine\n Engine:\n  Version:" in out
    assert hutch("version", "--format", "{{.Client.Version}}").stdout.strip() == \
        hutch("version", "-f", "{{.Server.Version}}").stdout.strip()
    doc = json.loads(hutch("version", "--format", "{{json .}}").stdout)
    assert doc["Client"]["Os"] == "linux" and doc["Server"]["Components"][0]["Name"] == "Engine"
    r = hutch("version", "--format", "{{.Client.Nope}}", check=False)
    assert r.returncode == 1 and "<.Client.Nope>" in r.stderr and r.stderr.count("\n") == 1


def test_info_counts_and_fields(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("create", "--network", "none", "--name", "vb-c1", "hbox:1", "true")
    hutch("run", "-d", "--network", "none", "--name", "vb-r1", "hbox:1", "sleep", "30")
    out = hutch("info").stdout
    for want in (" Containers: 2\n  Running: 1\n  Paused: 0\n  Stopped: 1\n", " Images: 1\n",
                 " Storage Driver: overlay2\n", " Cgroup Driver: cgroupfs\n",
                 f" Docker Root Dir: {hutch.root}\n", f" CPUs: {os.cpu_count()}\n",
                 f" Kernel Version: {os.uname().release}\n"):
        assert want in out, out
    cgv = "2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "1"
    out = hutch("system", "info", "--format", "{{.CgroupVersion}} {{.ContainersRunning}}").stdout
    assert out == f"{cgv} 1\n"
    doc = json.loads(hutch("info", "-f", "json").stdout)  # (docker's shorthand for {{json .}})
    assert doc["Driver"] == "overlay2" and doc["MemTotal"] > 0 and "hutch-runtime" in doc["Runtimes"]


def _events(h: Hutch, *args: str) -> list[dict[str, object]]:
    out = h("events", "--since", "0", "--until", str(time.time() + 0.5), "--format", "{{json .}}",
            *args).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_events_journal_of_a_containers_life(hutch: Hutch) -> None:  # noqa: F811
    """docker's sequence: create, start, die (exitCode), destroy; kill with its signal; the
    text line ``TIME container ACTION ID (image=..., name=...)``."""
    _import(hutch)
    hutch("run", "--network", "none", "--name", "vb-e1", "hbox:1", "sh", "-c", "exit 3", check=False)
    cid = json.loads(hutch("inspect", "vb-e1").stdout)[0]["Id"]
    hutch("rm", "vb-e1")
    hutch("run", "-d", "--network", "none", "--name", "vb-e2", "hbox:1", "sleep", "30")
    hutch("pause", "vb-e2")
    hutch("unpause", "vb-e2")
    assert hutch("exec", "vb-e2", "sh", "-c", "exit 4", check=False).returncode == 4
    hutch("kill", "vb-e2")
    hutch("wait", "vb-e2")
    evs = _events(hutch, "--filter", "container=vb-e1")
    assert [e["Action"] for e in evs] == ["create", "attach", "start", "die", "destroy"], evs
    assert all(e["Actor"]["ID"] == cid and e["Type"] == "container" for e in evs)  # type: ignore[index]
    die = evs[3]
    assert die["Actor"]["Attributes"]["exitCode"] == "3" and die["status"] == "die"  # type: ignore[index]
    assert die["Actor"]["Attributes"]["image"] == "hbox:1"  # type: ignore[index]
    actions = [e["Action"] for e in _events(hutch, "-f", "container=vb-e2")]
    assert actions[:4] == ["create", "start", "pause", "unpause"], actions
    assert "exec_create: sh -c exit 4" in actions and "exec_die" in actions
    assert actions[-2:] == ["kill", "die"], actions
    kill = _events(hutch, "-f", "event=kill")
    assert [k["Actor"]["Attributes"]["signal"] for k in kill] == ["9"]  # type: ignore[index]
    assert _events(hutch, "-f", "type=image", "-f", "event=start") == []
    # docker's text line
    text = hutch("events", "--since", "0", "--until", str(time.time()), "-f", "container=vb-e1",
                 "-f", "event=die").stdout
    stamp, kind, action, ident, rest = text.rstrip("\n").split(" ", 4)
    assert (kind, action, ident) == ("container", "die", cid)
    assert stamp[:4].isdigit() and stamp[19] == "." and len(stamp.split(".")[1]) in (10, 15)
    assert rest == "(exitCode=3, image=hbox:1, name=vb-e1)", rest


def test_events_follow_until_and_since_forms(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    follower = subprocess.Popen([str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot,
                                 "events", "--filter", "type=container"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        hutch("create", "--network", "none", "--name", "vb-f1", "hbox:1", "true")
        assert follower.stdout is not None
        line = follower.stdout.readline()
        assert " container create " in line and "name=vb-f1" in line, line
    finally:
        follower.kill()
        follower.wait()
    assert [e["Action"] for e in _events(hutch, "--since", "10m")] == ["import", "create"]
    assert _events(hutch, "--since", str(time.time() + 60)) == []
    r = hutch("events", "--since", "yesterday", check=False)
    assert r.returncode == 1 and "failed to parse value as time or duration" in r.stderr
    r = hutch("events", "--filter", "nope=1", "--until", "0", check=False)
    assert r.returncode == 1 and "invalid filter 'nope'" in r.stderr


def test_events_journal_is_bounded(hutch: Hutch) -> None:  # noqa: F811
    """Past its size the journal is rotated to events.1, which `events` still reads."""
    from hutch.engine import events

    hutch.root.mkdir(parents=True, exist_ok=True)
    with open(hutch.root / "events.jsonl", "wb") as f:
        f.truncate(events.MAX_BYTES)  # (zeros: lines `events` skips)
    events.emit(str(hutch.root), "volume", "create", "v1", {"driver": "local"})
    assert (hutch.root / "events.jsonl.1").exists()
    assert os.path.getsize(hutch.root / "events.jsonl") < 1000
    assert [e["Actor"]["ID"] for e in _events(hutch, "-f", "type=volume")] == ["v1"]  # type: ignore[index]


def test_diff_lists_added_changed_deleted(hutch: Hutch) -> None:  # noqa: F811
    """docker diff's A/C/D lines, sorted; a removed image file is D (a whiteout)."""
    _import(hutch)
    hutch("run", "--network", "none", "--name", "vb-d1", "hbox:1", "sh", "-c",
          "echo x > /etc/new; rm /bin/ls; mkdir -p /tmp/d/e; echo y > /tmp/d/e/f; echo z >> /etc/passwd")
    out = hutch("diff", "vb-d1").stdout.splitlines()
    for want in ("C /etc", "A /etc/new", "C /etc/passwd", "C /bin", "D /bin/ls", "A /tmp/d", "A /tmp/d/e/f"):
        assert want in out, out
    assert out == sorted(out, key=lambda s: s[2:])
    assert hutch("container", "diff", "vb-d1").stdout.splitlines() == out
    r = hutch("diff", "nosuch", check=False)
    assert r.returncode == 1 and "No such container: nosuch" in r.stderr


def test_export_stopped_and_running(hutch: Hutch, tmp_path: object) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--network", "none", "--name", "vb-x1", "hbox:1", "sh", "-c",
          "echo mine > /mine; rm /bin/ls")
    r = subprocess.run([str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "export", "vb-x1"],
                       capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(r.stdout)) as t:
        names = set(t.getnames())
        member = t.extractfile("mine")
        assert member is not None and member.read() == b"mine\n"
    assert "bin/sh" in names and "bin/ls" not in names and "etc/hosts" in names
    out = hutch.root.parent / "x.tar"
    hutch("run", "-d", "--network", "none", "--name", "vb-x2", "hbox:1", "sh", "-c",
          "echo live > /live; sleep 30")
    time.sleep(0.5)
    hutch("container", "export", "-o", str(out), "vb-x2")
    with tarfile.open(out) as t:
        assert "live" in t.getnames()
    code, shown = _on_a_terminal(hutch, "export", "vb-x1")  # docker's refusal
    assert code == 1 and "cowardly refusing to save to a terminal. Use the -o flag or redirect" in shown
    r2 = hutch("export", "nosuch", "-o", str(hutch.root.parent / "y.tar"), check=False)
    assert r2.returncode == 1 and "No such container" in r2.stderr
    assert not (hutch.root.parent / "y.tar").exists()


def test_events_of_images_volumes_networks(hutch: Hutch) -> None:  # noqa: F811
    """docker's types and actions: image import/tag/untag/delete/save/load, container commit,
    volume create/destroy, network create/connect/disconnect/destroy."""
    image_id = _import(hutch)
    hutch("tag", "hbox:1", "other:2")
    hutch("rmi", "other:2")
    hutch("run", "--network", "none", "--name", "vb-m1", "hbox:1", "true")
    hutch("commit", "vb-m1", "made:1")
    archive = hutch.root.parent / "s.tar"
    hutch("save", "-o", str(archive), "made:1")
    hutch("rmi", "made:1")
    hutch("load", "-i", str(archive))
    hutch("volume", "create", "vb-vol")
    hutch("volume", "rm", "vb-vol")
    net_id = hutch("network", "create", "vb-net").stdout.strip()
    hutch("create", "--name", "vb-n1", "--network", "vb-net", "hbox:1", "true")
    hutch("network", "disconnect", "vb-net", "vb-n1")
    hutch("network", "connect", "vb-net", "vb-n1")
    hutch("rm", "vb-n1")
    hutch("network", "rm", "vb-net")
    imgs = [(e["Action"], e["Actor"]["ID"]) for e in _events(hutch, "--filter", "type=image")]  # type: ignore[index]
    assert imgs[:3] == [("import", image_id), ("tag", image_id), ("untag", image_id)], imgs
    assert [a for a, _ in imgs[3:]] == ["save", "untag", "delete", "load"], imgs
    [commit] = _events(hutch, "-f", "event=commit")
    assert commit["Actor"]["Attributes"]["name"] == "vb-m1"  # type: ignore[index]
    vols = [(e["Action"], e["Actor"]["ID"]) for e in _events(hutch, "-f", "type=volume")]  # type: ignore[index]
    assert vols == [("create", "vb-vol"), ("destroy", "vb-vol")]
    nets = _events(hutch, "-f", "network=vb-net")
    assert [e["Action"] for e in nets] == ["create", "disconnect", "connect", "destroy"], nets
    assert {e["Actor"]["ID"] for e in nets} == {net_id}  # type: ignore[index]


def test_events_of_volume_mounts_and_policy_restarts(hutch: Hutch) -> None:  # noqa: F811
    """docker's order for a container with a volume: volume create, container create, attach,
    volume mount (its destination, read/write), start, die, volume unmount; a restart
    policy's start is a start event, as docker's."""
    _import(hutch)
    hutch("run", "--network", "none", "--name", "vb-v1", "-v", "vb-vol2:/data:ro", "hbox:1", "true")
    evs = [e for e in _events(hutch) if e["Type"] == "volume" or
           e["Actor"]["Attributes"].get("name") == "vb-v1"]  # type: ignore[index]
    got = [(e["Type"], e["Action"]) for e in evs]
    assert got == [("volume", "create"), ("container", "create"), ("container", "attach"),
                   ("volume", "mount"), ("container", "start"), ("container", "die"),
                   ("volume", "unmount")], got
    attrs = evs[3]["Actor"]["Attributes"]  # type: ignore[index]
    cid = evs[1]["Actor"]["ID"]  # type: ignore[index]
    assert attrs == {"container": cid, "destination": "/data", "driver": "local", "propagation": "",
                     "read/write": "false"}, attrs
    assert evs[6]["Actor"] == {"ID": "vb-vol2", "Attributes": {"container": cid, "driver": "local"}}
    hutch("rm", "-v", "vb-v1")
    hutch("volume", "rm", "vb-vol2")
    hutch("run", "-d", "--network", "none", "--name", "vb-v2", "--restart", "on-failure:1", "hbox:1",
          "sh", "-c", "exit 1")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        actions = [e["Action"] for e in _events(hutch, "-f", "container=vb-v2")]
        if actions.count("die") == 2:
            break
        time.sleep(0.2)
    assert actions == ["create", "start", "die", "start", "die"], actions


def test_system_df_summary_and_verbose(hutch: Hutch) -> None:  # noqa: F811
    """docker's rows and arithmetic: a stopped container's 1 MB is reclaimable, a running one's
    image is active; an unused volume is reclaimable."""
    _import(hutch)
    hutch("import", str(hutch.tarball), "spare:1")  # type: ignore[attr-defined]  (the same layer: shared)
    hutch("run", "--network", "none", "--name", "vb-s1", "hbox:1", "sh", "-c",
          "dd if=/dev/zero of=/big bs=1000 count=1000 2>/dev/null")
    hutch("run", "-d", "--network", "none", "--name", "vb-s2", "-v", "vb-used:/data", "hbox:1", "sleep", "30")
    hutch("volume", "create", "vb-spare")
    out = hutch("system", "df").stdout.splitlines()
    assert out[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    rows = {line[:15].strip(): line[15:].split() for line in out[1:]}
    assert rows["Images"][:2] == ["2", "1"] and rows["Containers"][:2] == ["2", "1"], out
    assert rows["Containers"][2].endswith("MB") and rows["Containers"][3] == rows["Containers"][2]
    assert rows["Containers"][4] in ("(99%)", "(100%)"), out
    assert rows["Local Volumes"][:2] == ["2", "1"] and rows["Build Cache"] == ["0", "0", "0B", "0B"], out
    doc = [json.loads(line) for line in hutch("system", "df", "--format", "json").stdout.splitlines()]
    assert [d["Type"] for d in doc] == ["Images", "Containers", "Local Volumes", "Build Cache"]
    text = hutch("system", "df", "-v").stdout
    assert text.startswith("Images space usage:\n\nREPOSITORY   TAG")
    for part in ("\nContainers space usage:\n", "\nLocal Volumes space usage:\n", "vb-spare",
                 "\nBuild cache usage: 0B\n"):
        assert part in text, text
    assert any(" Exited (0) " in ln and ln.endswith("vb-s1") for ln in text.splitlines()), text  # ps's STATUS
    line = next(ln for ln in text.splitlines() if ln.startswith("spare "))
    assert line.split()[-1] == "0"  # no container uses spare:1


_CG = ("for f in memory/memory.limit_in_bytes memory.max cpu/cpu.cfs_quota_us cpu.max cpu/cpu.shares "
       "cpu.weight pids/pids.max pids.max; do [ -f /sys/fs/cgroup/$f ] && echo $f=$(cat /sys/fs/cgroup/$f); "
       "done; true")


def _cgroup(h: Hutch, name: str) -> dict[str, str]:
    out = h("exec", name, "sh", "-c", _CG).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


@pytest.mark.parametrize("runtime", [None, "runc"])
def test_update_a_running_containers_resources(hutch: Hutch, runtime: str | None) -> None:  # noqa: F811
    """docker update: the cgroup changes now (read from inside), inspect shows the new values,
    and the next start keeps them (hutch's runtime, and runc's `update --resources -`)."""
    import shutil

    if runtime and not shutil.which(runtime):
        pytest.skip(f"{runtime} is not installed")
    _import(hutch)
    args = ("--runtime", runtime) if runtime else ()
    hutch(*args, "run", "-d", "--network", "none", "--name", "vb-u1", "-m", "64m", "--pids-limit", "50",
          "hbox:1", "sleep", "60")
    out = hutch("update", "--memory", "96m", "--cpus", "0.5", "--pids-limit", "70", "vb-u1").stdout
    assert out == "vb-u1\n"
    got = _cgroup(hutch, "vb-u1")
    assert (got.get("memory/memory.limit_in_bytes") or got.get("memory.max")) == str(96 << 20), got
    assert got.get("cpu/cpu.cfs_quota_us", "50000") == "50000" and got.get("cpu.max", "50000 100000") == \
        "50000 100000", got
    assert (got.get("pids/pids.max") or got.get("pids.max")) == "70", got
    hc = json.loads(hutch("inspect", "vb-u1").stdout)[0]["HostConfig"]
    assert (hc["Memory"], hc["NanoCpus"], hc["PidsLimit"]) == (96 << 20, 500_000_000, 70), hc
    hutch("container", "update", "--cpu-shares", "512", "--pids-limit", "-1", "vb-u1")
    got = _cgroup(hutch, "vb-u1")
    assert got.get("cpu/cpu.shares", "512") == "512"
    assert (got.get("pids/pids.max") or got.get("pids.max")) == "max", got
    hutch("stop", "-t", "0", "vb-u1")
    hutch("update", "-m", "80m", "vb-u1")  # a stopped container: at its next start
    hutch("start", "vb-u1")
    got = _cgroup(hutch, "vb-u1")
    assert (got.get("memory/memory.limit_in_bytes") or got.get("memory.max")) == str(80 << 20), got
    assert [e["Action"] for e in _events(hutch, "-f", "event=update")] == ["update"] * 3


def test_update_errors_are_dockers(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("create", "--network", "none", "--name", "vb-u2", "-m", "64m", "--memory-swap", "128m", "hbox:1",
          "true")
    r = hutch("update", "vb-u2", check=False)
    assert r.returncode == 1 and "you must provide one or more flags when using this command" in r.stderr
    r = hutch("update", "-m", "1m", "vb-u2", check=False)
    assert r.returncode == 1 and "Minimum memory limit allowed is 6MB" in r.stderr, r.stderr
    r = hutch("update", "-m", "256m", "vb-u2", check=False)
    assert r.returncode == 1
    assert "Memory limit should be smaller than already set memoryswap limit" in r.stderr
    r = hutch("update", "-m", "100m", "vb-u2", "nosuch", check=False)
    assert r.returncode == 1 and r.stdout == "vb-u2\n" and "No such container: nosuch" in r.stderr


@pytest.mark.parametrize("runtime", [None, "runc"])
def test_exec_privileged_and_env_file(hutch: Hutch, runtime: str | None) -> None:  # noqa: F811
    """docker exec --privileged: every capability (CapEff read inside); --env-file's lines with
    -e over them (hutch's own runtime in the supervisor, and runc through its CLI)."""
    import shutil

    if runtime and not shutil.which(runtime):
        pytest.skip(f"{runtime} is not installed")
    _import(hutch)
    args = ("--runtime", runtime) if runtime else ()
    hutch(*args, "run", "-d", "--network", "none", "--name", "vb-p1", "hbox:1", "sleep", "60")
    with open("/proc/self/status") as f:  # (all that this process has: hutch's own)
        every = next(line.split()[1] for line in f if line.startswith("CapBnd:"))
    plain = hutch("exec", "vb-p1", "grep", "CapEff", "/proc/self/status").stdout.split()[1]
    assert plain != every
    priv = hutch("exec", "--privileged", "vb-p1", "grep", "CapEff", "/proc/self/status").stdout.split()[1]
    assert priv == every, (priv, every)
    envf = hutch.root.parent / "env.list"
    envf.write_text("# a comment\nA=from-file\nB=file\n\n")
    out = hutch("exec", "--env-file", str(envf), "-e", "B=flag", "vb-p1", "sh", "-c", "echo $A $B").stdout
    assert out == "from-file flag\n"
    r = hutch("exec", "--env-file", "/nonexistent", "vb-p1", "true", check=False)
    assert r.returncode == 125 and "/nonexistent" in r.stderr




def _on_a_terminal(h: Hutch, *args: str) -> tuple[int, str]:
    """Run hutch with standard output and error on a pseudo-terminal; (status, what it showed)."""
    import pty

    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([str(HUTCH), "--root", str(h.root), "--runroot", h.runroot, *args],
                             stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not data:
                break
            chunks.append(data)
        return p.wait(timeout=60), b"".join(chunks).decode(errors="replace")
    finally:
        os.close(master)


def test_import_load_save_show_progress_on_a_terminal(hutch: Hutch) -> None:  # noqa: F811
    """As pull's: a line rewritten in place with the bar, bytes and rate; nothing when piped."""
    big = hutch.root.parent / "big.tar"
    with tarfile.open(big, "w") as t, tarfile.open(hutch.tarball) as small:  # type: ignore[attr-defined]
        for m in small.getmembers():
            t.addfile(m, small.extractfile(m) if m.isfile() else None)
        blob = tarfile.TarInfo("blob")
        blob.size = 8 << 20
        t.addfile(blob, io.BytesIO(os.urandom(blob.size)))
    code, shown = _on_a_terminal(hutch, "import", str(big), "big:1")
    from hutch.image.registry.progress import human

    size = human(os.path.getsize(big))
    assert code == 0 and "\x1b[2KImporting [" in shown and f"=>]   {size}/{size}  " in shown, shown
    archive = hutch.root.parent / "big-save.tar"
    code, shown = _on_a_terminal(hutch, "save", "-o", str(archive), "big:1")
    assert code == 0 and "\x1b[2KSaving " in shown and "MB/s" in shown, shown
    hutch("rmi", "big:1")
    code, shown = _on_a_terminal(hutch, "load", "-i", str(archive))
    assert code == 0 and "\x1b[2KLoading [" in shown and "Loaded image: big:1" in shown, shown
    piped = hutch("load", "-i", str(archive))  # not a terminal: docker's lines alone
    assert piped.stdout == "Loaded image: big:1\n" and piped.stderr == ""
    piped = hutch("save", "big:1")
    assert piped.stderr == "" and len(piped.stdout) > 8 << 20
    assert hutch("import", str(big), "big:2").stdout.startswith("sha256:")


def test_rmi_force_by_name_deletes_an_image_only_stopped_containers_use(hutch: Hutch) -> None:  # noqa: F811
    """docker's rmi -f NAME: untagged, and deleted when no running container uses it (a stopped
    one is a soft conflict, daemon/images/image_delete.go); that container still starts."""
    image_id = _import(hutch)
    hutch("create", "--network", "none", "--name", "vb-r1", "hbox:1", "echo", "ran")
    assert hutch("rmi", "-f", "hbox:1").stdout == f"Untagged: hbox:1\nDeleted: {image_id}\n"
    assert hutch("images", "-q").stdout == ""
    assert hutch("start", "-a", "vb-r1").stdout == "ran\n"
    assert [e["Action"] for e in _events(hutch, "-f", "type=image")] == ["import", "untag", "delete"]


@pytest.mark.skipif(__import__("shutil").which("skopeo") is None, reason="skopeo is not installed")
def test_events_of_pull_and_push(hutch: Hutch, fresh_registry: object) -> None:  # noqa: F811
    """docker's image pull and push events: the reference as the actor."""
    reg = fresh_registry.host  # type: ignore[attr-defined]
    hutch("import", str(hutch.tarball), f"{reg}/vb/box:1")  # type: ignore[attr-defined]
    hutch("push", f"{reg}/vb/box:1")
    hutch("rmi", f"{reg}/vb/box:1")
    hutch("pull", f"{reg}/vb/box:1")
    evs = [(e["Action"], e["Actor"]["ID"]) for e in _events(hutch, "-f", "event=push", "-f", "event=pull")]
    assert evs == [("push", f"{reg}/vb/box:1"), ("pull", f"{reg}/vb/box:1")], evs
