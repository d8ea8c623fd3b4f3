"""`hutch save`: images to a docker-archive or oci-archive tarball."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-o", "--output", default=None, help="the file (default: standard output)")
    p.add_argument("--format", default="docker-archive", choices=["docker-archive", "oci-archive"],
                   help="The archive's format: docker-archive (default) or oci-archive")
    p.add_argument("images", nargs="+")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.engine import meter
    from hutch.image import archive

    m = meter.Meter(sys.stderr, "Saving")  # on a terminal (standard output may be the archive)
    if a.output is not None:
        archive.save(eng.images, a.images, a.output, a.format,
                     wrap=lambda f: meter.Writer(f, m) if m.on else f)
    elif sys.stdout.isatty():
        raise HutchError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
    else:
        sys.stdout.flush()
        out = sys.stdout.buffer
        archive.save_to(eng.images, a.images, meter.Writer(out, m) if m.on else out, a.format)  # type: ignore[arg-type]
        sys.stdout.buffer.flush()
    m.close()
    from hutch.engine import events

    for ref in a.images:
        events.image(eng.root, "save", eng.images.get(ref).id, ref)
    return 0
