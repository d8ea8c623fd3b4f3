"""docker-py's `containers.create/run` keyword arguments as `CreateRequest.parse`'s (the flags'
spelling): one translation, pure, so the parsing and checking stay in hutch.engine.request.

docker-py's forms (docker/models/containers.py, docker/utils/utils.py):
- ``ports``: {"80/tcp": 8080 | "8080" | ("127.0.0.1", 8080) | ("127.0.0.1",) | None | [8080, 8081]}
  (None: a free host port) → -p values;
- ``volumes``: ["src:dst[:mode]"] or {"src": {"bind": "/dst", "mode": "ro"} | "/dst"} → -v values;
- ``mounts``: docker.types.Mount dicts (Type, Source, Target, ReadOnly, BindOptions,
  TmpfsOptions, VolumeOptions) → --mount values;
- ``tmpfs``: {"/path": "size=1m"} or ["/path:size=1m"]; ``labels``: a dict or a list (a bare
  key gets "", as in docker-py; KEY=VALUE is split, as --label); ``extra_hosts``: {"name": "ip"}
  or ["name:ip"];
- ``ulimits``: [{"Name", "Soft", "Hard"}]; ``log_config``: {"Type", "Config"};
  ``restart_policy``: {"Name", "MaximumRetryCount"}; ``nano_cpus``: CPUs x 1e9;
- ``healthcheck``: {"test": [...] | "shell command", "interval", "timeout", "start_period" (ns),
  "retries"} (docker.types.Healthcheck; its capitalised keys too) → docker's Healthcheck.

A keyword docker-py does not have is a TypeError, worded as docker-py's; one it has that hutch
cannot do is `NotImplementedByHutch` (docker's 501), never silently dropped.
"""

from __future__ import annotations

from hutch.errors import InvalidArgument, NotImplementedByHutch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

#: docker-py's run/create keywords that `to_parse_args` turns into CreateRequest.parse's
SUPPORTED = frozenset({
    "command", "entrypoint", "environment", "working_dir", "user", "hostname", "name", "tty", "stdin_open",
    "auto_remove", "network", "network_mode", "network_disabled", "ports", "publish_all_ports", "mem_limit",
    "memswap_limit", "nano_cpus", "cpu_shares", "cpuset_cpus", "pids_limit", "volumes", "mounts", "tmpfs",
    "ulimits", "cap_add", "cap_drop", "privileged", "security_opt", "init", "labels", "log_config",
    "stop_signal", "stop_timeout", "read_only", "mac_address", "extra_hosts", "dns", "dns_search", "dns_opt",
    "restart_policy", "healthcheck",
    "cpus",  # hutch's own (docker's --cpus), kept from hutch's first API
})
#: docker-py's keywords that hutch's engine has nothing for (docker's RUN_*_KWARGS less the above)
UNSUPPORTED = frozenset({
    "domainname", "use_config_proxy", "blkio_weight_device", "blkio_weight", "cgroup_parent",
    "cgroupns", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime",
    "cpuset_mems", "device_cgroup_rules", "device_read_bps", "device_read_iops", "device_write_bps",
    "device_write_iops", "devices", "device_requests", "group_add", "init_path", "ipc_mode", "isolation",
    "kernel_memory", "links", "lxc_conf", "mem_reservation", "mem_swappiness", "oom_kill_disable",
    "oom_score_adj", "pid_mode", "shm_size", "storage_opt", "sysctls", "userns_mode", "uts_mode", "version",
    "volume_driver", "volumes_from", "runtime", "networking_config",
})
#: what docker-py's ``run`` takes besides create's
RUN_ONLY = frozenset({"detach", "remove", "stdout", "stderr", "platform", "stream"})


def check_kwargs(function: str, kwargs: Mapping[str, Any], extra: frozenset[str] = frozenset()) -> None:
    """docker-py's TypeError for a keyword it does not know; NotImplementedByHutch for one hutch
    has no flag for (given a value other than "not set")."""
    for key, value in kwargs.items():
        if key in SUPPORTED or key in extra:
            continue
        if key in UNSUPPORTED:
            if value in (None, "", [], {}, False, 0):
                continue
            raise NotImplementedByHutch(f"{function}: {key} is not supported by hutch")
        raise TypeError(f"{function}() got an unexpected keyword argument '{key}'")


