"""Parts of the init's work that need no container: the stdio owner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_fix_stdio_owner(tmp_path: Path) -> None:
    """stdout (a file of root's) goes to the user, its group unchanged; /dev/null is left."""
    out = tmp_path / "out"
    out.write_text("")
    os.chown(out, 0, 7)
    with open(out, "w") as stdout, open(tmp_path / "err", "w") as stderr:
        subprocess.run([sys.executable, "-I", "-c",
                        "from hutch.init.creds import fix_stdio_owner; fix_stdio_owner(1234)"],
                       stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, check=True)
    st = out.stat()
    assert (st.st_uid, st.st_gid) == (1234, 7)
    assert os.stat("/dev/null").st_uid == 0
