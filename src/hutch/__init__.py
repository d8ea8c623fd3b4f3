"""hutch: a Linux container tool (an OCI runtime and a daemonless engine).

This module deliberately imports nothing: the runtime's path to exec imports
``hutch.*`` submodules, and every import here would be paid on that path. It is the
Python API's facade (``hutch.Client``), so the runtime's modules never import it; they
take the versions from the leaf ``hutch._version``, which ``hutch.__version__`` reads too.
"""

_VERSIONS = frozenset({"__version__", "OCI_VERSION"})
_API = frozenset({"Client", "Container", "ContainerError", "ContainerNotFound", "ExecResult", "HutchError"})


def __getattr__(name: str) -> object:
    """``hutch.__version__``, ``hutch.Client`` and the rest of the Python API (`hutch.api`),
    loaded on first use."""
    if name in _VERSIONS:
        from hutch import _version

        return getattr(_version, name)
    if name in _API:
        from hutch import api

        return getattr(api, name)
    raise AttributeError(f"module 'hutch' has no attribute {name!r}")
