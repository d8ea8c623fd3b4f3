"""`hutch history` (and `image history`): an image's history, docker's table, -q, --no-trunc,
-H/--human and --format templates (docker's historyContext)."""

from __future__ import annotations

import sys

from hutch.cli.fmt import ago as _ago
from hutch.cli.fmt import size as _size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.gotemplate import Struct
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-H", "--human", action="store_true", default=True,
                   help="sizes and dates in human-readable form (default true)")
    p.add_argument("--no-trunc", action="store_true", help="do not shorten the output")
    p.add_argument("-q", "--quiet", action="store_true", help="only the image ids")
    p.add_argument("--format", default="", help="table, json or a Go template")
    p.add_argument("image")


DEFAULT = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
NON_HUMAN = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
#: docker's historyContext header (cli/command/image/formatter_history.go)
HEADERS = {"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
           "Size": "SIZE", "Comment": "COMMENT"}


def _rfc3339(created: str) -> str:
    """Go's time.RFC3339 of the second (docker's CreatedAt here): ``2026-12-07T21:46:55Z``."""
    return created[:19] + "Z" if len(created) >= 19 else created


def context(entry: dict[str, Any], image_id: str, size: int, trunc: bool, human: bool) -> Struct:
    """One history entry as docker's historyContext shows it."""
    from hutch.cli.gotemplate import Struct

    created = str(entry.get("created", ""))
    by = str(entry.get("created_by", "")).replace("\t", " ")
    ident = image_id.removeprefix("sha256:")[:12] if trunc and image_id != "<missing>" else image_id
    at = _rfc3339(created)
    return Struct("*image.historyContext", {
        "ID": ident, "CreatedAt": at,
        "CreatedSince": (_ago(created) if created[:4] > "2000" else "") if human else at,
        "CreatedBy": by if not trunc or len(by) <= 45 else by[:44] + "…",
        "Size": _size(size) if human else str(size), "Comment": str(entry.get("comment", ""))})


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli import gotemplate

    img = eng.images.get(a.image)
    sizes = [int(layer.get("size", 0)) for layer in reversed(img.manifest.get("layers", []))]
    rows = []
    for i, h in enumerate(reversed(img.config.get("history", []))):
        size = 0 if h.get("empty_layer") or not sizes else sizes.pop(0)
        rows.append(context(h, img.id if i == 0 else "<missing>", size, not a.no_trunc, a.human))
    fmt = a.format or "table"
    if fmt == "table" and a.quiet:  # (docker: -q is a table's; a template of one's own wins)
        fmt = "{{.ID}}"
    elif fmt == "table":
        fmt = DEFAULT if a.human else NON_HUMAN
    sys.stdout.write(gotemplate.write(fmt, rows, HEADERS))
    return 0
