"""What the engine does to a container that exists: signals, stop, wait, pause and
resume, rename, exec (the runtime's verbs, through its command line)."""

from __future__ import annotations

import os
import time

from hutch.engine import events, model
from hutch.engine.records import alive
from hutch.engine.registry import ContainerNotFound, Registry, check_name
from hutch.engine.runtime_client import failure_code
from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from hutch.engine.records import Record as _Record


def starter_alive(record: _Record) -> bool:
    """Whether the `start` that put the record in STARTING still runs, or the container is the
    supervisor's already (a record from before the starter was written down counts as alive)."""
    st = record["state"]
    if "starter_pid" not in st or st.get("monitor_pid"):
        return True
    return alive(int(st.get("starter_pid", 0)), int(st.get("starter_start", 0)))

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hutch.engine.records import Record

DEFAULT_STOP_TIMEOUT = 10


class Operations(Registry):
    # ---- signals, stop, wait ------------------------------------------------------------

    def manually_stopped(self, record: Record) -> bool:
        """The user stops or kills the container: its restart policy does not start it again
        (docker's HasBeenManuallyStopped). One waiting for its restart is stopped now (True)."""
        cancelled = False

        def mark(r: Record) -> None:
            nonlocal cancelled
            st = r["state"]
            st["manually_stopped"] = True
            if st["status"] == model.RESTARTING:
                st.update(status=model.EXITED, monitor_pid=0, monitor_start=0)
                cancelled = True

        self.store.update(record["id"], mark)
        if cancelled:  # its supervisor forgets the restart now (not when it was due)
            from hutch.engine import attach
            from hutch.engine.supervise import protocol

            try:
                sock = attach.connect(protocol.Paths(self.runroot).sock)
            except OSError:
                return cancelled
            try:
                protocol.request(sock.fileno(), {"op": "cancel", "id": record["id"]})
                protocol.read_status(sock.fileno())
            except OSError:
                pass
            finally:
                sock.close()
        return cancelled

    def _started(self, record: Record) -> Record:
        """The record once no `start` is under way (at most 30 s)."""
        deadline = time.monotonic() + 30
        while (r := self.store.load(record["id"])) and r["state"]["status"] == model.STARTING \
                and time.monotonic() < deadline and starter_alive(r):
            time.sleep(0.02)
        return r or record

    def kill(self, record: Record, sig: str = "KILL") -> None:
        if record["state"]["status"] == model.RESTARTING and self.manually_stopped(record):
            return  # docker: a restarting container needs no signal, only its restart cancelled
        if record["state"]["status"] not in model.LIVE:
            raise HutchError(f"cannot kill container {record['name']}: it is not running")
        number = signal_number(sig)
        self.manually_stopped(record)
        events.container(self.root, "kill", record, signal=number)  # (before its die, as docker's)
        r = self.runtime(record).call("kill", record["id"], str(number))
        if r.returncode != 0 and self.is_running(record):
            raise HutchError(f"cannot kill container {record['name']}: "
                             f"{r.stderr.decode(errors='replace').strip()}")

    def wait(self, record: Record, timeout: float | None = None) -> int:
        """Block until the container's supervisor has recorded its end; the exit status.
        Raises TimeoutError after ``timeout`` seconds."""
        st = record["state"]
        code = None
        if st["status"] in model.LIVE:
            code = self._wait_live(record["id"], timeout)
        elif st["status"] == model.RESTARTING:  # docker's: it "runs" until its next end, so wait for that
            from hutch.engine.supervise.protocol import keeper_alive

            deadline = None if timeout is None else time.monotonic() + timeout
            while (r := self.store.load(record["id"])) and r["state"]["status"] == model.RESTARTING \
                    and keeper_alive(self.runroot):
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError
                time.sleep(0.05)
            if r is not None and r["state"]["status"] != model.RESTARTING:
                return self.wait(r, None if deadline is None else max(0.0, deadline - time.monotonic()))
        elif st["status"] == model.STARTING:
            deadline = time.monotonic() + (30 if timeout is None else min(30.0, timeout))
            while (r := self.store.load(record["id"])) and r["state"]["status"] == model.STARTING \
                    and time.monotonic() < deadline and starter_alive(r):
                time.sleep(0.02)
            if r is not None and r["state"]["status"] != model.STARTING:
                return self.wait(r, timeout)
        final = self.store.load(record["id"])
        if final is None:  # --rm removed it: its status if we heard it, else docker's "No such container"
            if code is not None:
                return code
            if st["status"] == model.EXITED:
                return int(st.get("exit_code", 0))
            from hutch.engine.exits import recall

            kept = recall(self.root, record["id"])
            if kept is None:
                raise ContainerNotFound(record["name"])
            return kept
        final = self._reconcile(final)
        return int(final["state"].get("exit_code", 0))

    def _wait_live(self, cid: str, timeout: float | None) -> int | None:
        """Until the container's end is recorded (its exit status, when its supervisor said
        it), or nobody holds it any more (a lost supervisor: the record is reconciled)."""
        from hutch.engine.supervise.protocol import keeper_alive

        deadline = None if timeout is None else time.monotonic() + timeout
        asked = False
        while True:
            current = self.store.load(cid)
            if current is None or current["state"]["status"] not in model.LIVE:
                return None
            st = current["state"]
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if alive(st.get("monitor_pid", 0), st.get("monitor_start", 0)):
                got = self._wait_supervisor(cid, left)
                if got is not None:
                    return got
                if not asked:  # "gone": mostly it ended between our read and our question,
                    asked = True  # and its record already says so
                    continue
            elif not keeper_alive(self.runroot):
                return None
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError
            time.sleep(0.05)  # being handed over to a new supervisor, or in its teardown

    def _wait_supervisor(self, cid: str, timeout: float | None) -> int | None:
        """Until the supervisor has torn the container down: its exit status (None when the
        supervisor does not hold it or went away); TimeoutError."""
        import select

        from hutch.engine import attach
        from hutch.engine.supervise import protocol

        try:
            sock = attach.connect(protocol.Paths(self.runroot).sock)
        except OSError:
            return None
        line = None
        try:
            protocol.request(sock.fileno(), {"op": "wait", "id": cid})
            ready = select.select([sock], [], [], timeout)[0]
            if ready:
                line = protocol.read_status(sock.fileno())
        except OSError:  # the supervisor went away: its record says the rest
            ready = [sock]
        finally:
            sock.close()
        if not ready:
            raise TimeoutError
        word, _, rest = (line or "").partition(" ")
        return int(rest) if word == "ok" and rest.isdigit() else None

    def stop(self, record: Record, timeout: int | None = None) -> None:
        """docker stop: the stop signal, then SIGKILL after ``timeout`` seconds."""
        if record["state"]["status"] in (model.RESTARTING, model.STARTING):
            self.manually_stopped(record)  # (its restart policy's start, if one is under way, is
            record = self._started(record)  # cancelled or is stopped here once it runs)
        if record["state"]["status"] not in model.LIVE:
            return
        cfg = record.get("config", {})
        if timeout is None:
            t = cfg.get("stop_timeout")
            timeout = DEFAULT_STOP_TIMEOUT if t is None else int(t)
        sig = str(cfg.get("stop_signal") or "SIGTERM")
        if record["state"].get("paused"):
            self.unpause(record)
        try:
            if timeout != 0:
                self.kill(record, sig)
                self.wait(record, timeout if timeout > 0 else None)
                events.container(self.root, "stop", record)
                return
        except TimeoutError:
            pass
        except HutchError as err:
            if not self.is_running(record):
                events.container(self.root, "stop", record)
                return
            try:  # it ended before the signal came (its runtime has no such container): its
                self.wait(record, 5)  # supervisor is recording that
            except TimeoutError:
                raise err from None
            return
        with _suppress_not_running(self, record):
            self.kill(record, "KILL")
        self.wait(record)
        events.container(self.root, "stop", record)

    def pause(self, record: Record) -> None:
        self._freeze(record, "pause", True)

    def unpause(self, record: Record) -> None:
        self._freeze(record, "resume", False)

    def _freeze(self, record: Record, verb: str, paused: bool) -> None:
        if record["state"]["status"] not in model.LIVE:
            raise HutchError(f"container {record['name']} is not running")
        if bool(record["state"].get("paused")) == paused:
            raise HutchError(f"container {record['name']} is {'already' if paused else 'not'} paused")
        r = self.runtime(record).call(verb, record["id"])
        if r.returncode != 0:
            raise HutchError(f"cannot {verb} container {record['name']}: "
                             f"{r.stderr.decode(errors='replace').strip()}")

        def mark(rec: Record) -> None:
            rec["state"].update(paused=paused, status=model.PAUSED if paused else model.RUNNING)

        self.store.update(record["id"], mark)
        events.container(self.root, "pause" if paused else "unpause", record)

    def update_restart(self, record: Record, policy: dict[str, Any]) -> None:
        """docker update --restart: the policy its supervisor applies at the next exit
        ({"Name", "MaximumRetryCount"}, checked here)."""
        from hutch.engine.restartpolicy import is_set, parse, text

        policy = parse(text(policy))

        if is_set(policy) and record.get("config", {}).get("remove"):
            raise HutchError("Restart policy cannot be updated because AutoRemove is enabled for the "
                             "container")

        def change(r: Record) -> None:
            r.setdefault("config", {})["restart"] = dict(policy)

        if self.store.update(record["id"], change) is None:
            raise ContainerNotFound(record["name"])

    def rename(self, record: Record, new: str) -> None:
        check_name(new)
        with self.locked():
            taken = next((r["id"] for r in self.store.all() if r["name"] == new and r["id"] != record["id"]),
                         None)
            if taken is not None:
                from hutch.engine.registry import name_in_use

                raise name_in_use(new, taken)
            current = self.store.load(record["id"])
            if current is None:
                raise ContainerNotFound(record["name"])
            current["name"] = new
            self.store.save(current)
        events.container(self.root, "rename", current, oldName=record["name"])

    # ---- exec ---------------------------------------------------------------------------

    def exec(self, record: Record, args: list[str], *, tty: bool = False, stdin: bool = False,
             privileged: bool = False,  # docker's exec --privileged: every capability hutch holds
             detach: bool = False, env: list[str] | None = None, user: str = "", workdir: str = "",
             capture: bool = False, input: bytes | None = None,
             sink: Callable[[int, bytes], None] | None = None) -> tuple[int, bytes]:
        """Run ``args`` in the running container: its exit status (docker's 126/127 when it
        cannot be run), and with ``capture`` its stdout and stderr together, or (with ``sink``)
        each chunk given to ``sink(1 or 2, data)`` as it comes, for stdout or stderr."""
        if record["state"]["status"] == model.PAUSED:
            raise HutchError(f"container {record['name']} is paused, unpause the container first")  # docker's
        if record["state"]["status"] != model.RUNNING:
            raise HutchError(f"container {record['name']} is not running")
        if not args:
            raise HutchError("exec: no command given")
        if tty and detach:
            raise HutchError("exec -d -t is not supported: detach without a terminal, or attach")
        lay = self.layout(record["id"])
        env = [e if "=" in e else f"{e}={os.environ.get(e, '')}" for e in env or []]
        if tty:  # docker's: TERM=xterm with a terminal, unless -e says otherwise
            env.insert(0, "TERM=xterm")
        u: dict[str, Any] | None = None
        if user:  # names as the container's own /etc/passwd and /etc/group have them (its root)
            from hutch.engine.users import home, resolve

            u = dict(resolve(user, [lay.merged]))
            env.insert(0, f"HOME={home(u['uid'], user, [lay.merged])}")  # that user's (as runc's)
        runtime = self.runtime(record)
        from hutch.engine.supervise.starting import in_process

        if in_process(runtime.path):
            req = {"op": "exec", "id": record["id"], "args": args, "env": env, "cwd": workdir, "tty": tty,
                   "stdin": stdin or input is not None, "detach": detach, "privileged": privileged,
                   "uid": u["uid"] if u else None, "gid": u["gid"] if u else None,
                   "additional_gids": (u.get("additionalGids") or []) if u else []}
            return self._exec_supervised(req, capture=capture, input=input, sink=sink)
        log = lay.exec_log(os.urandom(4).hex())
        argv = ["exec"]
        if tty:
            argv.append("--tty")
        if detach:
            argv.append("--detach")
        for e in env:
            argv += ["--env", e]
        if u:
            argv += ["--user", f"{u['uid']}:{u['gid']}"]
            for g in u.get("additionalGids") or []:
                argv += ["--additional-gids", str(g)]
        if workdir:
            argv += ["--cwd", workdir]
        if privileged:
            from hutch.specconv.caps import own_bounding, to_names

            for name in to_names(own_bounding()):
                argv += ["--cap", name]
        import subprocess

        devnull = subprocess.DEVNULL
        out: Any = subprocess.PIPE if capture else devnull if detach else None
        try:
            r = subprocess.run(runtime.argv(*argv, record["id"], *args, log=log), check=False, input=input,
                               stdin=None if stdin or tty or input is not None else devnull, stdout=out,
                               stderr=subprocess.PIPE if capture and sink else
                               subprocess.STDOUT if capture else out)
            if capture and sink:
                sink(1, r.stdout or b"")
                sink(2, r.stderr or b"")
                return (failure_code(log, r.returncode) if r.returncode else 0), b""
            return (failure_code(log, r.returncode) if r.returncode else 0), r.stdout or b""
        finally:
            try:
                os.unlink(log)
            except FileNotFoundError:
                pass

    def _exec_supervised(self, req: dict[str, Any], *, capture: bool, input: bytes | None,
                         sink: Callable[[int, bytes], None] | None = None) -> tuple[int, bytes]:
        """exec through the supervisor (hutch's own runtime, in-process there)."""
        from hutch.engine import attach
        from hutch.engine.supervise import protocol
        from hutch.engine.supervise.connect import connect

        sock = connect(self.root, self.runroot)
        fd = sock.fileno()
        try:
            protocol.request(fd, req)
            word, _, rest = (protocol.read_status(fd) or "").partition(" ")
            if word == "error":
                code, _, msg = rest.partition(" ")
                text = f"exec failed: {msg}\n".encode()
                if sink is not None:
                    sink(2, text)
                    return int(code), b""
                if not capture:
                    os.write(2, text)
                return int(code), text if capture else b""
            if word != "ok":
                raise HutchError("exec: the supervisor went away")
            if req["detach"]:
                return 0, b""
            if not capture and input is None:
                from hutch.engine.client import pump

                status = pump(sock, stdin=req["stdin"], tty=req["tty"], pid=int(rest))
                return (255 if status is None else status), b""
            if input is not None:
                sock.sendall(attach.frame(attach.STDIN, input) + attach.frame(attach.CLOSE_STDIN))
            out = bytearray()
            while (got := protocol.read_frame(fd)) is not None:
                kind, payload = got
                if kind == attach.EXIT:
                    return int(payload or b"0"), bytes(out)
                if sink is not None:
                    sink(1 if kind == attach.STDOUT else 2, payload)
                elif capture:
                    out += payload
                else:
                    os.write(1 if kind == attach.STDOUT else 2, payload)
            raise HutchError("exec: the supervisor went away")
        finally:
            sock.close()


class _suppress_not_running:
    """Ignore a failure to signal a container that has just exited."""

    def __init__(self, eng: Operations, record: Record) -> None:
        self.eng, self.record = eng, record

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, err: object, _tb: object) -> bool:
        return isinstance(err, HutchError) and not self.eng.is_running(self.record)


def signal_number(sig: str) -> int:
    """A signal given as docker takes it: 9, KILL, SIGKILL, RTMIN+3 (any case)."""
    from hutch._sys.sig import NSIG
    from hutch.util import signals

    s = sig.strip()
    if s.isdigit():
        n = int(s)
        if 0 < n < NSIG:
            return n
        raise HutchError(f"invalid signal: {sig}")
    known = signals.number(s)
    if known is None:
        raise HutchError(f"invalid signal: {sig}")
    return known

