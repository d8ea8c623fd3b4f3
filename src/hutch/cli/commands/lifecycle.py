"""create, start, kill, delete."""

from __future__ import annotations

from hutch.cli.args import Args, need_id
from hutch.cli.log import Log
from hutch.container.store import Store


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
    store = Store(g.text("root"))
    if name == "create":
        from hutch.container.create import CreateOptions, create

        cid = need_id(a, name)
        opts = create_options(a)
        assert isinstance(opts, CreateOptions)
        create(store, cid, a.text("bundle"), opts, log.warn, log.debugger())
    elif name == "start":
        from hutch.container.start import start

        start(store, need_id(a, name), log.warn)
    elif name == "kill":
        from hutch.container.kill import kill, parse_signal

        cid = need_id(a, name, extra_ok=len(a.args) == 2)
        sig = parse_signal(a.args[1]) if len(a.args) > 1 else 15
        kill(store, cid, sig, a.flag("all"))
    elif name == "delete":
        from hutch.container.delete import delete
        from hutch.errors import ContainerNotFound

        cid = need_id(a, name)
        try:
            delete(store, cid, a.flag("force"), log.warn)
        except ContainerNotFound:
            if not a.flag("force"):
                raise
    return 0
