"""hutch: a Linux container tool (an OCI runtime and a daemonless engine).

This module imports only the leaf ``hutch._version``: the runtime's path to exec imports
``hutch.*`` submodules, and every import here would be paid on that path. It is the
Python API's facade (``hutch.Client``), so the runtime's modules never import it: they
take the versions from ``hutch._version``.
"""

from hutch._version import OCI_VERSION as OCI_VERSION
from hutch._version import __version__ as __version__

_API = frozenset({"Client", "Container", "ContainerError", "ContainerNotFound", "ExecResult", "HutchError"})


def __getattr__(name: str) -> object:
    """``hutch.Client`` and the rest of the Python API (`hutch.api`), loaded on first use."""
    if name in _API:
        from hutch import api

        return getattr(api, name)
    raise AttributeError(f"module 'hutch' has no attribute {name!r}")
