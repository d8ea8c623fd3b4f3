"""What `hutch version` and `hutch info` report (and the Python API's version() and info()):
docker's documents, types.Version and types.Info, for a daemonless engine.

docker's Version: ``Client`` {Version, ApiVersion, GitCommit, GoVersion, Os, Arch, BuildTime,
Context} and ``Server`` {Platform, Components [{Name, Version, Details}], Version, GitCommit,
Os, Arch, KernelVersion...}; hutch has no daemon: the server is the engine in this process and
the OCI runtime it drives, and Go's version is the interpreter's (``PythonVersion``, and
``GoVersion`` for the scripts that read it). docker's Info: the fields that mean something
here (Containers and their states, Images, Driver overlay2, CgroupDriver cgroupfs,
CgroupVersion, KernelVersion, OperatingSystem, NCPU, MemTotal, DockerRootDir = --root,
Runtimes, DefaultRuntime...).
"""

from __future__ import annotations

import os
import sys

from hutch.engine import model
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.containers import Engine


def runtime_version(path: str) -> tuple[str, str, str]:
    """The OCI runtime's name, version and commit, from its ``--version`` (runc's lines)."""
    import subprocess

    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    name, version, commit = os.path.basename(path), "", ""
    for line in out.splitlines():
        head, _, rest = line.partition(" version ")
        if rest and not version:
            name, version = head.strip() or name, rest.strip()
        elif line.startswith("commit:"):
            commit = line.removeprefix("commit:").strip()
    return name, version, commit


def version(eng: Engine, git_commit: str = "") -> dict[str, Any]:
    """docker's Version document (``git_commit``: the source tree's, which the CLI reads)."""
    from hutch._version import __version__
    from hutch.engine.runtime_client import find_runtime
    from hutch.util.arch import goarch

    python = sys.version.split()[0]
    arch, git = goarch(), git_commit[:7]
    client = {"Version": __version__, "ApiVersion": "", "DefaultAPIVersion": "", "GitCommit": git,
              "GoVersion": f"python{python}", "PythonVersion": python, "Os": "linux", "Arch": arch,
              "BuildTime": "", "Context": "default"}
    try:
        rt_name, rt_version, rt_commit = runtime_version(find_runtime(eng.runtime_name))
    except HutchError:  # (--runtime not found) no version to show
        rt_name, rt_version, rt_commit = eng.runtime_name or "hutch-runtime", "", ""
    engine = {"Name": "Engine", "Version": __version__,
              "Details": {"GitCommit": git, "GoVersion": f"python{python}", "PythonVersion": python,
                          "Os": "linux", "Arch": arch, "KernelVersion": os.uname().release,
                          "Experimental": "false", "BuildTime": ""}}
    runtime = {"Name": rt_name, "Version": rt_version, "Details": {"GitCommit": rt_commit}}
    server = {"Platform": {"Name": "hutch Engine"}, "Components": [engine, runtime],
              "Version": __version__, "ApiVersion": "", "MinAPIVersion": "", "GitCommit": git,
              "GoVersion": f"python{python}", "PythonVersion": python, "Os": "linux", "Arch": arch,
              "KernelVersion": os.uname().release, "Experimental": False, "BuildTime": ""}
    return {"Client": client, "Server": server}


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
    from hutch.engine.hostflags import cgroup_v1

    return "1" if cgroup_v1() else "2"


def info(eng: Engine) -> dict[str, Any]:
    """docker's Info document."""
    from hutch._version import __version__
    from hutch.engine.runtime_client import find_runtime

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
