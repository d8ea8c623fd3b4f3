"""hutch's two command lines: `hutch-runtime` (``main``, ``runtime/``) and `hutch`
(``engine/``); :func:`leave` is how both end."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


def leave(code: int) -> NoReturn:
    """Exit with ``code`` without the interpreter's teardown: finalizing the ~100-150 modules
    a command loaded costs 10-18 ms on this kind of VM, on every call (containerd's, a
    script's). Nothing needs it: files are closed explicitly, locks die with the process,
    threads are joined by the commands that start them. Buffered stdio is flushed first."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: the output cannot reach anyone
        code = code or 1
    os._exit(code)
