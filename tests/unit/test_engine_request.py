"""`CreateRequest.parse`: every field from raw values (as `hutch run`'s flags and the Python API
give them), typed; every bad value refused with its one-line message, before anything is made."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hutch.engine import request
from hutch.engine.limits import Resources
from hutch.engine.mounts import Mount
from hutch.engine.ports import PortBinding
from hutch.engine.request import CreateRequest, LogConfig, Network, Ulimit
from hutch.engine.security import DOCKER_CAPS
from hutch.errors import HutchError


def parse(**kw: Any) -> CreateRequest:
    return CreateRequest.parse("img:1", **kw)


def bad(words: str, **kw: Any) -> None:
    with pytest.raises(HutchError) as info:
        parse(**kw)
    msg = str(info.value)
    assert words in msg and "\n" not in msg, msg


def test_defaults() -> None:
    r = parse()
    assert r.image == "img:1" and r.command == [] and r.entrypoint is None and r.env == {}
    assert (r.workdir, r.user, r.hostname, r.name) == ("", "", "", None)
    assert not (r.tty or r.stdin or r.remove or r.privileged or r.read_only)
    assert r.network == Network("bridge", name="bridge")
    assert r.ports == [] and r.mounts == [] and r.ulimits == []
    assert r.resources == Resources()
    assert r.capabilities == list(DOCKER_CAPS)
    assert (r.seccomp, r.seccomp_profile, r.init_binary) == ("default", None, "")
    assert r.labels == {} and r.log == LogConfig("json-file", 0, 1)
    assert (r.stop_signal, r.stop_timeout, r.warnings) == ("", None, [])
    assert r == parse() and r != parse(tty=True)


def test_plain_fields() -> None:
    r = parse(command=["sh", "-c", "x"], workdir="/w", user="1:2", hostname="h", name="c-1", tty=True,
              stdin=True, remove=True, read_only=True, stop_signal="SIGUSR1", stop_timeout=3)
    assert r.command == ["sh", "-c", "x"]
    assert (r.workdir, r.user, r.hostname, r.name) == ("/w", "1:2", "h", "c-1")
    assert r.tty and r.stdin and r.remove and r.read_only
    assert (r.stop_signal, r.stop_timeout) == ("SIGUSR1", 3)


def test_entrypoint() -> None:
    assert parse(entrypoint="sh").entrypoint == ["sh"]
    assert parse(entrypoint="").entrypoint == []  # --entrypoint "": none (and no image Cmd)
    assert parse(entrypoint=["a", "b"]).entrypoint == ["a", "b"]


def test_bad_plain_fields() -> None:
    bad("invalid container name 'a/b'", name="a/b")
    bad("invalid signal: NOPE", stop_signal="NOPE")
    bad("the working directory 'rel' is not an absolute path", workdir="rel")


def test_env(tmp_path: Path) -> None:
    f = tmp_path / "env"
    f.write_text("A=file\nHOSTVAR\nGONE\n")
    r = parse(env=["A=flag", "B=1=2", "HOSTVAR", "UNSET"], env_files=[str(f)],
              host_env={"HOSTVAR": "h", "GONE": "g2"})
    # the files first, then -e; a bare KEY takes the host's value or is left out (docker's CLI)
    assert r.env == {"A": "flag", "HOSTVAR": "h", "GONE": "g2", "B": "1=2"}
    assert parse(env=["BARE"]).env == {"BARE": ""}  # the API: set empty
    bad("invalid environment variable '=x'", env=["=x"])
    bad("invalid environment variable ''", env=[""])
    bad("open /nonexistent-hutch: No such file or directory", env_files=["/nonexistent-hutch"])


def test_labels(tmp_path: Path) -> None:
    f = tmp_path / "labels"
    f.write_text("a=file\nb=2\n")
    assert parse(labels=["a=flag", "c"], label_files=[str(f)]).labels == {"a": "flag", "b": "2", "c": ""}
    assert parse(labels={"k": "v"}).labels == {"k": "v"}
    bad("invalid label '=v': use KEY=VALUE", labels=["=v"])


def test_network_and_ports() -> None:
    assert parse(network="host").network == Network("host")
    r = parse(network="host", publish=["8080:80"])
    assert r.ports == [] and r.warnings == ["Published ports are discarded when using host network mode"]
    assert parse(network="bridge").network == Network("bridge", name="bridge")
    r = parse(network="front", publish=["8080:80"])
    assert r.network == Network("bridge", name="front") and r.ports == [PortBinding(80, "tcp", "", 8080)]
    assert parse(network="container:web").network == Network("container", container="web")
    bad("--network 'container:': name the container", network="container:")
    bad("conflicting options: hostname and the network mode (container)", network="container:web",
        hostname="h")
    bad("conflicting options: port publishing", network="container:web", publish=["80"])
    bad("--network '-x': invalid network name", network="-x")
    bad("publishing ports (-p) needs a bridge network", publish=["80"], network="none")
    n = parse(network="front", network_aliases=["db"], ip="10.89.0.9", mac_address="02:42:0a:59:00:09",
              add_hosts=["gw:host-gateway"], dns=["192.0.2.53"], dns_search=["x.test"],
              dns_options=["ndots:2"], ip6="fd00:89::9")
    assert n.network.settings() == {"aliases": ["db"], "ip": "10.89.0.9", "ip6": "fd00:89::9",
                                    "mac": "02:42:0a:59:00:09",
                                    "add_hosts": ["gw:host-gateway"], "dns": ["192.0.2.53"],
                                    "dns_search": ["x.test"], "dns_options": ["ndots:2"]}
    bad("--ip '10.89.0.999': not an IP address", network="front", ip="10.89.0.999")
    bad("--mac-address 'nope'", network="front", mac_address="nope")
    bad("--ip6 '10.89.0.9': not an IP address", network="front", ip6="10.89.0.9")  # (an IPv4 one)
    bad("--ip6 'fd00::zz': not an IP address", network="front", ip6="fd00::zz")
    bad("--ip, --ip6 and --mac-address need a bridge network, not host", network="host", ip6="fd00::2")
    bad("conflicting options: --network-alias, --ip*", network="container:web", ip6="fd00::2")
    bad("need a bridge network, not none", network="none", ip="10.0.0.2")
    bad("user specified IP address is supported on user defined networks only", ip="10.88.0.9")
    bad("only supported for user-defined networks", network="bridge", network_aliases=["db"])
    bad("--add-host 'nohost': use NAME:IP", add_hosts=["nohost"])
    bad("--dns 'x': not an IP address", dns=["x"])
    bad("conflicting options: dns and the network mode (host)", network="host", dns=["192.0.2.53"])
    bad("invalid -p '99999'", publish=["99999"])


def test_port_bindings() -> None:
    from hutch.engine import ports

    assert ports.parse("127.0.0.1:8080-8081:80-81/udp") == [PortBinding(80, "udp", "127.0.0.1", 8080),
                                                            PortBinding(81, "udp", "127.0.0.1", 8081)]
    assert ports.parse("80")[0].docker() == {"ContainerPort": "80/tcp", "HostIp": "", "HostPort": ""}


def test_resources() -> None:
    r = parse(memory="64m", memory_swap="128m", cpus="0.5", cpu_shares=512, cpuset_cpus="0", pids_limit=10)
    assert r.resources == Resources(memory=64 << 20, memory_swap=128 << 20, cpus=0.5, cpu_shares=512,
                                    cpuset_cpus="0", pids_limit=10)
    assert parse(memory="1g", memory_swap="-1").resources.memory_swap == -1
    # the API's (-m alone: the spec generator gives twice as much memory+swap, as docker's daemon)
    assert parse(memory=64 << 20, cpus=1.0).resources == Resources(memory=64 << 20, cpus=1.0)
    assert parse(pids_limit=-5).resources.pids_limit == -1
    assert parse(pids_limit=0).resources.pids_limit is None


@pytest.mark.parametrize(("kw", "words"), [
    ({"memory": "lots"}, "invalid value 'lots' for --memory: not a size"),
    ({"memory": "1m"}, "--memory: the minimum allowed is 6MB"),
    ({"memory": "64m", "memory_swap": "32m"}, "--memory-swap must be at least --memory"),
    ({"memory": "64m", "memory_swap": "x"}, "invalid value 'x' for --memory-swap"),
    ({"memory_swap": "1g"}, "--memory-swap needs --memory"),
    ({"cpus": "two"}, "invalid value 'two' for --cpus: not a number"),
    ({"cpus": "0"}, "--cpus 0: must be above 0"),
    ({"cpus": "4096"}, f"at most {os.cpu_count()} here"),
])
def test_bad_resources(kw: dict[str, Any], words: str) -> None:
    bad(words, **kw)


def test_ulimits() -> None:
    r = parse(ulimits=["nofile=10:20", "core=-1", "nofile=11"])
    assert r.ulimits == [Ulimit("RLIMIT_NOFILE", 11, 11), Ulimit("RLIMIT_CORE", request.RLIM_INFINITY,
                                                                 request.RLIM_INFINITY)]
    bad("invalid --ulimit 'x=1': use TYPE=SOFT[:HARD]", ulimits=["x=1"])
    bad("the limits must be integers", ulimits=["nofile=a"])
    bad("a limit is a number >= 0, or -1", ulimits=["nofile=-2"])
    bad("the soft limit must be at most the hard limit", ulimits=["nofile=2:1"])


def test_mounts(tmp_path: Path) -> None:
    r = parse(volumes=[f"{tmp_path}:/h:ro", "data:/d"], mounts=["type=tmpfs,dst=/t,tmpfs-size=1m"],
              tmpfs=["/run:size=64k"])
    assert r.mounts == [Mount("bind", str(tmp_path), "/h", readonly=True, flag="-v"),
                        Mount("volume", "data", "/d", flag="-v"),
                        Mount("tmpfs", "", "/t", tmpfs_options=["size=1048576"], flag="--mount"),
                        Mount("tmpfs", "", "/run", tmpfs_options=["size=64k"], flag="--tmpfs")]
    bad("duplicate mount point: /a", volumes=["/a"], tmpfs=["/a"])
    bad("invalid volume 'n:rel'", volumes=["n:rel"])
    bad("invalid --mount 'type=nfs,dst=/x': type 'nfs' is not bind, volume or tmpfs",
        mounts=["type=nfs,dst=/x"])
    bad("invalid --tmpfs 'rel'", tmpfs=["rel"])


def test_capabilities() -> None:
    r = parse(cap_add=["net_admin"], cap_drop=["chown"])
    assert "CAP_NET_ADMIN" in r.capabilities and "CAP_CHOWN" not in r.capabilities
    assert parse(cap_drop=["all"], cap_add=["kill"]).capabilities == ["CAP_KILL"]
    bad("--cap-add 'CAP_FLY': unknown capability", cap_add=["CAP_FLY"])
    bad("--cap-drop 'x': unknown capability", cap_drop=["x"])


def test_privileged_and_security(tmp_path: Path) -> None:
    r = parse(privileged=True, security_opt=[f"seccomp={tmp_path}/absent.json"])
    assert r.privileged and r.seccomp == "unconfined" and r.seccomp_profile is None  # never read
    r = parse(security_opt=["no-new-privileges", "apparmor=p", "label=disable", "systempaths=unconfined"])
    s = r.security
    assert s.no_new_privileges and s.apparmor == "p" and s.label_disable and s.systempaths_unconfined
    assert parse(security_opt=["seccomp=unconfined"]).seccomp == "unconfined"
    profile = tmp_path / "p.json"
    profile.write_text('{"defaultAction": "SCMP_ACT_ALLOW"}')
    r = parse(security_opt=[f"seccomp={profile}"])
    assert r.seccomp == "profile" and r.seccomp_profile == {"defaultAction": "SCMP_ACT_ALLOW"}
    bad("--security-opt 'label=user:u': SELinux labels are not supported", security_opt=["label=user:u"])
    bad("invalid --security-opt 'bogus'", security_opt=["bogus"])
    bad("no-new-privileges takes true or false", security_opt=["no-new-privileges=2"])
    profile.write_text("{")
    bad("not JSON", security_opt=[f"seccomp={profile}"])
    bad("No such file or directory", security_opt=[f"seccomp={tmp_path}/absent.json"])


def test_init(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    tini = tmp_path / "tini"
    tini.write_text("")
    tini.chmod(0o755)
    monkeypatch.setattr(request, "INIT_BINARIES", (str(tmp_path / "absent"), str(tini)))
    assert parse(init=True).init_binary == str(tini)
    bad(f"duplicate mount point: {request.INIT_PATH} (--init uses it)", init=True,
        tmpfs=[request.INIT_PATH])
    monkeypatch.setattr(request, "INIT_BINARIES", (str(tmp_path / "absent"),))
    bad("--init: none of", init=True)


def test_log() -> None:
    assert parse(log_opts=["max-size=1k", "max-file=3"]).log == LogConfig("json-file", 1024, 3)
    assert parse(log_opts=["max-size=-1"]).log == LogConfig("json-file", 0, 1)
    bad("invalid --log-opt 'max-size': use KEY=VALUE", log_opts=["max-size"])
    bad("invalid --log-opt max-file=0: a number of at least 1", log_opts=["max-size=1k", "max-file=0"])
    bad("--log-opt max-file needs max-size", log_opts=["max-file=2"])
    bad("unknown log option 'color' for the json-file driver", log_opts=["color=red"])
    bad("invalid value 'big' for --log-opt max-size", log_opts=["max-size=big"])
    bad("--log-driver 'syslog': only json-file is supported", log_driver="syslog")


def test_repr_names_the_fields() -> None:
    assert repr(Ulimit("RLIMIT_CORE", 1, 2)) == "Ulimit(hard=2, kind='RLIMIT_CORE', soft=1)"


# ---- the host-side flags (hutch.engine.hostflags) ------------------------------------------


def test_host_defaults_are_dockers() -> None:
    h = parse().host
    v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")  # docker: cgroupns private on v2, host on v1
    assert (h.ipc, h.pid, h.uts, h.cgroupns, h.userns) == ("private", "", "", "private" if v2 else "host", "")
    assert h.shm_size == 64 << 20 and h.devices == [] and h.sysctls == {} and h.oom_score_adj is None


def test_devices() -> None:
    d = parse(devices=["/dev/null"]).host.devices[0]
    assert (d.host, d.path, d.perms, d.kind, d.major, d.minor) == ("/dev/null", "/dev/null", "rwm", "c", 1, 3)
    d = parse(devices=["/dev/null:r"]).host.devices[0]
    assert (d.path, d.perms) == ("/dev/null", "r")
    d = parse(devices=["/dev/null:/dev/x:mw"]).host.devices[0]
    assert (d.path, d.perms) == ("/dev/x", "mw")
    bad('invalid argument "/dev/null:x" for "--device" flag: bad format for path: /dev/null:x',
        devices=["/dev/null:x"])
    bad("bad mode specified: rwq", devices=["/dev/null:/x:rwq"])
    bad("invalid device specification", devices=["/a:/b:r:w"])
    bad('adding custom device "/nosuch"', devices=["/nosuch"])
    bad("not a device node", devices=["/etc/hostname:/x"])
    if os.path.exists("/dev/net/tun"):  # a directory: its nodes, below CONTAINER (docker's)
        d = parse(devices=["/dev/net:/dev/n:r"]).host.devices
        assert [(x.host, x.path, x.perms, x.major, x.minor) for x in d] == [
            ("/dev/net/tun", "/dev/n/tun", "r", 10, 200)]


def test_shm_size_and_sysctls() -> None:
    assert parse(shm_size="1g").host.shm_size == 1 << 30
    assert parse(shm_size=4096).host.shm_size == 4096  # the API's bytes
    bad('invalid argument "x" for "--shm-size" flag', shm_size="x")
    s = parse(sysctls=["net.core.somaxconn=1024", "kernel.shmmax=1", "fs.mqueue.msg_max=9"]).host.sysctls
    assert s == {"net.core.somaxconn": "1024", "kernel.shmmax": "1", "fs.mqueue.msg_max": "9"}
    assert parse(sysctls={"net.ipv4.ip_forward": "1"}).host.sysctls == {"net.ipv4.ip_forward": "1"}
    bad("sysctl 'kernel.pid_max=5' is not allowed", sysctls=["kernel.pid_max=5"])
    bad("sysctl 'net.x' is not allowed", sysctls=["net.x"])
    bad('sysctl "net.core.somaxconn" not allowed in host network namespace', network="host",
        sysctls=["net.core.somaxconn=1"])
    bad('sysctl "kernel.shmmax" not allowed in host ipc namespace', ipc="host", sysctls=["kernel.shmmax=1"])


def test_namespace_modes() -> None:
    h = parse(ipc="container:db", pid="host", uts="host", cgroupns="host", userns="host").host
    assert (h.ipc, h.pid, h.uts, h.cgroupns, h.userns) == ("container:db", "host", "host", "host", "host")
    for kw, words in (({"ipc": "x"}, "--ipc: invalid IPC mode"), ({"ipc": "container:"}, "invalid IPC mode"),
                      ({"pid": "private"}, "--pid: invalid PID mode"),
                      ({"uts": "x"}, "--uts: invalid UTS mode"),
                      ({"cgroupns": "x"}, "--cgroupns: invalid CGROUP mode"),
                      ({"userns": "keep-id"}, "--userns: invalid USER mode"),
                      ({"uts": "host", "hostname": "h"}, "conflicting options: hostname and the UTS mode")):
        bad(words, **kw)


def test_idmaps() -> None:
    h = parse(uidmap=["0:100000:65536"]).host
    assert [(m.container, m.host, m.size) for m in h.uidmap] == [(0, 100000, 65536)]
    assert h.gidmap == h.uidmap  # podman's: the uid map for the gids too
    bad('invalid argument "0:1" for "--uidmap" flag', uidmap=["0:1"])
    bad("within 32 bits", gidmap=["0:1:0"])


def test_host_resources() -> None:
    r = parse(memory="64m", memory_reservation="32m", cpu_period=50000, cpu_quota=25000,
              blkio_weight=300).resources
    assert (r.memory_reservation, r.cpu_period, r.cpu_quota, r.blkio_weight) == (32 << 20, 50000, 25000, 300)
    assert r.memory_swap is None  # -m alone: the spec generator's to settle
    assert parse(memory="64m", memory_swap="64m").resources.memory_swap == 64 << 20
    h = parse(oom_score_adj=-500, oom_kill_disable=True, cgroup_parent="batch/jobs").host
    assert (h.oom_score_adj, h.oom_kill_disable, h.cgroup_parent) == (-500, True, "/batch/jobs")
    bad("range for oom score adj is [-1000, 1000]", oom_score_adj=-1001)
    bad("Minimum memory reservation allowed is 6MB", memory_reservation="1m")
    bad("Minimum memory limit can not be less than memory reservation limit", memory="8m",
        memory_reservation="16m")
    bad("CPU cfs period can not be less than 1ms", cpu_period=999)
    bad("CPU cfs quota can not be less than 1ms", cpu_quota=999)
    bad("Conflicting options: Nano CPUs and CPU Quota", cpus="1", cpu_quota=5000)
    bad("Range of blkio weight is from 10 to 1000", blkio_weight=1001)
    bad("invalid --cgroup-parent", cgroup_parent="../x")


def test_group_add_and_volumes_from() -> None:
    h = parse(group_add=["audio", "42"], volumes_from=["db", "web:ro"], domainname="example.org").host
    assert h.group_add == ["audio", "42"] and h.volumes_from == [("db", ""), ("web", "ro")]
    assert h.domainname == "example.org"
    bad("invalid mode: rx", volumes_from=["db:rx"])
    bad("invalid --group-add", group_add=["a:b"])
