"""docker-shaped `inspect` documents for images and containers (the fields docker users read)."""

from __future__ import annotations

import json
import os

from hutch.engine.model import RUNNING
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.containers import Engine
    from hutch.engine.records import Record
    from hutch.image.store import Image


def image(img: Image) -> dict[str, Any]:
    from hutch.image.reference import familiar

    cfg = img.config
    return {
        "Id": img.id,
        "RepoTags": [familiar(n) for n in img.names],
        "RepoDigests": [familiar(n) for n in img.repo_digests],
        "Created": cfg.get("created", ""),
        "Author": cfg.get("author", ""),
        "Config": cfg.get("config", {}),
        "Architecture": cfg.get("architecture", ""),
        "Os": cfg.get("os", ""),
        "Size": img.size,
        "RootFS": {"Type": "layers", "Layers": img.diff_ids},
        "Metadata": {"ManifestDigest": img.manifest_digest},
    }


def container(eng: Engine, record: dict[str, Any], size: bool = False) -> dict[str, Any]:
    """The record, and the OCI config it ran with, in docker's shape (``size``: with docker's
    SizeRw and SizeRootFs)."""
    lay = eng.layout(record["id"])
    try:
        with open(lay.config) as f:
            spec: dict[str, Any] = json.load(f)
    except (OSError, ValueError):
        spec = {}
    st = record["state"]
    cfg = record.get("config", {})
    process = spec.get("process", {})
    res = spec.get("linux", {}).get("resources", {})
    user = process.get("user", {})
    try:
        image_cfg: dict[str, Any] = eng.images.get(record["image_id"]).config.get("config") or {}
    except HutchError:
        image_cfg = {}  # the image was removed since
    volumes = {str(v["Destination"]): v for v in record.get("volumes") or []}
    sized = dict(zip(("SizeRw", "SizeRootFs"), sizes(eng, record), strict=True)) if size else {}
    return {
        "Id": record["id"],
        "Created": record["created"],
        "Path": (record.get("args") or [""])[0],
        "Args": (record.get("args") or [])[1:],
        "State": {
            "Status": st["status"],
            "Running": st["status"] in (RUNNING, "restarting"),  # (docker: both, while restarting)
            "Paused": bool(st.get("paused", False)),
            "Restarting": st["status"] == "restarting",
            "OOMKilled": bool(st.get("oom_killed", False)),
            "Dead": False,
            "Pid": int(st.get("pid", 0)),
            "ExitCode": int(st.get("exit_code", 0)),
            "Error": st.get("error", ""),
            "StartedAt": st.get("started_at", ""),
            "FinishedAt": st.get("finished_at", ""),
            **({"Health": st["health"]} if st.get("health") and (cfg.get("healthcheck") or {}).get("Test")
               not in (None, [], ["NONE"]) else {}),
        },
        "RestartCount": int(st.get("restart_count", 0)),
        "Image": record["image_id"],
        "LogPath": eng.log_path(record),
        **{key: lay.etc_file(name) if os.path.exists(lay.etc_file(name)) else ""
           for key, name in (("ResolvConfPath", "resolv.conf"), ("HostnamePath", "hostname"),
                             ("HostsPath", "hosts"))},
        "Name": "/" + record["name"],
        "Driver": "overlay",
        "Platform": "linux",
        "MountLabel": spec.get("linux", {}).get("mountLabel", ""),
        "ProcessLabel": process.get("selinuxLabel", ""),
        "AppArmorProfile": process.get("apparmorProfile", ""),
        "ExecIDs": None,
        **sized,
        "Config": {
            "Hostname": spec.get("hostname", ""),
            "Domainname": spec.get("domainname", ""),
            "User": f"{user.get('uid', 0)}:{user.get('gid', 0)}",
            "Env": process.get("env", []),
            "Cmd": cfg.get("cmd", record.get("args", [])),
            "Entrypoint": cfg.get("entrypoint") or None,
            "Image": record["image"],
            "WorkingDir": process.get("cwd", "/"),
            "Tty": bool(cfg.get("tty", False)),
            "OpenStdin": bool(cfg.get("stdin", False)),
            "StopSignal": cfg.get("stop_signal") or "SIGTERM",
            **({"StopTimeout": cfg["stop_timeout"]} if cfg.get("stop_timeout") is not None else {}),
            "Labels": dict(record.get("labels") or {}),
            **({"Healthcheck": cfg["healthcheck"]} if cfg.get("healthcheck") else {}),
            "ExposedPorts": {**dict(image_cfg.get("ExposedPorts") or {}),
                             **{k: {} for k in record.get("exposed") or []}},
            "Volumes": {**dict(image_cfg.get("Volumes") or {}),
                        **{d: {} for d, v in volumes.items() if v.get("Anonymous")}} or None,
        },
        "Mounts": [_mount(m, volumes) for m in spec.get("mounts", []) if m.get("destination") not in _OWN
                   and (m.get("type") == "bind" or m.get("destination") not in _DEFAULT)],
        "HostConfig": {
            "Runtime": record.get("runtime", ""),
            "AutoRemove": bool(cfg.get("remove", False)),
            "RestartPolicy": dict(cfg.get("restart") or {"Name": "no", "MaximumRetryCount": 0}),
            "LogConfig": {"Type": "json-file", "Config": {
                **({"max-size": str(cfg["log_max_size"])} if cfg.get("log_max_size") else {}),
                **({"max-file": str(cfg["log_max_file"])} if cfg.get("log_max_file", 1) > 1 else {})}},
            "Memory": int(res.get("memory", {}).get("limit", 0)),
            "MemorySwap": int(res.get("memory", {}).get("swap", 0)),
            "CpuShares": int(res.get("cpu", {}).get("shares", 0)),
            "CpusetCpus": res.get("cpu", {}).get("cpus", ""),
            "PidsLimit": int(res.get("pids", {}).get("limit", 0)),
            "ReadonlyRootfs": bool(spec.get("root", {}).get("readonly", False)),
            "NetworkMode": record.get("network") or ("none" if any(
                n.get("type") == "network" for n in spec.get("linux", {}).get("namespaces", [])) else "host"),
            "PortBindings": _port_bindings(record),
            "Privileged": bool(cfg.get("privileged", False)),
            "Init": bool(cfg.get("init", False)) or None,
            **{k: v for k, v in (cfg.get("host_mounts") or {"Binds": None}).items()},
            **_host_flags(cfg, spec),
        },
        "NetworkSettings": _network_settings(record),
        "GraphDriver": {"Name": "overlay", "Data": {"UpperDir": lay.upper, "WorkDir": lay.work,
                                                    "MergedDir": lay.merged}},
    }


