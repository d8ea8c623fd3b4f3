"""`hutch history`: an image's history, docker's table."""

from __future__ import annotations

import sys

from hutch.cli.fmt import ago as _ago
from hutch.cli.fmt import size as _size
from hutch.cli.fmt import table as _table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("image")


def handle(eng: Engine, a: Namespace) -> int:
    img = eng.images.get(a.image)
    rows = [["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]]
    sizes = [int(layer.get("size", 0)) for layer in reversed(img.manifest.get("layers", []))]
    for i, h in enumerate(reversed(img.config.get("history", []))):
        size = "0B" if h.get("empty_layer") or not sizes else _size(sizes.pop(0))
        rows.append([img.id[7:19] if i == 0 else "<missing>", _ago(str(h.get("created", ""))),
                     str(h.get("created_by", ""))[:45], size, str(h.get("comment", ""))])
    sys.stdout.write(_table(rows))
    return 0