def to_parse_args(kw: Mapping[str, Any], restart_supported: bool = False) -> dict[str, Any]:
    """docker-py's keywords (checked by `check_kwargs`) as `CreateRequest.parse`'s."""
    out: dict[str, Any] = {}
    if "command" in kw:
        out["command"] = split_command(kw["command"])
    if kw.get("entrypoint") is not None:
        out["entrypoint"] = split_command(kw["entrypoint"])
    if kw.get("environment"):
        out["env"] = environment(kw["environment"])
    for ours, theirs in (("workdir", "working_dir"), ("user", "user"), ("hostname", "hostname"),
                         ("mac_address", "mac_address"), ("stop_signal", "stop_signal")):
        if kw.get(theirs):
            out[ours] = str(kw[theirs])
    if kw.get("name") is not None:
        out["name"] = kw["name"]
    for ours, theirs in (("tty", "tty"), ("stdin", "stdin_open"), ("remove", "auto_remove"),
                         ("privileged", "privileged"), ("init", "init"), ("read_only", "read_only"),
                         ("publish_all", "publish_all_ports")):
        if kw.get(theirs):
            out[ours] = True
    if kw.get("stop_timeout") is not None:
        out["stop_timeout"] = int(kw["stop_timeout"])
    out["network"] = network(kw)
    if kw.get("ports"):
        out["publish"] = ports(kw["ports"])
    for ours, theirs in (("memory", "mem_limit"), ("memory_swap", "memswap_limit"), ("cpus", "cpus")):
        if kw.get(theirs) not in (None, ""):
            out[ours] = kw[theirs]
    if kw.get("nano_cpus"):
        out["cpus"] = int(kw["nano_cpus"]) / 1e9
    if kw.get("cpu_shares"):
        out["cpu_shares"] = int(kw["cpu_shares"])
    if kw.get("cpuset_cpus"):
        out["cpuset_cpus"] = str(kw["cpuset_cpus"])
    if kw.get("pids_limit") is not None:
        out["pids_limit"] = int(kw["pids_limit"])
    if kw.get("volumes"):
        out["volumes"] = volumes(kw["volumes"])
    if kw.get("mounts"):
        out["mounts"] = [mount(m) for m in kw["mounts"]]
    if kw.get("tmpfs"):
        t = kw["tmpfs"]
        out["tmpfs"] = [f"{p}:{o}" if o else p for p, o in t.items()] if isinstance(t, dict) else list(t)
    if kw.get("ulimits"):
        out["ulimits"] = [ulimit(u) for u in kw["ulimits"]]
    for ours, theirs in (("cap_add", "cap_add"), ("cap_drop", "cap_drop"), ("security_opt", "security_opt"),
                         ("dns", "dns"), ("dns_search", "dns_search"), ("dns_options", "dns_opt")):
        if kw.get(theirs):
            out[ours] = _strings(theirs, kw[theirs])
    if kw.get("labels"):
        labels = kw["labels"]
        out["labels"] = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) \
            else _strings("labels", labels)  # (a bare key: "", as docker-py's list form)
    if kw.get("extra_hosts"):
        hosts = kw["extra_hosts"]
        out["add_hosts"] = [f"{k}:{v}" for k, v in hosts.items()] if isinstance(hosts, dict) \
            else _strings("extra_hosts", hosts)
    if kw.get("log_config"):
        out["log_driver"], out["log_opts"] = log_config(kw["log_config"])
    policy = restart_policy(kw.get("restart_policy"))
    if policy:
        if not restart_supported:
            raise NotImplementedByHutch(f"restart_policy {policy!r}: restart policies are not implemented in "
                                        "this hutch engine")
        out["restart"] = policy
    if kw.get("healthcheck"):
        out["healthcheck"] = healthcheck(kw["healthcheck"])
    return out


def healthcheck(value: Mapping[str, Any]) -> dict[str, Any]:
    """docker-py's healthcheck as docker's Healthcheck (checked by CreateRequest.parse): a
    string ``test`` is a shell command (CMD-SHELL), as docker.types.Healthcheck makes it."""
    test = value.get("test", value.get("Test")) or []
    out: dict[str, Any] = {"Test": ["CMD-SHELL", test] if isinstance(test, str) else [str(t) for t in test]}
    for key, name in (("interval", "Interval"), ("timeout", "Timeout"), ("start_period", "StartPeriod"),
                      ("retries", "Retries")):
        out[name] = int(value.get(key, value.get(name)) or 0)
    return out


def split_command(value: str | Iterable[str]) -> list[str]:
    """docker-py splits a string command (or entrypoint) as a shell would (shlex)."""
    if isinstance(value, str):
        import shlex

        return shlex.split(value)
    return [str(v) for v in value]


