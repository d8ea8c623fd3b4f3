"""`hutch load`: images from a docker-archive or oci-archive tarball."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("-i", "--input", default="-", help="Read from tar archive file, instead of STDIN")
    p.add_argument("-q", "--quiet", action="store_true", help="Suppress the load output")


def handle(eng: Engine, a: Namespace) -> int:
    import shutil
    import tempfile

    from hutch.cli.engine import meter
    from hutch.image import archive, reference

    m = meter.Meter(sys.stdout, "Loading", tty=None if not a.quiet else False)  # (on a terminal only)

    def reader(f: IO[bytes]) -> IO[bytes]:
        m.total = meter.file_size(f)
        return meter.Reader(f, m) if m.on else f  # type: ignore[return-value]

    if a.input != "-":
        names = archive.load(eng.images, a.input, wrap=reader)
    else:
        if sys.stdin.isatty():
            raise HutchError("requested load from stdin, but stdin is empty")
        with tempfile.NamedTemporaryFile(prefix="hutch-load-") as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool)
            spool.flush()
            if not spool.tell():
                raise HutchError("requested load from stdin, but stdin is empty")  # docker's words
            names = archive.load(eng.images, spool.name, "standard input", wrap=reader)
    m.close()
    from hutch.engine import events

    for n in names:
        events.image(eng.root, "load", n if n.startswith("sha256:") else reference.familiar(n))
        print(f"Loaded image ID: {n}" if n.startswith("sha256:") else
              f"Loaded image: {reference.familiar(n)}")
    return 0
