"""spec: write a starter config.json into the bundle directory (runc's spec.go)."""

from __future__ import annotations

import json
import os

from hutch.cli.args import Args, Flag
from hutch.cli.log import Log
from hutch.errors import HutchError


def flags() -> list[Flag]:
    return [Flag("bundle", "b", value=True, default=""), Flag("rootless")]


def handle(name: str, g: Args, a: Args, log: Log) -> int:
    from hutch.spec.defaults import default_spec

    bundle = a.text("bundle") or "."
    path = os.path.join(bundle, "config.json")
    if os.path.exists(path):
        raise HutchError(f"File {path} exists. Remove it first")
    if not os.path.isdir(bundle):
        raise HutchError(f"bundle {bundle} does not exist or is not a directory")
    with open(path, "w") as f:
        f.write(json.dumps(default_spec(rootless=a.flag("rootless")), indent="\t") + "\n")
    return 0