def environment(value: Mapping[str, Any] | Iterable[str]) -> list[str]:
    if isinstance(value, dict):  # (None: the bare name, as docker-py's format_environment)
        return [str(k) if v is None else f"{k}={v}" for k, v in value.items()]
    return _strings("environment", value)


def network(kw: Mapping[str, Any]) -> str:
    """``network`` (a network's name) or ``network_mode`` (bridge, host, none, container:X, or a
    network's name, as docker's HostConfig.NetworkMode); ``network_disabled``: none."""
    net, mode = kw.get("network"), kw.get("network_mode")
    if net and mode and net != mode:
        raise InvalidArgument("the 'network' and 'network_mode' arguments are incompatible")
    if kw.get("network_disabled"):
        return "none"
    return str(net or mode or "bridge")


def ports(value: Mapping[Any, Any]) -> list[str]:
    """docker-py's ``ports`` dict as -p values."""
    out = []
    for key, host in value.items():
        cport = str(key) if "/" in str(key) else f"{key}/tcp"
        for h in host if isinstance(host, list) else [host]:
            if h is None:
                out.append(cport)
            elif isinstance(h, tuple):
                ip, port = h[0], (h[1] if len(h) > 1 and h[1] is not None else "")
                ip = f"[{ip}]" if ":" in str(ip) else ip
                out.append(f"{ip}:{port}:{cport}")
            elif isinstance(h, (int, str)):
                out.append(f"{h}:{cport}")
            else:
                raise InvalidArgument(f"ports: {key!r}: {h!r} is not a port, (ip, port) or None")
    return out


def volumes(value: Mapping[str, Any] | list[str]) -> list[str]:
    """docker-py's ``volumes`` (a list of -v strings, or its dict form) as -v values."""
    if not isinstance(value, dict):
        return _strings("volumes", value)
    out = []
    for src, bind in value.items():
        if isinstance(bind, dict):
            if "bind" not in bind:
                raise InvalidArgument(f"volumes: {src!r}: the dict needs 'bind' (the path in the container)")
            mode = bind.get("mode") or ("ro" if bind.get("ro") else "rw")
            out.append(f"{src}:{bind['bind']}:{mode}")
        else:
            out.append(f"{src}:{bind}")
    return out


def mount(m: Mapping[str, Any]) -> str:
    """A docker.types.Mount dict as a --mount value."""
    kind = str(m.get("Type") or "volume")
    target = m.get("Target")
    if not target:
        raise InvalidArgument(f"mounts: {dict(m)!r} has no Target")
    parts = [f"type={kind}", f"target={target}"]
    if m.get("Source"):
        parts.append(f"source={m['Source']}")
    if m.get("ReadOnly"):
        parts.append("readonly")
    bind_opts = m.get("BindOptions") or {}
    if bind_opts.get("Propagation"):
        parts.append(f"bind-propagation={bind_opts['Propagation']}")
    if (m.get("VolumeOptions") or {}).get("NoCopy"):
        parts.append("volume-nocopy")
    tmpfs = m.get("TmpfsOptions") or {}
    if tmpfs.get("SizeBytes"):
        parts.append(f"tmpfs-size={tmpfs['SizeBytes']}")
    if tmpfs.get("Mode"):
        parts.append(f"tmpfs-mode={int(tmpfs['Mode']):o}")
    return ",".join(parts)


def ulimit(u: Mapping[str, Any]) -> str:
    name = u.get("Name") or u.get("name")
    soft = u.get("Soft", u.get("soft"))
    hard = u.get("Hard", u.get("hard"))
    if not name or soft is None:
        raise InvalidArgument(f"ulimits: {dict(u)!r}: give Name and Soft (and Hard)")
    return f"{name}={soft}:{hard if hard is not None else soft}"


def log_config(value: Mapping[str, Any]) -> tuple[str, list[str]]:
    driver = str(value.get("Type") or value.get("type") or "json-file")
    config = value.get("Config") or value.get("config") or {}
    return driver, [f"{k}={v}" for k, v in config.items()]


def restart_policy(value: Mapping[str, Any] | None) -> str:
    """{"Name": "on-failure", "MaximumRetryCount": 3} as --restart's "on-failure:3" ("" for none)."""
    if not value:
        return ""
    name = str(value.get("Name") or "")
    if name in ("", "no"):
        return ""
    count = int(value.get("MaximumRetryCount") or 0)
    return f"{name}:{count}" if name == "on-failure" and count else name


def _strings(what: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value]
    except TypeError:
        raise InvalidArgument(f"{what}: {value!r} is not a list of strings") from None
