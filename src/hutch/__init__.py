"""hutch: a Linux container tool (an OCI runtime and a daemonless engine).

This module deliberately imports nothing: the runtime's path to exec imports
``hutch.*`` submodules, and every import here would be paid on that path. It is the
Python API's facade (``hutch.from_env()``, ``hutch.Client``, docker-py's names), so the
runtime's modules never import it; they take the versions from the leaf ``hutch._version``,
which ``hutch.__version__`` reads too. ``hutch.errors`` and ``hutch.types`` (hutch.api.types)
are loaded on first use, as docker-py's ``docker.errors`` and ``docker.types``.
"""

_VERSIONS = frozenset({"__version__", "OCI_VERSION"})
_API = frozenset({"Client", "Container", "DockerClient", "ExecResult", "from_env"})
#: docker-py's error names at the top (docker.errors' are also hutch.errors')
_ERRORS = frozenset({"APIError", "BuildError", "ContainerError", "ContainerNotFound", "DockerException",
                     "HutchError", "ImageNotFound", "InvalidArgument", "NotFound"})
_SUBMODULES = frozenset({"errors", "types"})


def __getattr__(name: str) -> object:
    """``hutch.__version__``, ``hutch.from_env`` and the rest of the Python API (`hutch.api`),
    loaded on first use. (Nothing is imported for other names: ``from hutch import x`` asks
    here first for submodules not yet loaded.)"""
    if name in _VERSIONS:
        from hutch import _version

        return getattr(_version, name)
    if name in _API:
        from hutch import api

        return getattr(api, name)
    if name == "ContainerNotFound":
        from hutch.engine import registry

        return registry.ContainerNotFound
    if name in _ERRORS:
        from hutch import errors

        return getattr(errors, name)
    if name == "errors":  # (``import`` of the submodule: ``from hutch import`` would ask here again)
        import hutch.errors as errors_module

        return errors_module
    if name == "types":
        import hutch.api.types as types_module

        return types_module
    raise AttributeError(f"module 'hutch' has no attribute {name!r}")
