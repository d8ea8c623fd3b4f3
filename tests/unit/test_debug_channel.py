"""Debug lines from the container's side: LOG messages on the sync channel, only with --debug."""

from __future__ import annotations

import os
import select

from hutch.cli.log import Log
from hutch.init.run import Fds, debug
from hutch.process import sync


def test_log_messages_only_when_asked() -> None:
    parent, child = sync.socketpair()
    try:
        debug(Fds(child, -1, -1, 0), "not sent")
        assert select.select([parent], [], [], 0)[0] == []
        debug(Fds(child, -1, -1, 0, debug=True), "child process in init()")
        assert sync.recv(parent) == {"type": sync.LOG, "msg": "child process in init()"}
    finally:
        os.close(parent)
        os.close(child)


def test_log_debugger_is_none_without_debug(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "log.json")
    quiet, log = Log(path, "json", False), Log(path, "json", True)
    try:
        assert quiet.debugger() is None
        sink = log.debugger()
        assert sink is not None
        sink("nsexec container setup")
    finally:
        os.close(quiet.fd)
        os.close(log.fd)
    with open(path) as f:
        line = f.read()
    assert line.startswith('{"level":"debug","msg":"nsexec container setup","time":"')