def sizes(eng: Engine, record: Record) -> tuple[int, int]:
    """docker's SizeRw and SizeRootFs of a container: its writable layer's bytes, and those
    with its image's."""
    from hutch.engine.prune import tree_size

    rw = tree_size(eng.layout(record["id"]).upper)
    try:
        image_size = eng.images.get(str(record.get("image_id") or record["image"])).size
    except HutchError:
        image_size = 0
    return rw, rw + image_size


def network(eng: Engine, ref: str) -> dict[str, Any]:
    """docker's network document: the network's object with the containers on it now
    (``Containers``: name, MAC, IPv4 and IPv6 address of each)."""
    from hutch.network.store import Networks

    net = dict(Networks(eng.root).get(ref))
    net["Containers"] = {
        r["id"]: {"Name": r["name"], "MacAddress": place.get("mac", ""),
                  "IPv4Address": f"{place.get('ip', '')}/{place.get('prefix', 0)}",
                  "IPv6Address": f"{place['ip6']}/{place.get('prefix6', 0)}" if place.get("ip6") else ""}
        for r in eng.records() for nid, place in (r.get("networks") or {}).items() if nid == net["Id"]}
    return net


#: the mounts of every container (not in Mounts), and those of its own even as binds
_DEFAULT = ("/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/sys/fs/cgroup")
_OWN = ("/dev/shm",)


