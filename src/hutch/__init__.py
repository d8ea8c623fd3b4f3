"""hutch: a Linux container tool (an OCI runtime and a daemonless engine).

This module deliberately imports nothing: the runtime's path to exec imports
``hutch.*`` submodules, and every import here would be paid on that path.
"""

__version__ = "0.1.0"
OCI_VERSION = "1.3.0"

_API = frozenset({"Client", "Container", "ContainerError", "ContainerNotFound", "ExecResult", "HutchError"})


def __getattr__(name: str) -> object:
    """``hutch.Client`` and the rest of the Python API (`hutch.api`), loaded on first use."""
    if name in _API:
        from hutch import api

        return getattr(api, name)
    raise AttributeError(f"module 'hutch' has no attribute {name!r}")
