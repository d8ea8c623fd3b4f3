"""`hutch info` (`system info`): docker's fields that mean something for a daemonless engine.

docker's data (``docker info --format '{{json .}}'``, its types.Info): Containers,
ContainersRunning/Paused/Stopped, Images, Driver, DriverStatus, LoggingDriver, CgroupDriver,
CgroupVersion, KernelVersion, OperatingSystem, OSType, Architecture, NCPU, MemTotal,
DockerRootDir, Runtimes, DefaultRuntime, ServerVersion, Name, ID; the text is its layout.
"""

from __future__ import annotations

import os
import sys

from hutch.engine import model

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--format", default="", help="format the output with a Go template")


def operating_system() -> str:
    """os-release's PRETTY_NAME, as docker's operatingsystem.GetOperatingSystem."""
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.strip().partition("=")
                    if key == "PRETTY_NAME":
                        return value.strip('"')
        except OSError:
            continue
    return "Linux"


def mem_total() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def cgroup_version() -> str:
    return "2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "1"


def bytes_size(n: float) -> str:
    """docker's units.BytesSize: binary units, four significant digits ("7.755GiB")."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    i = 0
    while n >= 1024 and i < len(units) - 1:
        n /= 1024
        i += 1
    return f"{n:.4g}{units[i]}"


def data(eng: Engine) -> dict[str, Any]:
    from hutch._version import __version__
    from hutch.engine.runtime_client import find_runtime
    from hutch.errors import HutchError

    records = eng.records()
    running = sum(1 for r in records if r["state"]["status"] == model.RUNNING)
    paused = sum(1 for r in records if r["state"]["status"] == model.PAUSED)
    runtimes: dict[str, Any] = {}
    for name in ("hutch-runtime", "runc", "crun"):
        try:
            runtimes[name] = {"path": find_runtime(name)}
        except HutchError:
            continue
    try:
        default = os.path.basename(find_runtime(eng.runtime_name))
    except HutchError:
        default = eng.runtime_name or "hutch-runtime"
    uname = os.uname()
    return {
        "ID": "", "Containers": len(records), "ContainersRunning": running, "ContainersPaused": paused,
        "ContainersStopped": len(records) - running - paused, "Images": len(eng.images.images()),
        "Driver": "overlay2", "DriverStatus": [["Backing Filesystem", _fs_type(eng.root)]],
        "LoggingDriver": "json-file", "CgroupDriver": "cgroupfs", "CgroupVersion": cgroup_version(),
        "KernelVersion": uname.release, "OperatingSystem": operating_system(), "OSType": "linux",
        "Architecture": uname.machine, "NCPU": os.cpu_count() or 1, "MemTotal": mem_total(),
        "DockerRootDir": os.path.abspath(eng.root), "Runtimes": runtimes, "DefaultRuntime": default,
        "ServerVersion": __version__, "Name": uname.nodename, "Debug": False, "ExperimentalBuild": False,
        "LiveRestoreEnabled": False,
    }


def _fs_type(path: str) -> str:
    """The filesystem under ``path`` (docker's "Backing Filesystem": extfs, xfs, tmpfs...)."""
    best, kind = "", ""
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 2 and (path == fields[1] or path.startswith(fields[1].rstrip("/") + "/")) \
                        and len(fields[1]) >= len(best):
                    best, kind = fields[1], fields[2]
    except OSError:
        pass
    return {"ext2": "extfs", "ext3": "extfs", "ext4": "extfs"}.get(kind, kind)


def text(d: dict[str, Any]) -> str:
    lines = [
        "Client:",
        f" Version:    {d['ServerVersion']}",
        " Context:    default",
        " Debug Mode: false",
        "",
        "Server:",
        f" Containers: {d['Containers']}",
        f"  Running: {d['ContainersRunning']}",
        f"  Paused: {d['ContainersPaused']}",
        f"  Stopped: {d['ContainersStopped']}",
        f" Images: {d['Images']}",
        f" Server Version: {d['ServerVersion']}",
        f" Storage Driver: {d['Driver']}",
        *(f"  {k}: {v}" for k, v in d["DriverStatus"]),
        f" Logging Driver: {d['LoggingDriver']}",
        f" Cgroup Driver: {d['CgroupDriver']}",
        f" Cgroup Version: {d['CgroupVersion']}",
        f" Runtimes: {' '.join(d['Runtimes'])}",
        f" Default Runtime: {d['DefaultRuntime']}",
        f" Kernel Version: {d['KernelVersion']}",
        f" Operating System: {d['OperatingSystem']}",
        f" OSType: {d['OSType']}",
        f" Architecture: {d['Architecture']}",
        f" CPUs: {d['NCPU']}",
        f" Total Memory: {bytes_size(d['MemTotal'])}",
        f" Name: {d['Name']}",
        f" Docker Root Dir: {d['DockerRootDir']}",
        " Debug Mode: false",
        " Experimental: false",
        " Live Restore Enabled: false",
    ]
    return "\n".join(lines) + "\n"


def handle(eng: Engine, a: Namespace) -> int:
    d = data(eng)
    if a.format:
        from hutch.cli.engine.system._template import render  # TO BE REPLACED: hutch.cli.gotemplate

        sys.stdout.write(render(a.format, d) + "\n")
    else:
        sys.stdout.write(text(d))
    return 0
