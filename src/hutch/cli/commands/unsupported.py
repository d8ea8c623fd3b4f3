"""Commands that come with later work (cgroup resources, checkpointing)."""

from __future__ import annotations

from hutch.cli.args import Args
from hutch.cli.log import Log
from hutch.errors import Unsupported


def handle(name: str, g: Args, a: Args, log: Log) -> int:
    raise Unsupported(f"{name}: not supported by hutch-runtime yet")
