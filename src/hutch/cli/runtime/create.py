"""create: make a container from a bundle and leave it "created" (runc's create.go)."""

from __future__ import annotations

from hutch.cli.args import Args, Flag, need_id
from hutch.cli.log import Log
from hutch.container.store import Store

#: create's flags; run's are these and its own (cli/runtime/run.py).
FLAGS = [
    Flag("bundle", "b", value=True, default="."),
    Flag("pid-file", value=True, default=""),
    Flag("console-socket", value=True, default=""),
    Flag("pidfd-socket", value=True, default=""),
    Flag("no-pivot"),
    Flag("no-new-keyring"),
    Flag("preserve-fds", value=True, default="0"),
]


def flags() -> list[Flag]:
    return FLAGS


def create_options(a: Args) -> object:
    from hutch.container.create import CreateOptions

    return CreateOptions(
        pid_file=a.text("pid-file") or None,
        console_socket=a.text("console-socket") or None,
        no_pivot=a.flag("no-pivot"),
        no_new_keyring=a.flag("no-new-keyring"),
        preserve_fds=a.number("preserve-fds"),
    )


def handle(name: str, g: Args, a: Args, log: Log) -> int:
    from hutch.container.create import CreateOptions, create

    store = Store(g.text("root"))
    cid = need_id(a, name)
    opts = create_options(a)
    assert isinstance(opts, CreateOptions)
    create(store, cid, a.text("bundle"), opts, log.warn, log.debugger())
    return 0
