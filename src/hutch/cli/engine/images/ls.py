"""`hutch images` (and `image ls|list`): docker's image table."""

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
    """`images` and `image ls`."""
    p.add_argument("-q", "--quiet", action="store_true", help="only the image ids")
    p.add_argument("--digests", action="store_true", help="show the digests")
    p.add_argument("--no-trunc", action="store_true", help="do not shorten the image ids")
    p.add_argument("repository", nargs="?", default="", help="only the images of REPOSITORY[:TAG]")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.image import reference

    head = ["REPOSITORY", "TAG", *(["DIGEST"] if a.digests else []), "IMAGE ID", "CREATED", "SIZE"]
    rows = [head]
    want = reference.parse(a.repository, default_tag=False) if a.repository else None
    for image in eng.images.images():
        short = image.id if a.no_trunc else image.id.removeprefix("sha256:")[:12]
        named = [reference.parse(n) for n in image.names] or \
            [reference.parse(d).with_tag("") for d in image.repo_digests]
        if want is not None:
            named = [r for r in named if r.name == want.name and (not want.tag or r.tag == want.tag)]
            if not named:
                continue
        if a.quiet:
            print(short)
            continue
        created, size = _ago(str(image.config.get("created", ""))), _size(image.size)
        rowrefs: list[reference.Reference | None] = [*named] or [None]
        for r in rowrefs:
            repo, tag = (reference.familiar_name(r.name), r.tag or "<none>") if r else ("<none>", "<none>")
            digest = [d.partition("@")[2] for d in image.repo_digests if r and d.startswith(r.name + "@")]
            rows.append([repo, tag, *([digest[0] if digest else "<none>"] if a.digests else []),
                         short, created, size])
    if not a.quiet:
        sys.stdout.write(_table(rows))
    return 0
