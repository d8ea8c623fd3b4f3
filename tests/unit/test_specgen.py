"""The spec generator: a `CreateRequest` and an image config in, config.json's fields out (no
string parsing there: the request's values are already typed)."""

from __future__ import annotations

from typing import Any

import pytest

from hutch.engine import specgen
from hutch.engine.request import INIT_PATH, CreateRequest
from hutch.engine.security import DOCKER_CAPS
from hutch.errors import HutchError
from hutch.spec.defaults import MASKED_PATHS

CID = "c" * 64
IMAGE: dict[str, Any] = {"config": {"Env": ["PATH=/img", "A=image", "BARE"], "Cmd": ["/bin/sh"],
                                    "WorkingDir": "/srv", "Labels": {"from": "image", "x": "1"}}}


def gen(image: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return specgen.generate(CreateRequest.parse("img", **kw), IMAGE if image is None else image, "/root",
                            CID, [], None)


def test_defaults() -> None:
    c = gen()
    p = c["process"]
    assert p["args"] == ["/bin/sh"] and p["cwd"] == "/srv" and not p["terminal"]
    # docker's: PATH, HOSTNAME, the image's, then HOME (the passwd entry's; / without one)
    assert p["env"] == ["PATH=/img", f"HOSTNAME={CID[:12]}", "A=image", "BARE=", "HOME=/"]
    assert p["user"]["uid"] == 0 and p["user"]["gid"] == 0
    assert p["capabilities"]["bounding"] == list(DOCKER_CAPS) and not p["noNewPrivileges"]
    assert p["rlimits"][0]["type"] == "RLIMIT_NOFILE"
    assert c["hostname"] == CID[:12] and c["root"] == {"path": "/root", "readonly": False}
    assert {"type": "network"} in c["linux"]["namespaces"]
    assert c["linux"]["maskedPaths"] == list(MASKED_PATHS)
    assert c["linux"]["resources"] == {"devices": [{"allow": False, "access": "rwm"}]}
    assert c["annotations"] == {"io.github.hutch.container": CID, specgen.VOLUMES_ANNOTATION: "[]"}
    assert specgen.volumes_of(c) == []


def test_process_fields() -> None:
    c = gen(command=["echo", "hi"], env=["A=flag", "NEW=1"], workdir="/w", user="7:8", hostname="h",
            tty=True, read_only=True)
    p = c["process"]
    assert p["args"] == ["echo", "hi"] and p["cwd"] == "/w" and p["terminal"]
    assert p["env"] == ["PATH=/img", "HOSTNAME=h", "TERM=xterm", "A=flag", "BARE=", "NEW=1", "HOME=/"]
    assert (p["user"]["uid"], p["user"]["gid"]) == (7, 8)
    assert c["hostname"] == "h" and c["root"]["readonly"]
    assert gen({"config": {"Cmd": ["x"]}})["process"]["env"][0].startswith("PATH=/usr/local/sbin")  # default
    assert gen(entrypoint="/e")["process"]["args"] == ["/e"]  # --entrypoint drops the image's Cmd


def test_image_values_checked() -> None:
    with pytest.raises(HutchError, match="no command specified"):
        gen({})
    with pytest.raises(HutchError, match="the working directory 'rel' is not an absolute path"):
        gen({"config": {"Cmd": ["x"], "WorkingDir": "rel"}})
    with pytest.raises(HutchError, match="invalid environment variable '=x'"):
        gen({"config": {"Cmd": ["x"], "Env": ["=x"]}})


def test_resources() -> None:
    res = gen(memory="64m", memory_swap="-1", cpus="0.5", cpu_shares=100, cpuset_cpus="0",
              pids_limit=-1)["linux"]["resources"]
    assert res["memory"] == {"limit": 64 << 20, "swap": -1}
    assert res["cpu"] == {"quota": 50000, "period": 100000, "shares": 100, "cpus": "0"}
    assert res["pids"] == {"limit": -1}


def test_rlimits() -> None:
    rl = gen(ulimits=["core=1:2", "nofile=5"])["process"]["rlimits"]
    assert rl == [{"type": "RLIMIT_NOFILE", "hard": 5, "soft": 5},
                  {"type": "RLIMIT_CORE", "hard": 2, "soft": 1}]


def test_network_host() -> None:
    c = gen(network="host")
    assert {"type": "network"} not in c["linux"]["namespaces"]
    sys_mount = next(m for m in c["mounts"] if m["destination"] == "/sys")
    assert sys_mount["type"] == "bind" and sys_mount["source"] == "/sys"


def test_security() -> None:
    c = gen(security_opt=["no-new-privileges", "apparmor=prof", "seccomp=unconfined",
                          "systempaths=unconfined"], cap_drop=["all"], cap_add=["kill"])
    assert c["process"]["noNewPrivileges"] and c["process"]["apparmorProfile"] == "prof"
    assert c["process"]["capabilities"]["effective"] == ["CAP_KILL"]
    assert "seccomp" not in c["linux"] and c["linux"]["maskedPaths"] == []
    assert "apparmorProfile" not in gen(security_opt=["apparmor=unconfined"])["process"]


def test_privileged() -> None:
    c = gen(privileged=True)
    assert c["linux"]["resources"]["devices"] == [{"allow": True, "access": "rwm"}]
    assert "seccomp" not in c["linux"] and c["linux"]["readonlyPaths"] == []
    assert isinstance(c["linux"]["devices"], list)
    sys_mount = next(m for m in c["mounts"] if m["destination"] == "/sys")
    assert "ro" not in sys_mount["options"]


def test_init(monkeypatch: pytest.MonkeyPatch) -> None:
    req = CreateRequest.parse("img")
    req.init_binary = "/usr/bin/tini"
    c = specgen.generate(req, IMAGE, "/root", CID)
    assert c["process"]["args"] == [INIT_PATH, "--", "/bin/sh"]
    assert {"destination": INIT_PATH, "type": "bind", "source": "/usr/bin/tini",
            "options": ["rbind", "ro", "nosuid", "nodev", "rprivate"]} in c["mounts"]


def test_mounts_without_volumes(tmp_path: Any) -> None:
    c = gen(volumes=[f"{tmp_path}:/h:ro"], tmpfs=["/t:size=1k"])
    assert {"destination": "/h", "type": "bind", "source": str(tmp_path),
            "options": ["rbind", "ro", "rprivate"]} in c["mounts"]
    assert {"destination": "/t", "type": "tmpfs", "source": "tmpfs",
            "options": ["nosuid", "nodev", "noexec", "size=1k"]} in c["mounts"]
    with pytest.raises(HutchError, match="volumes need the engine's volume store"):
        gen(volumes=["data:/d"])


def test_labels() -> None:
    req = CreateRequest.parse("img", labels=["x=2"])
    assert specgen.labels(IMAGE, req) == {"from": "image", "x": "2"}


def test_host_flags_in_the_config() -> None:
    """--ipc/--pid/--uts/--cgroupns host drop the namespace; --shm-size sizes /dev/shm (docker's
    64m by default), --ipc host binds the host's; --device, --sysctl, --domainname,
    --oom-score-adj, --uidmap as the runtime-spec spells them."""
    kinds = [n["type"] for n in gen(cgroupns="private")["linux"]["namespaces"]]
    assert kinds == ["pid", "ipc", "uts", "mount", "cgroup", "network"]
    c = gen(ipc="host", pid="host", uts="host", cgroupns="host")
    assert [n["type"] for n in c["linux"]["namespaces"]] == ["mount", "network"]
    assert "hostname" not in c  # the host's own
    shm = next(m for m in c["mounts"] if m["destination"] == "/dev/shm")
    assert shm["type"] == "bind" and shm["source"] == "/dev/shm"
    shm = next(m for m in gen()["mounts"] if m["destination"] == "/dev/shm")
    assert f"size={64 << 20}" in shm["options"]
    shm = next(m for m in gen(shm_size="1m")["mounts"] if m["destination"] == "/dev/shm")
    assert f"size={1 << 20}" in shm["options"]
    assert not any(m["destination"] == "/dev/shm" for m in gen(ipc="none")["mounts"])
    c = gen(devices=["/dev/null:/dev/n:r"], sysctls=["net.core.somaxconn=9"], domainname="ex.org",
            oom_score_adj=300, oom_kill_disable=True, uidmap=["0:100000:65536"])
    assert c["linux"]["devices"][-1] == {"path": "/dev/n", "type": "c", "major": 1, "minor": 3,
                                         "fileMode": 0o666, "uid": 0, "gid": 0}
    assert c["linux"]["resources"]["devices"][-1] == {"allow": True, "type": "c", "major": 1, "minor": 3,
                                                      "access": "r"}
    assert c["linux"]["sysctl"] == {"net.core.somaxconn": "9"} and c["domainname"] == "ex.org"
    assert c["process"]["oomScoreAdj"] == 300
    assert c["linux"]["resources"]["memory"] == {"disableOOMKiller": True}
    assert {"type": "user"} in c["linux"]["namespaces"]
    assert c["linux"]["uidMappings"] == c["linux"]["gidMappings"] == [
        {"containerID": 0, "hostID": 100000, "size": 65536}]


def test_resources_in_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(specgen, "swap_limit_supported", lambda: True)
    res = gen(memory="64m", memory_reservation="32m", cpu_period=50000, cpu_quota=20000,
              blkio_weight=500)["linux"]["resources"]
    assert res["memory"] == {"limit": 64 << 20, "swap": 128 << 20, "reservation": 32 << 20}
    assert res["cpu"] == {"period": 50000, "quota": 20000} and res["blockIO"] == {"weight": 500}
    monkeypatch.setattr(specgen, "swap_limit_supported", lambda: False)
    assert gen(memory="64m")["linux"]["resources"]["memory"] == {"limit": 64 << 20}  # docker: no SwapLimit
    assert gen(memory="64m", memory_swap="-1")["linux"]["resources"]["memory"]["swap"] == -1


def test_group_add_and_home(tmp_path: Any) -> None:
    layer = tmp_path / "layer"
    (layer / "etc").mkdir(parents=True)
    (layer / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\nu:x:5:5::/home/u:/bin/sh\n")
    (layer / "etc/group").write_text("root:x:0:\naudio:x:29:\n")
    c = specgen.generate(CreateRequest.parse("img", group_add=["audio", "77"], user="u"), IMAGE, "/r", CID,
                         [str(layer)], None)
    assert c["process"]["user"]["additionalGids"] == [5, 29, 77]
    assert "HOME=/home/u" in c["process"]["env"]
    with pytest.raises(HutchError, match="Unable to find group nosuch"):
        specgen.generate(CreateRequest.parse("img", group_add=["nosuch"]), IMAGE, "/r", CID, [str(layer)],
                         None)
