"""`hutch version`: docker's Client and Server sections, or ``--format`` over the same data.

docker's data (``docker version --format '{{json .}}'``): ``Client`` {Version, ApiVersion,
GitCommit, GoVersion, Os, Arch, BuildTime, Context} and ``Server`` {Platform, Components
[{Name, Version, Details}], Version, GitCommit, Os, Arch, KernelVersion...}. hutch has no
daemon: the server is the engine in this process and the OCI runtime it drives; Go's
version is the interpreter's (``PythonVersion``, and ``GoVersion`` for the scripts that read it).
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
    from hutch.cli.version import commit
    from hutch.engine.sysinfo import version

    d = version(eng, commit())
    if a.format:
        from hutch.cli.gotemplate import render

        sys.stdout.write(render("{{json .}}" if a.format == "json" else a.format, d) + "\n")
    else:
        sys.stdout.write(text(d))
    return 0
