"""`hutch attach`: attach to a running container's output (and input)."""

from __future__ import annotations

import os

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hutch.cli.pflag import Namespace, Parser
    from hutch.engine.containers import Engine


def flags(p: Parser) -> None:
    p.add_argument("--no-stdin", action="store_true", help="Do not attach STDIN")
    p.add_argument("--sig-proxy", default="true", choices=["true", "false"],
                   help="Proxy all received signals to the process")
    p.add_argument("--detach-keys", default=None, help="Override the key sequence for detaching a container")
    p.add_argument("container")


def handle(eng: Engine, a: Namespace) -> int:
    from hutch.cli.engine.containers.run import detach_keys
    from hutch.engine import attach
    from hutch.engine.containers import Started

    keys = detach_keys(a.detach_keys)
    record = eng.find(a.container)
    if record["state"]["status"] not in ("running", "paused"):
        raise HutchError("you cannot attach to a stopped container, start it first")
    cfg = record.get("config", {})
    try:
        sock = attach.connect(os.path.join(eng.dir, record["id"], "attach"))
    except OSError as err:
        raise HutchError(f"cannot attach to {a.container}: {err.strerror or err}") from err
    from hutch.engine import events

    events.container(eng.root, "attach", record)
    started = Started(record, int(record["state"].get("pid", 0)), sock)
    return eng.attached(started, stdin=not a.no_stdin and bool(cfg.get("stdin")), tty=bool(cfg.get("tty")),
                        sig_proxy=a.sig_proxy == "true", detach_keys=keys)
