"""Driving an OCI runtime through its command line (hutch-runtime, runc, crun...), as
containerd's shim and conmon do: ``--root`` for its state, ``--log`` in JSON so its errors
can be read back. The engine never forks into namespaces itself."""

from __future__ import annotations

import os
import sys

from hutch.errors import HutchError
from hutch.fastjson import loads

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from typing import Any


def find_runtime(name: str | None) -> str:
    """The OCI runtime binary: a path, a name on PATH, or (default) hutch-runtime beside `hutch`."""
    if name and "/" in name:
        if not os.access(name, os.X_OK):
            raise HutchError(f"--runtime {name}: not an executable file")
        return name
    if not name or name == "hutch-runtime":
        beside = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "hutch-runtime")
        if os.access(beside, os.X_OK):
            return beside
        name = "hutch-runtime"
    from shutil import which

    found = which(name)
    if found is None:
        raise HutchError(f"--runtime {name}: not found on PATH")
    return found


class Runtime:
    """One OCI runtime binary with its state root."""

    def __init__(self, path: str, root: str) -> None:
        self.path, self.root = path, root

    def argv(self, *args: str, log: str | None = None) -> list[str]:
        head = [self.path, "--root", self.root]
        if log:
            head += ["--log", log, "--log-format", "json"]
        return [*head, *args]

    def call(self, *args: str, log: str | None = None, input: bytes | None = None,
             quiet: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run a runtime command to its end (no stdin unless ``input``; output captured)."""
        import subprocess

        return subprocess.run(self.argv(*args, log=log), input=input, capture_output=quiet,
                              stdin=None if input is not None else subprocess.DEVNULL, check=False)


def last_error(log: str) -> str:
    """The message of the last error in the runtime's JSON log ("" if none), which is what
    containerd shows as "OCI runtime create failed: ..."."""
    msg = ""
    try:
        with open(log) as f:
            for line in f:
                try:
                    entry: Any = loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("level") in ("error", "fatal"):
                    msg = str(entry.get("msg", ""))
    except OSError:
        pass
    return msg


def failure_code(log: str, code: int) -> int:
    """docker's exit status when the runtime, not the container, failed (an error in its
    JSON log): 127 for a command that does not exist, 126 for one that cannot be run, 125
    for anything else. A container's own non-zero status passes through."""
    msg = last_error(log).lower()
    if not msg:
        return code
    if "not found" in msg or "no such file or directory" in msg:
        return 127
    if "permission denied" in msg:
        return 126
    return 125
