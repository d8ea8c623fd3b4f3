"""docker's health checks as a container's settings: the ``--health-*`` flags and
``--no-healthcheck`` parsed, merged with the image's HEALTHCHECK (docker's ``merge``: the
image's fills what the flags leave unset), in docker's shape (image config
``Healthcheck`` {Test, Interval, Timeout, StartPeriod, Retries}, durations in nanoseconds);
what the supervisor does with them is ``hutch.engine.supervise.health``.

``Test`` is ``["CMD", ARG...]``, ``["CMD-SHELL", "COMMAND"]`` (run with /bin/sh -c) or
``["NONE"]`` (no check, the image's disabled); 0 for a duration or the retries is docker's
default (30 s, 30 s, 0 s, 3). Pure: `hutch run`'s path imports it.
"""

from __future__ import annotations

from hutch.errors import InvalidArgument
from hutch.util.duration import parse_duration

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

SECOND = 1_000_000_000
__all__ = ["parse_duration"]  # (hutch.util.duration's, for the flags)
DEFAULT_INTERVAL = 30 * SECOND
DEFAULT_TIMEOUT = 30 * SECOND
DEFAULT_START_PERIOD = 0
DEFAULT_RETRIES = 3
MIN_DURATION = 1_000_000  # docker's: 1 ms
MAX_OUTPUT = 4096  # bytes of a check's output kept (docker's maxOutputLen)
MAX_LOG = 5  # results kept (docker's maxLogEntries)

def from_flags(cmd: str = "", interval: str = "", timeout: str = "", start_period: str = "",
               retries: int = 0, disable: bool = False) -> dict[str, Any] | None:
    """The flags' health check (None when none is given): docker CLI's checks."""
    given = bool(cmd or interval or timeout or start_period or retries)
    if disable:
        if given:
            raise InvalidArgument("--no-healthcheck conflicts with --health-* options")
        return {"Test": ["NONE"]}
    if not given:
        return None
    values = {}
    for flag, text in (("--health-interval", interval), ("--health-timeout", timeout),
                       ("--health-start-period", start_period)):
        ns = parse_duration(text, flag) if text else 0
        if ns < 0:
            raise InvalidArgument(f"{flag} cannot be negative")
        if 0 < ns < MIN_DURATION:
            name = flag[len("--health-"):].replace("-p", "P").capitalize()
            raise InvalidArgument(f"{name} in Healthcheck cannot be less than 1ms")
        values[flag] = ns
    if retries < 0:
        raise InvalidArgument("--health-retries cannot be negative")
    return {"Test": ["CMD-SHELL", cmd] if cmd else [], "Interval": values["--health-interval"],
            "Timeout": values["--health-timeout"], "StartPeriod": values["--health-start-period"],
            "Retries": retries}


def checked(check: Mapping[str, Any]) -> dict[str, Any]:
    """A Healthcheck given whole (the Python API's), checked as the flags are."""
    test = [str(t) for t in check.get("Test") or []]
    if test and test[0] not in ("NONE", "CMD", "CMD-SHELL"):
        raise InvalidArgument(f"healthcheck: Test must start with NONE, CMD or CMD-SHELL, not {test[0]!r}")
    out: dict[str, Any] = {"Test": test}
    for key in ("Interval", "Timeout", "StartPeriod", "Retries"):
        value = int(check.get(key) or 0)
        if value < 0:
            raise InvalidArgument(f"healthcheck: {key} cannot be negative")
        if key != "Retries" and 0 < value < MIN_DURATION:
            raise InvalidArgument(f"{key} in Healthcheck cannot be less than 1ms")
        out[key] = value
    return out


def merge(flags: dict[str, Any] | None, image: dict[str, Any] | None) -> dict[str, Any] | None:
    """The container's health check: the flags', what they leave unset taken from the image's."""
    if not flags:
        return dict(image) if image and image.get("Test") else None
    out = dict(flags)
    if image:
        if not out.get("Test"):
            out["Test"] = list(image.get("Test") or [])
        for key in ("Interval", "Timeout", "StartPeriod", "Retries"):
            if not out.get(key):
                out[key] = image.get(key) or 0
    return out if out.get("Test") else None


def enabled(check: dict[str, Any] | None) -> bool:
    test = (check or {}).get("Test") or []
    return bool(test) and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1


def argv(check: dict[str, Any]) -> list[str]:
    """The check's command line in the container."""
    test = [str(t) for t in check["Test"]]
    return ["/bin/sh", "-c", test[1]] if test[0] == "CMD-SHELL" else test[1:]


def settings(check: dict[str, Any]) -> tuple[float, float, float, int]:
    """(interval, timeout, start period) in seconds and the retries, docker's defaults for 0."""
    return ((check.get("Interval") or DEFAULT_INTERVAL) / SECOND,
            (check.get("Timeout") or DEFAULT_TIMEOUT) / SECOND,
            (check.get("StartPeriod") or DEFAULT_START_PERIOD) / SECOND,
            int(check.get("Retries") or DEFAULT_RETRIES))


def status_suffix(health: dict[str, Any] | None) -> str:
    """What `ps` adds to "Up ...": " (healthy)", " (health: starting)", " (unhealthy)"."""
    status = (health or {}).get("Status")
    if not status:
        return ""
    return " (health: starting)" if status == "starting" else f" ({status})"
