"""`hutch pull` (and `image pull`): download an image with docker's progress; pulling and finding
an image by a short name, as `run` and `create` do too."""

from __future__ import annotations

import sys

from hutch.cli.engine.images.registry import registry_flags, session
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine
    from hutch.image.reference import Reference
    from hutch.image.registry.pull import Pulled


def flags(p: Parser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="print only the image's name")
    p.add_argument("-a", "--all-tags", action="store_true", help="every tagged image of the repository")
    p.add_argument("--platform", default=None, help="OS/ARCH[/VARIANT] (default: this host's)")
    p.add_argument("--max-concurrent-downloads", type=int, default=3, help="layers downloaded at once")
    registry_flags(p)
    p.add_argument("ref", metavar="NAME[:TAG|@DIGEST]")


def pull_image(eng: Engine, a: Namespace, ref: str, out: TextIO, quiet: bool = False) -> Pulled:
    """Pull ``ref`` with docker's output on ``out``; what was pulled (``.image``, and ``.ref``:
    the reference it was found as, a search registry's for a short name)."""
    from hutch.image.registry.progress import Progress
    from hutch.image.registry.pull import pull

    progress = Progress(out, quiet=quiet)
    from hutch.image import reference

    given = reference.parse(ref, default_tag=False)
    if not given.tag and not given.digest:
        progress.message("Using default tag: latest")
    s = session(a)
    try:
        done = pull(eng.images, s, ref, progress, platform=getattr(a, "platform", None),
                    max_concurrent=getattr(a, "max_concurrent_downloads", 3))
    finally:
        s.close()
    target = done.ref.with_digest(done.ref.digest) if done.ref.digest else done.ref
    progress.message(f"Digest: {done.digest}")
    word = "Downloaded newer image" if done.fresh else "Image is up to date"
    progress.message(f"Status: {word} for {target.familiar()}")
    from hutch.engine import events

    events.image(eng.root, "pull", target.familiar(), done.ref.familiar().partition(":")[0])
    return done


def resolve_local(eng: Engine, ref: str) -> str:
    """The name the store has ``ref`` under: itself (docker's rules: ``busybox`` is
    ``docker.io/library/busybox:latest``), else, for a short name, the first of its
    unqualified-search-registries candidates that the store has (podman's rule).
    ImageNotFound if none."""
    from hutch.image.store import ImageNotFound

    try:
        eng.images.get(ref)
        return ref
    except ImageNotFound:
        pass
    from hutch.image.registry.config import RegistriesConf
    from hutch.image.registry.pull import candidates

    try:
        names = [str(c) for c in candidates(ref, RegistriesConf.load().search)]
    except HutchError:
        raise ImageNotFound(ref) from None
    for name in names:
        try:
            eng.images.get(name)
            return name
        except ImageNotFound:
            continue
    raise ImageNotFound(ref)


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.image import reference

    if a.max_concurrent_downloads < 1:
        raise HutchError(f"invalid --max-concurrent-downloads {a.max_concurrent_downloads}: at least 1")
    refs = [a.ref]
    if a.all_tags:
        r = reference.parse(a.ref, default_tag=False)
        if r.tag or r.digest:
            raise HutchError("tag can't be used with --all-tags/-a")
        refs = [str(r.with_tag(t)) for t in sorted(_tags(a, r))]
    for ref in refs:
        print(str(pull_image(eng, a, ref, sys.stdout, a.quiet).ref))
    return 0


def _tags(a: Namespace, r: Reference) -> list[str]:
    s = session(a)
    try:
        endpoint = s.endpoints(r.name)[-1]
        return s.repository(endpoint).tags()
    finally:
        s.close()
