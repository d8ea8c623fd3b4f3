"""run: create + start; in the foreground, wait and exit with the container's status.

In the foreground hutch-runtime makes itself a child subreaper, so the init
(forked by a short-lived intermediate) becomes its child and can be waited for.
Signals it receives are forwarded to the init, as runc does; with
``terminal: true`` and no --console-socket it owns the pty master and copies
between it and its own stdio.
"""

from __future__ import annotations

import os

from hutch._sys import consts as C
from hutch._sys import sig as signal
from hutch._sys.creds import prctl
from hutch.cli.args import Args, Flag, need_id
from hutch.cli.log import Log
from hutch.cli.runtime.create import FLAGS as CREATE_FLAGS
from hutch.cli.runtime.create import create_options
from hutch.container.store import Store

FORWARDED = (
    signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGUSR1,
    signal.SIGUSR2, signal.SIGCONT, signal.SIGALRM, signal.SIGPIPE,
)


def flags() -> list[Flag]:
    return [*CREATE_FLAGS, Flag("detach", "d"), Flag("keep")]



def handle(name: str, g: Args, a: Args, log: Log) -> int:
    from hutch.container.create import CreateOptions, create, load_spec
    from hutch.container.delete import delete
    from hutch.container.start import start

    store = Store(g.text("root"))
    cid = need_id(a, name)
    opts = create_options(a)
    assert isinstance(opts, CreateOptions)
    detach = a.flag("detach")
    master = -1
    ours = -1
    if not detach:
        prctl(C.PR_SET_CHILD_SUBREAPER, 1)
        store.dir(cid)
        spec = load_spec(os.path.abspath(a.text("bundle")))
        terminal = bool(getattr(getattr(spec, "process", None), "terminal", False))
        if terminal and not opts.console_socket:
            from hutch.process.sync import socketpair

            ours, opts.console_fd = socketpair()
    try:
        state = create(store, cid, a.text("bundle"), opts, log.warn, log.debugger())
    finally:
        if opts.console_fd >= 0:
            os.close(opts.console_fd)
            opts.console_fd = -1
    if ours >= 0:
        from hutch.process.console import recv_fd

        master = recv_fd(ours)
        os.close(ours)
    pid = int(state["pid"])
    # Forward from before `start`: the container may answer a signal the moment it runs.
    # Until then, signals are held and sent once it has started (as runc queues them).
    held: list[int] | None = None if detach else []

    def on_signal(s: int, _frame: object) -> None:
        if held is None:
            _forward(pid, s)
        else:
            held.append(s)

    if not detach:
        for sig in FORWARDED:
            signal.signal(sig, on_signal)
    try:
        start(store, cid, log.warn)
    except BaseException:
        delete(store, cid, True, log.warn)
        raise
    if detach:
        return 0
    pending, held = held or [], None
    for s in pending:
        _forward(pid, s)
    try:
        if master >= 0:
            from hutch.process.console import forward

            forward(master)
        status = _wait(pid)
        log.debug(f"process exited: pid {pid}, status {status}")
    finally:
        for sig in FORWARDED:
            signal.signal(sig, signal.SIG_DFL if sig != signal.SIGPIPE else signal.SIG_IGN)
        if not a.flag("keep"):
            delete(store, cid, True, log.warn)
    return status


def _forward(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait(pid: int) -> int:
    """Wait for the init (our child, as we are its subreaper); reap other orphans too."""
    while True:
        try:
            got, st = os.waitpid(-1, 0)
        except ChildProcessError:
            return 255
        if got == pid:
            return os.waitstatus_to_exitcode(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st)
