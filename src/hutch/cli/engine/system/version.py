"""`hutch version`: docker's Client and Server sections, or ``--format`` over the same data.

docker's data (``docker version --format '{{json .}}'``): ``Client`` {Version, ApiVersion,
GitCommit, GoVersion, Os, Arch, BuildTime, Context} and ``Server`` {Platform, Components
[{Name, Version, Details}], Version, GitCommit, Os, Arch, KernelVersion...}. hutch has no
daemon: the server is the engine in this process and the OCI runtime it drives; Go's
version is the interpreter's (``PythonVersion``, and ``GoVersion`` for the scripts that read it).
"""

from __future__ import annotations

import os
import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-f", "--format", default="", help="format the output with a Go template")


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


def data(eng: Engine) -> dict[str, Any]:
    from hutch._version import __version__
    from hutch.cli.version import commit
    from hutch.engine.runtime_client import find_runtime
    from hutch.util.arch import goarch

    python = sys.version.split()[0]
    arch, git = goarch(), commit()[:7]
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


def text(d: dict[str, Any]) -> str:
    c, s = d["Client"], d["Server"]
    engine, runtime = s["Components"]
    lines = ["Client:",
             f" {'Version:':<19}{c['Version']}",
             f" {'Python version:':<19}{c['PythonVersion']}",
             f" {'Git commit:':<19}{c['GitCommit']}",
             f" {'OS/Arch:':<19}{c['Os']}/{c['Arch']}",
             f" {'Context:':<19}{c['Context']}",
             "",
             f"Server: {s['Platform']['Name']}",
             " Engine:",
             f"  {'Version:':<18}{engine['Version']}",
             f"  {'Python version:':<18}{engine['Details']['PythonVersion']}",
             f"  {'Git commit:':<18}{engine['Details']['GitCommit']}",
             f"  {'OS/Arch:':<18}{s['Os']}/{s['Arch']}",
             f"  {'Experimental:':<18}false",
             f" {runtime['Name']}:",
             f"  {'Version:':<18}{runtime['Version']}",
             f"  {'GitCommit:':<18}{runtime['Details']['GitCommit']}"]
    return "\n".join(lines) + "\n"


def handle(eng: Engine, a: Namespace) -> int:
    d = data(eng)
    if a.format:
        from hutch.cli.engine.system._template import render  # TO BE REPLACED: hutch.cli.gotemplate

        sys.stdout.write(render(a.format, d) + "\n")
    else:
        sys.stdout.write(text(d))
    return 0
