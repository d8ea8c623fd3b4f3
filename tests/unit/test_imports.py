"""The runtime's hot paths import only what they need (STYLE P7)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Never on the init path: heavy, threaded, or able to run code from the environment.
FORBIDDEN_INIT = {
    "msgspec", "typing", "logging", "argparse", "asyncio", "threading", "subprocess",
    "pyroute2", "ctypes.util", "json", "re", "pathlib", "seccomp", "dataclasses",
}
# `start`, `state`, `kill`, `delete`, `list` never decode a config or compile anything.
FORBIDDEN_LIGHT = {"msgspec", "typing", "logging", "argparse", "asyncio", "threading", "pyroute2",
                   "hutch.spec", "hutch.specconv.convert"}


def _modules(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-I", "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_init_path_allowlist() -> None:
    mods = _modules("import hutch.init.run, hutch.init.setns, hutch.process.console, hutch.hooks")
    bad = {m for m in mods if m in FORBIDDEN_INIT or m.split(".")[0] in FORBIDDEN_INIT}
    assert not bad, f"the init path imports {sorted(bad)}"


@pytest.mark.parametrize("module", ["start", "kill", "delete", "state", "list", "pause"])
def test_light_commands(module: str) -> None:
    mods = _modules(
        f"import hutch.cli.main, hutch.cli.runtime.{module}, hutch.container.start, "
        "hutch.container.kill, hutch.container.delete, hutch.cgroups"
    )
    bad = {m for m in mods if m in FORBIDDEN_LIGHT}
    assert not bad, f"hutch-runtime {module} imports {sorted(bad)}"


def test_create_path_decodes_without_msgspec() -> None:
    """`create` reads config.json with hutch.spec.lite: no msgspec, typing, re or enum (~35 ms)."""
    mods = _modules(
        "import hutch.cli.main, hutch.cli.runtime.create, hutch.container.create, hutch.spec.lite, "
        "hutch.specconv.convert, hutch.process.spawn, hutch.cgroups"
    )
    heavy = {"msgspec", "typing", "re", "enum", "json", "contextlib", "logging", "argparse", "threading"}
    bad = {m for m in mods if m in heavy}
    assert not bad, f"hutch-runtime create imports {sorted(bad)}"


def test_the_engine_run_client_stays_light() -> None:
    """`hutch run`'s own process (the CLI: parse, create, hand to the supervisor, attach)
    loads none of what only pulls, volumes, removals or a supervisor's start need."""
    mods = _modules(
        "import hutch.cli.engine, hutch.cli.engine.containers.run, hutch.engine.containers, "
        "hutch.engine.specgen, hutch.engine.client, hutch.engine.supervise.connect, "
        "hutch.engine.supervise.protocol, hutch.image.store, hutch.snapshot.overlay, "
        "hutch.engine.lifecycle, hutch.engine.users"
    )
    heavy = {"hashlib", "_hashlib", "subprocess", "threading", "shutil", "bz2", "lzma", "tempfile",
             "json", "csv", "copy", "hutch.engine.volumes", "hutch.image.unpack", "termios",
             # argparse and what comes with it (~16 ms): re, enum, gettext, locale; signal's and
             # socket's enums; contextlib, collections and functools (~5 ms)
             "argparse", "re", "enum", "gettext", "locale", "signal", "socket", "contextlib",
             "collections", "functools", "typing", "importlib", "warnings"}
    bad = {m for m in mods if m in heavy}
    assert not bad, f"hutch run imports {sorted(bad)}"
