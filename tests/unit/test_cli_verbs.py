"""The lazy verb tables of both command lines: every verb's module has ``flags`` and ``handle``,
and a command line builds (and imports) only its own verb's parser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hutch.cli import engine
from hutch.cli import main as runtime


@pytest.mark.parametrize("verb", sorted(runtime.VERBS))
def test_runtime_verb_modules(verb: str) -> None:
    mod = runtime.verb_module(verb)
    assert callable(mod.handle)
    assert all(f.names for f in mod.flags())


@pytest.mark.parametrize("key", sorted(engine.VERBS))
def test_engine_verb_modules(key: str) -> None:
    mod = engine.verb_module(key)
    assert callable(mod.flags) and callable(mod.handle)
    noun = key.partition(" ")[0] if " " in key else None
    assert noun is None or noun in engine.NOUNS


def _choices(p: object) -> dict[str, object]:
    import argparse

    assert isinstance(p, argparse.ArgumentParser)
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


@pytest.mark.parametrize(("argv", "verbs", "sub"), [
    (["ps", "-a"], ["ps"], None),
    (["--root", "/r", "--runtime=runc", "run", "-h", "x", "img"], ["run"], None),
    (["container", "ls", "-a"], ["container"], ["ls", "ps", "list"]),
    (["container", "ps"], ["container"], ["ls", "ps", "list"]),  # an alias: its verb, by all its names
    (["volume", "remove", "v"], ["volume"], ["rm", "remove"]),
    # no verb, or an unknown one: all the noun's
    (["image"], ["image"], ["inspect", "ls", "list", "pull", "push", "rm", "prune"]),
    (["image", "nope"], ["image"], ["inspect", "ls", "list", "pull", "push", "rm", "prune"]),
])
def test_only_the_verb_is_built(argv: list[str], verbs: list[str], sub: list[str] | None) -> None:
    built = _choices(engine.parser(argv))
    assert list(built) == verbs
    if sub is not None:
        assert list(_choices(built[verbs[0]])) == sub


@pytest.mark.parametrize("argv", [[], ["-h"], ["nope"], ["--root", "/r"]])
def test_help_and_unknown_verbs_build_all(argv: list[str]) -> None:
    built = _choices(engine.parser(argv))
    tops = {k for k in engine.VERBS if " " not in k} | set(engine.NOUNS)
    assert set(built) == tops


def test_ps_imports_no_other_verb() -> None:
    code = ("import sys\nfrom hutch.cli import engine\nengine.parser(['ps', '-a']).parse_args(['ps', '-a'])\n"
            "print(' '.join(m for m in sys.modules if m.startswith('hutch.cli.')))")
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
    assert sorted(out.stdout.split()) == ["hutch.cli.engine", "hutch.cli.engine.containers",
                                          "hutch.cli.engine.containers.ps", "hutch.cli.fmt"]
