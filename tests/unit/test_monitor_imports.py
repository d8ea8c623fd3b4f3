"""The per-container monitor stays resident for every running container: what it imports
is memory in each of them. Its imports are pinned here; a new one is a decision, not an
accident (the teardown, for one, is imported only when the container ends)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

# python -I -S, as the engine starts it
ALLOWED_HUTCH = {
    "hutch", "hutch.engine", "hutch.engine.attach", "hutch.engine.jsonlog", "hutch.engine.layout",
    "hutch.engine.model", "hutch.engine.monitor", "hutch.engine.records", "hutch.engine.spawn",
    "hutch.fastjson",
    "hutch.filelock", "hutch.util", "hutch.util.atomic", "hutch.util.timefmt",
}
MAX_OTHERS = 28  # stdlib and builtin modules, the interpreter's own included (28 when this was written)


def test_the_monitor_imports_little() -> None:
    code = f"import sys; sys.path.insert(0, {str(SRC)!r}); import hutch.engine.monitor"
    r = subprocess.run([sys.executable, "-I", "-S", "-X", "importtime", "-c", code],
                       capture_output=True, text=True, check=True)
    names = {line.split("|")[2].strip() for line in r.stderr.splitlines()[1:] if line.count("|") == 2}
    hutch = {n for n in names if n == "hutch" or n.startswith("hutch.")}
    assert hutch <= ALLOWED_HUTCH, sorted(hutch - ALLOWED_HUTCH)
    assert len(names - hutch) <= MAX_OTHERS, sorted(names - hutch)
