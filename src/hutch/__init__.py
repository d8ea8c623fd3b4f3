"""hutch: a Linux container tool (an OCI runtime and a daemonless engine).

This module deliberately imports nothing: the runtime's path to exec imports
``hutch.*`` submodules, and every import here would be paid on that path.
"""

__version__ = "0.1.0"
OCI_VERSION = "1.3.0"
