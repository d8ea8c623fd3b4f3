"""A container's health checks, run by the supervisor (docker's health monitor): its
Healthcheck's command exec'd in the container (`hutch.engine.supervise.execs`, in-process,
as `hutch exec` is served) every interval after the last check ended, killed after its
timeout; each result is written to the record's State.Health {Status, FailingStreak, Log}
as docker's ``handleProbeResult`` does:

- exit 0: healthy, the failing streak back to 0;
- anything else (a timeout counts as exit -1, a check that could not be exec'd too): the
  streak grows, unless the container is still "starting" within its start period, and at
  ``Retries`` failures in a row it is unhealthy;
- the last 5 results are kept, each check's output cut at 4096 bytes.

No thread: the loop calls `tick` when `due` has come (`hutch.engine.supervise.server`).
Another OCI runtime's container is checked through that runtime's ``exec`` command (its
process, our child, is what a timeout kills).
"""

from __future__ import annotations

import os
import signal
import time

from hutch.engine import healthcheck, model
from hutch.engine.supervise.execs import Exec
from hutch.engine.supervise.starting import Failed
from hutch.util import timefmt
from hutch.util.ignoring import ignoring

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from hutch.engine.records import Records
    from hutch.engine.supervise.session import Poller


class Probe(Exec):
    """One check: an exec whose output is kept (not streamed) and whose end is reported."""

    def __init__(self, poller: Poller, runtime_root: str, cid: str, args: list[str],
                 report: Callable[[Probe], None], cli: str = "") -> None:
        super().__init__(poller, runtime_root, {"id": cid, "args": args}, -1)
        self.report = report
        self.cli = cli  # another runtime's path: exec'd through its command line
        self.output = bytearray()
        self.started_ns = time.time_ns()
        self.abandoned = False  # timed out: its end is no result

    def start(self) -> int:
        if not self.cli:
            return super().start()
        from hutch.engine.spawn import spawn
        from hutch.engine.supervise.starting import failure_code

        null = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
        r, w = os.pipe2(os.O_CLOEXEC)
        self.outputs = {r: "stdout"}  # (stdout and stderr together, as docker keeps them)
        try:
            return spawn([self.cli, "--root", self.cfg["runtime_root"], "exec", self.cid, *self.req["args"]],
                         [null, w, w])
        except OSError as err:
            raise Failed(failure_code(str(err)), str(err)) from err
        finally:
            os.close(w)
            os.close(null)

    def _output(self, stream: str, data: bytes) -> None:
        self.output += data[:max(0, healthcheck.MAX_OUTPUT - len(self.output))]

    def end(self) -> None:
        self._reap_stray_output()
        if not self.abandoned:
            self.report(self)

    def kill(self) -> None:
        if self.pidfd >= 0:
            with ignoring(OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)


class Health:
    """The health checks of one running container."""

    def __init__(self, records: Records, cid: str, check: dict[str, Any], runtime_root: str,
                 spawn: Callable[[Callable[[Poller], Probe]], Probe | None], cli: str = "") -> None:
        self.records, self.cid, self.runtime_root, self.spawn = records, cid, runtime_root, spawn
        self.cli = cli
        self.argv = healthcheck.argv(check)
        self.interval, self.timeout, self.start_period, self.retries = healthcheck.settings(check)
        self.probe: Probe | None = None
        self.probe_deadline = 0.0
        self.due = time.monotonic() + self.interval

    def tick(self, now: float) -> None:
        """Start the next check, or end one that ran past its timeout."""
        if self.probe is not None:
            if now >= self.probe_deadline:
                probe, self.probe = self.probe, None
                probe.abandoned = True
                probe.kill()
                self.record(probe.started_ns, -1, f"Health check exceeded timeout ({_seconds(self.timeout)})")
                self.due = now + self.interval
            return
        if now < self.due:
            return
        record = self.records.load(self.cid)
        if record is None or record["state"]["status"] != model.RUNNING or record["state"].get("paused"):
            self.due = now + self.interval  # (a paused container is not checked, as docker's)
            return
        started = time.time_ns()
        try:
            self.probe = self.spawn(lambda poller: Probe(poller, self.runtime_root, self.cid, self.argv,
                                                         self.done, self.cli))
        except Failed as err:
            self.record(started, -1, str(err))
            self.due = now + self.interval
            return
        self.probe_deadline = now + self.timeout
        self.due = self.probe_deadline

    def done(self, probe: Probe) -> None:
        """A check ended in time: its result."""
        if probe is not self.probe:
            return
        self.probe = None
        assert probe.status is not None
        self.record(probe.started_ns, probe.status, probe.output.decode(errors="replace"))
        self.due = time.monotonic() + self.interval

    def stop(self) -> None:
        """The container ended: no more checks (one running is killed)."""
        if self.probe is not None:
            self.probe.abandoned = True
            self.probe.kill()
            self.probe = None

    def record(self, started_ns: int, code: int, output: str) -> None:
        """One result into State.Health, as docker's handleProbeResult."""
        end = timefmt.now()

        def change(r: dict[str, Any]) -> None:
            st = r["state"]
            if st["status"] != model.RUNNING:
                return
            h = st.setdefault("health", {"Status": "starting", "FailingStreak": 0, "Log": []})
            h["Log"] = [*(h.get("Log") or []), {"Start": timefmt.format_ns(started_ns), "End": end,
                                                "ExitCode": code, "Output": output}][-healthcheck.MAX_LOG:]
            if code == 0:
                h.update(Status="healthy", FailingStreak=0)
                return
            if h.get("Status") == "starting":
                try:
                    since = (started_ns - timefmt.parse_ns(str(st.get("started_at", "")))) / 1e9
                except ValueError:
                    since = self.start_period
                if since < self.start_period:
                    return  # failures in the start period do not count
            h["FailingStreak"] = int(h.get("FailingStreak", 0)) + 1
            if h["FailingStreak"] >= self.retries:
                h["Status"] = "unhealthy"

        self.records.update(self.cid, change)


def _seconds(value: float) -> str:
    """A duration as Go prints it: 30s, 500ms, 1.5s."""
    if value < 1:
        return f"{value * 1000:g}ms"
    return f"{value:g}s"

