"""The engine's facade: `Engine`, what the CLI and the Python API use. The work is done
by concern below it: hutch.engine.registry (the records, reconciled; the runtime; the
teardown), hutch.engine.operations (kill, stop, wait, pause, exec, rename) and
hutch.engine.lifecycle (create, start, run, rm).
"""

from __future__ import annotations

from hutch.engine.lifecycle import Lifecycle, Started, StartFailed
from hutch.engine.operations import DEFAULT_STOP_TIMEOUT, signal_number
from hutch.engine.registry import DEFAULT_ROOT, DEFAULT_RUNROOT, ContainerNotFound, check_name
from hutch.engine.runtime_client import failure_code, find_runtime

__all__ = ["DEFAULT_ROOT", "DEFAULT_RUNROOT", "DEFAULT_STOP_TIMEOUT", "ContainerNotFound", "Engine",
           "StartFailed", "Started", "check_name", "failure_code", "find_runtime", "signal_number"]


class Engine(Lifecycle):
    """A store of containers (ROOT) with its runtime state (RUNROOT) and OCI runtime."""
