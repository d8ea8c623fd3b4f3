"""The supervisor forks containers' inits in-process: it must stay single-threaded (a fork
from a threaded process is unsafe, and the runtime refuses it), so nothing it imports may
start a thread. Its modules and the runtime's library are imported as it runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

MODULES = ("hutch.engine.supervise.boot", "hutch.engine.supervise.server", "hutch.engine.supervise.execs",
           "hutch.engine.teardown", "hutch.container.create", "hutch.container.start",
           "hutch.container.exec", "hutch.container.delete")


def test_the_supervisor_stays_single_threaded() -> None:
    code = (f"import sys, os; sys.path.insert(0, {str(SRC)!r}); import importlib\n"
            f"for m in {MODULES!r}: importlib.import_module(m)\n"
            "print(len(os.listdir('/proc/self/task')), 'hutch.engine.monitor' in sys.modules)")
    r = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["1", "False"]
