"""Running the tools under test without disturbing the clock.

``subprocess.run(..., timeout=T)`` waits by polling: Popen.wait(timeout) sleeps 0.5, 1, 2 ... ms,
then 50 ms at a time, between waitpid(WNOHANG) calls, so every wall time it measures is rounded
up to the next step (a 60 ms command reads 63.5 ms, a 100 ms one 113.5 ms, then +50 ms each).
Here the wait blocks in waitpid and a timer kills the process if it overruns.
"""

from __future__ import annotations

import subprocess
import threading
from typing import Any


def run(argv: list[str], *, timeout: float, **popen: Any) -> subprocess.CompletedProcess[Any]:
    """subprocess.run(argv, timeout=timeout, check=False, **popen), minus the polling."""
    overran = threading.Event()
    with subprocess.Popen(argv, **popen) as proc:

        def overrun() -> None:
            overran.set()
            proc.kill()

        timer = threading.Timer(timeout, overrun)
        timer.start()
        try:
            out, err = proc.communicate()  # no timeout: reads, then a blocking waitpid
        finally:
            timer.cancel()
    if overran.is_set():
        raise subprocess.TimeoutExpired(argv, timeout, out, err)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)
