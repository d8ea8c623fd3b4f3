"""`hutch images --filter`: docker's keys, as its daemon applies them (daemon/images/images.go).

``reference`` (Go's path.Match on an image's familiar ``name:tag`` or ``name``: ``busy*``,
``*/app:1``; the REPOSITORY[:TAG] argument is one too), ``label`` (``key`` or ``key=value`` of
the image's config, each must hold; ``label!`` none may), ``dangling`` (true: images without a
tag; false: with one), ``before`` and ``since`` (an image: those created before or after it),
``until`` (a time or a duration before now: those created before it).
"""

from __future__ import annotations

from hutch.cli.filters import Filters, not_labels, path_match, until_ns
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from hutch.image.store import Image

ACCEPTED = ("before", "dangling", "label", "label!", "reference", "since", "until")


def created_ns(image: Image) -> int:
    from hutch.util.timefmt import parse_ns

    try:
        return parse_ns(str(image.config.get("created", "")))
    except ValueError:
        return 0


def select(images: list[Image], pairs: list[tuple[str, str]], find: Callable[[str], Image],
           now_ns: int) -> tuple[list[Image], list[str] | None]:
    """The images the filters keep, and the ``reference`` patterns (None: no such filter), which
    pick the rows (names) of each image shown."""
    f = Filters(pairs).validate(ACCEPTED)
    dangling = None
    if "dangling" in f:
        if "true" in f.get("dangling"):
            dangling = True
        elif "false" in f.get("dangling"):
            dangling = False
        else:
            raise HutchError(f"invalid filter 'dangling=[{' '.join(f.get('dangling'))}]'")
    before = [created_ns(find(v)) for v in f.get("before")][-1:]
    since = [created_ns(find(v)) for v in f.get("since")][-1:]
    until = until_ns(f, now_ns)
    patterns = f.get("reference") if "reference" in f else None
    out = []
    for image in images:
        created = created_ns(image)
        if (before and created >= before[0]) or (since and created <= since[0]) or \
                (until is not None and created >= until):
            continue
        labels = (image.config.get("config") or {}).get("Labels") or {}
        if not f.labels("label", labels) or not not_labels(f, labels):
            continue
        tagged = bool(image.names)
        if dangling is not None and dangling == tagged:
            continue
        if patterns is not None and not any(matches(patterns, n) for n in image.names + image.repo_digests):
            continue
        out.append(image)
    return out, patterns


def matches(patterns: list[str], stored: str) -> bool:
    """docker's reference.FamiliarMatch of any pattern: the familiar ``name:tag``, or the name."""
    from hutch.image import reference

    ref = reference.parse(stored, default_tag=False)
    full, name = ref.familiar(), reference.familiar_name(ref.name)
    return any(path_match(p, full) or path_match(p, name) for p in patterns)
