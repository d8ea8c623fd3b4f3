"""checkpoint, restore: saving and restoring a container (CRIU) are not supported yet."""

from __future__ import annotations

from hutch.cli.args import Args, Flag
from hutch.cli.log import Log
from hutch.errors import Unsupported


def flags() -> list[Flag]:
    return []



def handle(name: str, g: Args, a: Args, log: Log) -> int:
    raise Unsupported(f"{name}: not supported by hutch-runtime yet")