def _host_flags(cfg: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """HostConfig's fields for the host-side flags (hutch.engine.hostflags), docker's names."""
    linux = spec.get("linux", {})
    res = linux.get("resources", {})
    cpu = res.get("cpu", {})
    nano = cfg.get("nano_cpus")
    return {
        "IpcMode": cfg.get("ipc", "private"),
        "PidMode": cfg.get("pid", ""),
        "UTSMode": cfg.get("uts", ""),
        "UsernsMode": cfg.get("userns", ""),
        "CgroupnsMode": cfg.get("cgroupns", "private"),
        "CgroupParent": cfg.get("cgroup_parent", ""),
        "ShmSize": int(cfg.get("shm_size") or 64 << 20),
        "Sysctls": dict(linux.get("sysctl") or {}) or None,
        "Devices": list(cfg.get("devices") or []),
        "GroupAdd": list(cfg.get("group_add") or []) or None,
        "OomScoreAdj": int(spec.get("process", {}).get("oomScoreAdj", 0)),
        "OomKillDisable": bool(res.get("memory", {}).get("disableOOMKiller", False)),
        "MemoryReservation": int(res.get("memory", {}).get("reservation", 0)),
        "NanoCpus": int(nano) if nano is not None else int(cpu.get("quota", 0)) * 10000,
        "CpuPeriod": int(cpu.get("period", 0)) if nano == 0 else 0,
        "CpuQuota": int(cpu.get("quota", 0)) if nano == 0 else 0,
        "BlkioWeight": int(res.get("blockIO", {}).get("weight", 0)),
    }


def _port_bindings(record: Record) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for b in record.get("port_bindings") or []:
        out.setdefault(b["ContainerPort"], []).append({"HostIp": b.get("HostIp", ""),
                                                        "HostPort": b.get("HostPort", "")})
    return out


def _network_settings(record: Record) -> dict[str, Any]:
    """docker's NetworkSettings: the first network's addresses at the top, each by name below
    (the IPv6 ones "" and 0 on a network without IPv6)."""
    places = record.get("networks") or {}
    nets = {str(p.get("name", nid)): {"NetworkID": nid, "IPAddress": p.get("ip", ""),
                                      "IPPrefixLen": p.get("prefix", 0), "Gateway": p.get("gateway", ""),
                                      "GlobalIPv6Address": p.get("ip6", ""),
                                      "GlobalIPv6PrefixLen": p.get("prefix6", 0),
                                      "IPv6Gateway": p.get("gateway6", ""),
                                      "MacAddress": p.get("mac", ""), "Aliases": list(p.get("aliases") or [])}
            for nid, p in places.items()}
    first = next(iter(nets.values()), {})
    return {"SandboxKey": record.get("netns", ""), "Ports": dict(record.get("ports") or {}),
            **{key: first.get(key, default) for key, default in (
                ("IPAddress", ""), ("IPPrefixLen", 0), ("Gateway", ""), ("GlobalIPv6Address", ""),
                ("GlobalIPv6PrefixLen", 0), ("IPv6Gateway", ""), ("MacAddress", ""))},
            "Networks": nets}


def _mount(m: dict[str, Any], volumes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rw = "ro" not in (m.get("options") or [])
    vol = volumes.get(str(m.get("destination")))
    if vol is not None:
        return {"Type": "volume", "Name": vol["Name"], "Source": m.get("source"),
                "Destination": m.get("destination"), "Driver": "local", "RW": rw}
    return {"Type": m.get("type"), "Source": m.get("source"), "Destination": m.get("destination"), "RW": rw}
