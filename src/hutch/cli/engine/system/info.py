"""`hutch info` (`system info`): docker's fields that mean something for a daemonless engine.

docker's data (``docker info --format '{{json .}}'``, its types.Info): Containers,
ContainersRunning/Paused/Stopped, Images, Driver, DriverStatus, LoggingDriver, CgroupDriver,
CgroupVersion, KernelVersion, OperatingSystem, OSType, Architecture, NCPU, MemTotal,
DockerRootDir, Runtimes, DefaultRuntime, ServerVersion, Name, ID; the text is its layout.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--format", default="", help="format the output with a Go template")


def bytes_size(n: float) -> str:
    """docker's units.BytesSize: binary units, four significant digits ("7.755GiB")."""
    from hutch.util.units import bytes_size as size

    return size(n, 4)


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
    from hutch.engine.sysinfo import info

    d = info(eng)
    if a.format:
        from hutch.cli.gotemplate import render

        sys.stdout.write(render("{{json .}}" if a.format == "json" else a.format, d) + "\n")
    else:
        sys.stdout.write(text(d))
    return 0
