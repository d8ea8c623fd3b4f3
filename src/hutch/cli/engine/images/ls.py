"""`hutch images` (and `image ls|list`): docker's image table, its --filter keys and --format
templates (a row per name of an image, docker's imageContext)."""

from __future__ import annotations

import sys

from hutch.cli.fmt import ago as _ago
from hutch.cli.fmt import go_time
from hutch.cli.fmt import size as _size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.gotemplate import Struct
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine
    from hutch.image.store import Image


def _filter(raw: str) -> tuple[str, str]:
    from hutch.cli.filters import parse  # (only when a --filter is given)

    return parse(raw)


def flags(p: Parser) -> None:
    """`images` and `image ls`."""
    p.add_argument("-a", "--all", action="store_true",
                   help="Show all images (default hides the build's intermediate images)")
    p.add_argument("-q", "--quiet", action="store_true", help="only the image ids")
    p.add_argument("--digests", action="store_true", help="show the digests")
    p.add_argument("--no-trunc", action="store_true", help="do not shorten the image ids")
    p.add_argument("-f", "--filter", action="append", type=_filter, metavar="filter",
                   help="reference, label, dangling, before, since, until")
    p.add_argument("--format", default="", help="table, json or a Go template")
    p.add_argument("repository", nargs="?", default="", help="only the images of REPOSITORY[:TAG]")


DEFAULT = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}" \
    "\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
DEFAULT_DIGEST = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}" \
    "\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
#: docker's imageContext header (cli/command/formatter/image.go)
HEADERS = {"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
           "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE", "Containers": "CONTAINERS",
           "VirtualSize": "SIZE", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE"}


def context(image: Image, repo: str, tag: str, digest: str, trunc: bool) -> Struct:
    """What a --format template sees of one row: docker's imageContext (its daemon's list
    counts no containers and no shared size: N/A, as docker's)."""
    from hutch.cli.gotemplate import Struct

    created = str(image.config.get("created", ""))
    return Struct("*formatter.imageContext", {
        "ID": image.id.removeprefix("sha256:")[:12] if trunc else image.id, "Repository": repo, "Tag": tag,
        "Digest": digest, "CreatedSince": _ago(created), "CreatedAt": go_time(created, seconds=True),
        "Size": _size(image.size), "Containers": "N/A", "VirtualSize": _size(image.size),
        "SharedSize": "N/A", "UniqueSize": "N/A"})


def rows(image: Image, patterns: list[str] | None, digests: bool, need_digest: bool,
         trunc: bool) -> list[Struct]:
    """docker's rows of an image (imageFormatTaggedAndDigest): one per tag (per digest of its
    repository too, when digests are shown), one per repository known by digest only; an
    image without names (dangling) is one ``<none>`` row."""
    from hutch.cli.engine.images.lsfilter import matches
    from hutch.image import reference

    names = [n for n in image.names if patterns is None or matches(patterns, n)]
    known = [d for d in image.repo_digests if patterns is None or matches(patterns, d)]
    if not image.names and not image.repo_digests:
        return [context(image, "<none>", "<none>", "<none>", trunc)]
    tags: dict[str, list[str]] = {}
    by_digest: dict[str, list[str]] = {}
    for n in names:
        ref = reference.parse(n, default_tag=False)
        tags.setdefault(reference.familiar_name(ref.name), []).append(ref.tag or "latest")
    for d in known:
        ref = reference.parse(d, default_tag=False)
        by_digest.setdefault(reference.familiar_name(ref.name), []).append(ref.digest)
    out = []
    for repo, repo_tags in tags.items():
        found = by_digest.pop(repo, [])  # (not a row of its own)
        found = found if need_digest else []
        for tag in repo_tags:
            out += [context(image, repo, tag, d, trunc) for d in found] or \
                [context(image, repo, tag, "<none>", trunc)]
    for repo, ds in by_digest.items():
        out += [context(image, repo, "<none>", d, trunc) for d in ds] if digests else \
            [context(image, repo, "<none>", "", trunc)]
    return out


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli import gotemplate

    images = [i for i in eng.images.images() if a.all or not i.intermediate]
    pairs = list(a.filter or []) + ([("reference", a.repository)] if a.repository else [])
    patterns = None
    if pairs:
        import time

        from hutch.cli.engine.images.lsfilter import select

        images, patterns = select(images, pairs, eng.images.get, time.time_ns())
    fmt = a.format or "table"
    if fmt == "table" and a.quiet:  # (docker: -q is a table's; a template of one's own wins)
        fmt = "{{.ID}}"
    elif fmt == "table":
        fmt = DEFAULT_DIGEST if a.digests else DEFAULT
    elif fmt.startswith("table") and a.digests and "{{.Digest}}" not in fmt:
        fmt += "\t{{.Digest}}"
    need_digest = a.digests or "{{.Digest}}" in fmt
    out = [r for image in images for r in rows(image, patterns, a.digests, need_digest, not a.no_trunc)]
    sys.stdout.write(gotemplate.write(fmt, out, HEADERS))
    return 0
