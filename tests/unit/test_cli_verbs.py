"""The lazy verb tables of both command lines: every verb's module has ``flags`` and ``handle``,
and a command line builds (and imports) only its own verb's parser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hutch.cli import engine
from hutch.cli import main as runtime
from hutch.errors import HutchError


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


@pytest.mark.parametrize(("argv", "key", "rest"), [
    (["ps", "-a"], "ps", ["-a"]),
    (["container", "ls", "-a"], "container ls", ["-a"]),
    (["container", "ps"], "container ls", []),  # an alias: its verb
    (["volume", "remove", "v"], "volume rm", ["v"]),
    (["image", "pull", "x"], "image pull", ["x"]),
])
def test_verbs_resolve(argv: list[str], key: str, rest: list[str]) -> None:
    assert engine.resolve(argv) == (key, rest)


@pytest.mark.parametrize(("argv", "words"), [
    (["image"], "use `hutch image ls"),
    (["image", "nope"], "unknown command: hutch image nope"),
    (["nope"], "'nope' is not a hutch command"),
])
def test_unknown_verbs(argv: list[str], words: str) -> None:
    with pytest.raises(HutchError, match=words):
        engine.resolve(argv)


def test_help_lists_every_verb_without_importing_one() -> None:
    code = ("import sys\nfrom hutch.cli import engine\ntext = engine.top_help()\n"
            "print(' '.join(m for m in sys.modules if m.startswith('hutch.cli.engine.')))")
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []
    text = engine.top_help()
    assert all(f"  {k} " in text for k in engine.VERBS if " " not in k)
    assert all(f"  {n} " in text for n in engine.NOUNS)


def test_ps_imports_no_other_verb() -> None:
    code = ("import sys\nfrom hutch.cli import engine\nengine.parse(['ps', '-a'])\n"
            "print(' '.join(m for m in sys.modules if m.startswith('hutch.cli.')))")
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
    assert sorted(out.stdout.split()) == ["hutch.cli.engine", "hutch.cli.engine.containers",
                                          "hutch.cli.engine.containers.ps", "hutch.cli.fmt",
                                          "hutch.cli.pflag"]


def test_every_flag_says_what_it_does() -> None:
    """docker's --help: a one-line description for every flag of every verb."""
    from hutch.cli.engine import NO_HELP_FLAG, VERBS, verb_module
    from hutch.cli.pflag import Parser

    bare = []
    for key in VERBS:
        p = Parser(f"hutch {key}", VERBS[key][1], add_help=key not in NO_HELP_FLAG)
        verb_module(key).flags(p)
        bare += [f"{key} {getattr(o, 'longs', o)}" for o in p.options
                 if not o.help or "\n" in o.help]
    assert not bare, bare
