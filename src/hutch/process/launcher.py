"""The launchers of ``hutch-runtime`` and ``hutch`` (pyproject's [project.scripts]): what
``scripts/setup.sh`` writes over pip's console scripts in the venv's ``bin/`` (``python -I -m
hutch.process.launcher VENV``).

A launcher is a shell script and a Python script at once. ``/bin/sh`` (dash: ~1 ms) reads
its first lines and executes the venv's read-only interpreter (:mod:`hutch.process.exeseal`)
on the same file, or the plain interpreter when the seal is not there (after a reboot: the
first sealed command makes it) or is turned off; Python skips those lines (a string) and
runs the command isolated: ``-I`` (no PYTHON* variables, no user site, no cwd on the path)
and ``-S`` (no site: the venv's paths go on ``sys.path`` explicitly). pip's own console
script would run site and import ``re`` first, ~8 ms on every call containerd makes, and
would start the writable interpreter, which ``create``/``run``/``exec`` must then re-execute.
The garbage collector's first generation waits for 20000 allocations instead of 700: a
command allocates ~14000 objects while its modules load, which would run ~20 collections
(2-3 ms) that find next to nothing; a long-running command still collects.

The same launcher is the runtime for containerd, docker and podman: they execute it by path.
The seal is a mount that outlives the command (made once: that is the point); ``python -I -m
hutch.process.launcher --remove VENV`` takes a venv's seal away, as `.ci/run` does for its
throw-away clone.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

from hutch.process import exeseal


def scripts() -> dict[str, str]:
    """hutch's console scripts, name -> ``module:function`` (pyproject's [project.scripts],
    as installed)."""
    from importlib import metadata

    return {ep.name: ep.value for ep in metadata.distribution("hutch").entry_points
            if ep.group == "console_scripts"}


def text(name: str, target: str, python: str, seal: exeseal.Seal, paths: list[str]) -> str:
    """The launcher ``name`` of ``target`` (``module:function``, or a module's ``entry``):
    ``seal``'s interpreter, else ``python``."""
    module, _, function = target.partition(":")
    return (
        "#!/bin/sh\n"
        f"# {name}: hutch's launcher, written by hutch.process.launcher (scripts/setup.sh): a shell\n"
        "# script that runs itself as a Python script through the read-only interpreter (see there)\n"
        "''':'\n"
        f"p={shlex.quote(seal.python)}\n"
        f'if [ ! -x "$p" ] || [ "${{{exeseal.UNSAFE}-}}" = 1 ]; then p={shlex.quote(python)}; fi\n'
        'exec "$p" -IS "$0" "$@"\n'
        "'''\n"
        "import gc, sys\n"
        "gc.set_threshold(20000)  # no collections while ~120 modules load: see hutch.process.launcher\n"
        f"sys.path += {paths!r}\n"
        "from hutch.process import exeseal\n"
        f"exeseal.SEAL = exeseal.Seal({seal.dir!r}, {seal.interpreter!r}, {seal.venv!r})\n"
        f"from {module} import {function or 'entry'}\n"
        f"{function or 'entry'}()\n"
    )


def write(path: str, content: str) -> None:
    from hutch.util import atomic

    atomic.write(path, content.encode(), 0o755)


def venv_paths(python: str) -> list[str]:
    """What site adds to ``sys.path`` for ``python``, a venv's interpreter (its
    site-packages, the editable install's source): the paths a launcher adds by hand."""
    probe = "import sys; print('\\n'.join(sys.path))"
    bare = subprocess.run([python, "-I", "-S", "-c", probe], capture_output=True, text=True,
                          check=True).stdout.split("\n")
    full = subprocess.run([python, "-I", "-c", probe], capture_output=True, text=True,
                          check=True).stdout.split("\n")
    return [p for p in full if p and p not in bare]


def install(venv: str) -> str | None:
    """Write the launchers into ``venv``/bin and make its seal; the reason it could not be
    made (the launchers then fall back to the plain interpreter), or None."""
    venv = os.path.abspath(venv)
    python = os.path.join(venv, "bin", "python3")
    seal = exeseal.default(venv)
    paths = venv_paths(python)
    for name, target in scripts().items():
        write(os.path.join(venv, "bin", name), text(name, target, python, seal, paths))
    try:
        exeseal.make(seal)
    except exeseal.SealError as err:
        return str(err)
    return None


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--remove":  # a throw-away venv's seal (CI's clone)
        exeseal.remove(exeseal.default(argv[1]))
        return 0
    if len(argv) != 1 or argv[0].startswith("-"):
        sys.stderr.write("usage: python -I -m hutch.process.launcher [--remove] VENV\n")
        return 2
    problem = install(argv[0])
    seal = exeseal.default(argv[0])
    if problem:
        sys.stderr.write(f"launcher: no read-only interpreter ({problem}); each create/run/exec "
                         "will re-execute itself through a private one\n")
    else:
        sys.stdout.write(f"launcher: read-only interpreter {seal.python}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
