"""A process exec'd in a running container by the supervisor: hutch's runtime called as a
library (`hutch.container.exec.exec_process`), the process forked from the supervisor,
its output streamed to the client that asked (no log), its exit status sent last."""

from __future__ import annotations

import os
import select

from hutch.engine import attach
from hutch.engine.supervise.session import Session
from hutch.engine.supervise.starting import Failed, failure_code
from hutch.util.ignoring import ignoring

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.supervise.session import Poller
    from hutch.specconv.plan import ProcessPlan


class Exec(Session):
    """One exec: its stdio and the one client connection it answers to."""

    def __init__(self, poller: Poller, runtime_root: str, req: dict[str, Any], conn: int) -> None:
        self.cid = str(req["id"])
        self.req, self.conn = req, conn
        self.cfg = {"runtime_root": runtime_root, "tty": bool(req.get("tty")), "tty_size": None}
        self.log = None
        self._io(poller)

    def start(self) -> int:
        from hutch.container.exec import exec_process
        from hutch.container.store import Store
        from hutch.errors import HutchError

        req = self.req
        tty, detach = bool(req.get("tty")), bool(req.get("detach"))
        store = Store(self.cfg["runtime_root"])
        null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
        ours = theirs = -1
        child: list[int] = []
        try:
            proc = self._process(store)
            if tty:
                from hutch.process.sync import socketpair

                ours, theirs = socketpair()
                stdio = [null, null, null]
            elif detach:
                stdio = [null, null, null]
            else:
                r = null
                if req.get("stdin"):
                    r, self.stdin_fd = os.pipe2(os.O_CLOEXEC)
                    os.set_blocking(self.stdin_fd, False)
                out_r, out_w = os.pipe2(os.O_CLOEXEC)
                err_r, err_w = os.pipe2(os.O_CLOEXEC)
                self.outputs = {out_r: "stdout", err_r: "stderr"}
                stdio = [r, out_w, err_w]
                child = [fd for fd in stdio if fd != null]
            try:
                pid = exec_process(store, self.cid, proc, theirs, stdio=(stdio[0], stdio[1], stdio[2]),
                                   warm=True)
            finally:
                for fd in [*child, theirs]:
                    if fd >= 0:
                        os.close(fd)
                theirs = -1
            if ours >= 0:
                from hutch.process.console import recv_fd

                self._set_master(recv_fd(ours))
            return pid
        except (HutchError, OSError) as err:
            text = str(err) or type(err).__name__
            raise Failed(failure_code(text), text) from err
        finally:
            os.close(null)
            for fd in (ours, theirs):
                if fd >= 0:
                    os.close(fd)

    def _process(self, store: Any) -> ProcessPlan:
        """The container's process, with the exec's arguments, environment, user, cwd."""
        from hutch.specconv.plan import decode

        req = self.req
        with open(os.path.join(store.dir(self.cid), "plan.json"), "rb") as f:
            base = decode(f.read())["process"]
        proc: ProcessPlan = dict(base)  # type: ignore[assignment]
        proc["args"] = [str(a) for a in req["args"]]
        proc["env"] = [*base["env"], *req.get("env", [])]
        proc["terminal"] = bool(req.get("tty"))
        proc["console_size"] = None
        if req.get("cwd"):
            proc["cwd"] = str(req["cwd"])
        if req.get("uid") is not None:
            proc["uid"], proc["gid"] = int(req["uid"]), int(req["gid"])
            proc["additional_gids"] = [int(g) for g in req.get("additional_gids") or []]
        if req.get("privileged"):  # docker's exec --privileged: every capability (that hutch holds)
            from hutch.specconv.caps import own_bounding

            every = own_bounding()
            old = proc.get("caps")
            inheritable, ambient = (old["inheritable"], old["ambient"]) if old else (0, 0)
            proc["caps"] = {"bounding": every, "effective": every, "permitted": every,
                            "inheritable": inheritable, "ambient": ambient}
        return proc

    def attach_client(self) -> None:
        """The requesting connection becomes this exec's one client."""
        os.set_blocking(self.conn, False)
        self.clients[self.conn] = attach.Frames()
        self.pending[self.conn] = bytearray()
        self.poller.register(self.conn, select.POLLIN)

    def end(self) -> None:
        self._reap_stray_output()
        assert self.status is not None
        self.tell(self.status)

    def fail(self, code: int, message: str) -> None:
        """The exec did not happen: the runtime's error (stderr) and docker's exit status."""
        from hutch.engine.supervise import protocol

        with ignoring(OSError):
            protocol.send(self.conn, protocol.STATUS, f"error {code} {message}".encode())
        os.close(self.conn)
