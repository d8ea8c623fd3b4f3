"""`hutch`, the docker-like engine, comes in a later step; until then it says so."""

from __future__ import annotations

import sys


def main() -> None:
    sys.stderr.write("hutch: the engine is not built yet; use hutch-runtime\n")
    sys.exit(2)
