"""What a container's end becomes under its restart policy (``hutch.engine.restartpolicy``):
the record's end as the supervisor writes it, and whether (and after how long) it starts
the container again.

The decision is taken on the record as it is on disk, under the records' lock, so a
`stop`/`kill` by the user (which marks the record ``manually_stopped`` first) always wins;
the back-off's last wait and the restart count are kept in the record too, so a new
supervisor (after a kill -9 of the old one: the keeper's hand-over) decides as the old one
would have.
"""

from __future__ import annotations

import time

from hutch.engine import model, restartpolicy
from hutch.util import timefmt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def ended(r: dict[str, Any], code: int, oom: bool, error: str, monitor: tuple[int, int],
          started: bool = True) -> float | None:
    """Write the end of the container into its record ``r``; the wait before its restart
    (the record then says restarting, held by ``monitor``: (pid, start time)), or None. A
    container that never ``started`` (its process could not be run) is left Created with the
    exit status and the error, as docker leaves it, and not restarted (docker retries no
    failed start)."""
    st = r["state"]
    now_ns = time.time_ns()
    st.update(exit_code=code, oom_killed=oom, pid=0, paused=False, error=error)
    if not started:
        st.update(status=model.CREATED, monitor_pid=0, monitor_start=0)
        return None
    st["finished_at"] = timefmt.format_ns(now_ns)
    if isinstance(st.get("health"), dict):
        st["health"]["Status"] = "unhealthy"  # docker's, when its checks stop with the container
    policy = (r.get("config") or {}).get("restart")
    count = int(st.get("restart_count", 0))
    if restartpolicy.should_restart(policy, code, bool(st.get("manually_stopped")), count):
        try:
            ran = (now_ns - timefmt.parse_ns(str(st.get("started_at", "")))) / 1e9
        except ValueError:
            ran = 0.0
        delay = restartpolicy.next_delay(float(st.get("restart_delay", 0.0)), ran)
        st.update(status=model.RESTARTING, restart_count=count + 1, restart_delay=delay,
                  monitor_pid=monitor[0], monitor_start=monitor[1])
        return delay
    st.update(status=model.EXITED, monitor_pid=0, monitor_start=0)
    return None
