"""Kill points: named steps where a test may have the runtime SIGKILL itself.

A kill -9 at any moment must leave a state that the next command understands and that
`delete --force` removes completely (state dir, cgroups, processes). Timed kills find
the windows by chance; kill points hit each window on purpose. A test sets
``HUTCH_RUNTIME_KILL_AT=create.cgroup`` (a comma-separated list of points) and the
runtime dies there as if killed from outside. Unset (always, outside tests), a point
costs one string comparison. The engine has points of its own, named ``engine.*``
(``engine.create.made``, ``engine.teardown.deleted``...): the variable reaches the
engine's monitors and the runtime they run, as any environment does.
"""

from __future__ import annotations

import os

_AT = frozenset(filter(None, os.environ.get("HUTCH_RUNTIME_KILL_AT", "").split(",")))


def point(name: str) -> None:
    """Die here (SIGKILL, nothing cleaned up) if the environment names this point."""
    if _AT and name in _AT:
        os.kill(os.getpid(), 9)
