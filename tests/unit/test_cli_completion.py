"""`hutch completion`: scripts from the CLI's own tables, run in a real bash."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hutch.cli.engine import VERBS, main
from hutch.cli.engine.system import completion


def _script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["completion", shell]) == 0
    return capsys.readouterr().out


def _complete(script: str, line: str) -> list[str]:
    """What bash's completion offers for ``line`` (the cursor at its end)."""
    words = line.split(" ")
    prog = (f"{script}\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\nCOMP_CWORD={len(words) - 1}\n"
            "_hutch\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    out = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True, check=True, cwd="/")
    return out.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completes_verbs_nouns_and_flags(capsys: pytest.CaptureFixture[str]) -> None:
    script = _script("bash", capsys)
    assert set(_complete(script, "hutch ver")) == {"version"}
    assert {"ls", "prune", "rm", "list"} <= set(_complete(script, "hutch image "))
    assert {"--rm", "--runtime", "--read-only"} <= set(_complete(script, "hutch run --r"))
    assert "--rm" not in _complete(script, "hutch --root /tmp ps --")  # ps's flags, not run's
    assert {"--filter", "--format"} <= set(_complete(script, "hutch events --f"))
    assert set(_complete(script, "hutch --root /tmp events --s")) == {"--since"}
    assert set(_complete(script, "hutch exec --env-file e -")) >= {"--privileged", "-e"}
    assert "etc" in _complete(script, "hutch run -v e")  # a flag's value: files (cwd /)


def test_every_verb_and_flag_is_in_the_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    t = completion.Table()
    assert set(VERBS) <= set(t.flags)
    bash, fish, zsh = (_script(s, capsys) for s in ("bash", "fish", "zsh"))
    for key, names in t.flags.items():
        assert f'["{key}"]="{" ".join(names)}"' in bash
    assert "complete -c hutch -n '__fish_seen_subcommand_from run; and not __fish_seen_subcommand_from " \
        "image system" in fish
    assert zsh.startswith("#compdef hutch\n") and "bashcompinit" in zsh
    assert main(["completion", "tcsh"]) == 1
