"""The supervisor's process, as `hutch.engine.supervise.connect` starts it: made to run from
a read-only interpreter (it forks into containers: CVE-2019-5736), detached, then served."""

from __future__ import annotations

import os
import sys

from hutch.engine.supervise.connect import STATUS_FD_ENV


def boot(root: str, runroot: str) -> int:
    """The supervisor's process: sealed, detached, then `server.main`."""
    from hutch.process import exeseal

    status_fd = int(os.environ.pop(STATUS_FD_ENV, "-1"))
    os.environ[STATUS_FD_ENV] = str(status_fd)  # (kept for a re-exec of the seal)
    try:
        exeseal.ensure()
    except exeseal.SealError as err:
        sys.stderr.write(f"hutch-supervisor: {err}\n")
        return 1
    os.environ.pop(STATUS_FD_ENV, None)
    if status_fd >= 0:
        os.set_inheritable(status_fd, False)
    if os.fork() > 0:
        os._exit(0)
    # The keeper first, while this process is a bare interpreter: it shares those pages,
    # not the runtime's ~100 modules a later fork would copy as either process touches them.
    import gc

    from hutch.engine.supervise.keeper import Link

    gc.freeze()  # what is loaded so far: never traversed again, in either process
    link = Link(root, runroot)
    link.spawn([])
    from hutch.engine.supervise.server import main

    return main(root, runroot, status_fd, link)
