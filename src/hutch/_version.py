"""hutch's version and the runtime-spec version it implements: a leaf, below every layer."""

__version__ = "0.1.0"
OCI_VERSION = "1.3.0"
