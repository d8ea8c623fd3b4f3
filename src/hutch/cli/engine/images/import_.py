"""`hutch import`: a root filesystem tarball as an image (with --change's config)."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("file", help="the tarball, or - for standard input")
    p.add_argument("ref", nargs="?", help="NAME[:TAG]")
    p.add_argument("-c", "--change", action="append", default=[],
                   help="a Dockerfile instruction for the image's config: CMD, ENTRYPOINT, ENV, "
                        "EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR")
    p.add_argument("-m", "--message", default="", help="the history entry's comment")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.image.commit import apply_change

    changes: dict[str, Any] = {}
    for change in a.change:  # all checked before the tarball is read
        apply_change(changes, change)
    from hutch.image.archive import os_reason

    try:
        src = sys.stdin.buffer if a.file == "-" else open(a.file, "rb")  # noqa: SIM115
    except OSError as err:  # docker's words: "open missing.tar: no such file or directory"
        raise HutchError(f"open {a.file}: {os_reason(err)}") from err
    from hutch.cli.engine import meter

    m = meter.Meter(sys.stdout, "Importing", meter.file_size(src))  # (on a terminal only)
    try:
        source: Any = meter.Reader(src, m) if m.on else src
        image = eng.images.import_rootfs(source, a.ref, changes, comment=a.message)
        m.close()
    except OSError as err:
        raise HutchError(f"import {a.file}: {err.strerror or err}") from err
    finally:
        if src is not sys.stdin.buffer:
            src.close()
    from hutch.engine import events

    events.image(eng.root, "import", image.id)
    print(image.id)
    return 0
