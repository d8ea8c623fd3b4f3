"""The runtime as a library: create, start, exec and delete called in-process (as the engine's
supervisor does), with the process's stdio given as fds, the init reaped by its caller."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.bundles import Bundle

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, os, sys
sys.path[:0] = [{src!r}]
import ctypes
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: the init comes back to us
from hutch.container.create import CreateOptions, create
from hutch.container.delete import delete
from hutch.container.exec import exec_process
from hutch.container.start import start
from hutch.container.store import Store
from hutch.specconv.plan import decode

store, cid = Store({root!r}), "hutch-inproc"
out_r, out_w = os.pipe()
err_r, err_w = os.pipe()
null = os.open("/dev/null", os.O_RDONLY)
warn = lambda m: print("warning:", m, file=sys.stderr)
state = create(store, cid, {bundle!r}, CreateOptions(stdio=(null, out_w, err_w)), warn)
start(store, cid, warn)
with open(os.path.join(store.dir(cid), "plan.json"), "rb") as f:
    proc = decode(f.read())["process"]
proc["args"] = ["sh", "-c", "echo exec-out; echo exec-err >&2; exit 3"]
pid = exec_process(store, cid, proc, stdio=(null, out_w, err_w))
exec_status = os.waitpid(pid, 0)[1]
os.close(out_w); os.close(err_w)
init_status = os.waitpid(state["pid"], 0)[1]
out, err = os.read(out_r, 4096).decode(), os.read(err_r, 4096).decode()
delete(store, cid, False, warn)
print(json.dumps({{"init": os.waitstatus_to_exitcode(init_status),
                  "exec": os.waitstatus_to_exitcode(exec_status), "out": out, "err": err,
                  "left": os.listdir({root!r})}}))
"""


def test_create_start_exec_delete_in_process(tmp_path: Path) -> None:
    b = Bundle(tmp_path / "bundle", ["sh", "-c", "echo init-out; echo init-err >&2; sleep 1; exit 5"])
    root = tmp_path / "state"
    script = SCRIPT.format(src=str(REPO / "src"), root=str(root), bundle=str(b.path))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.splitlines()[-1])
    assert got["init"] == 5 and got["exec"] == 3
    assert sorted(got["out"].split()) == ["exec-out", "init-out"]
    assert sorted(got["err"].split()) == ["exec-err", "init-err"]
    assert got["left"] == []
    assert not os.path.exists(root / "hutch-inproc")
