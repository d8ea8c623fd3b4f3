"""docker's restart policies (``--restart no|always|unless-stopped|on-failure[:N]``): the
flag parsed, and the decision the supervisor takes when a container with one exits.

The decision is docker's restart manager's (moby ``restartmanager``): ``always`` restarts
on any exit, ``unless-stopped`` unless the user stopped it, ``on-failure`` on a non-zero
exit while fewer than N restarts were made (0: no limit); a container the user stopped or
killed (``hutch stop``/``kill``) is never restarted. The delay before a restart starts at
100 ms and doubles at each one, up to a minute, and starts over after a run of 10 s or more.

Pure: the request (``hutch run``'s path) and the supervisor import it.
"""

from __future__ import annotations

from hutch.errors import InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

NAMES = ("no", "always", "unless-stopped", "on-failure")
FIRST_DELAY = 0.1  # seconds: docker's defaultTimeout
MAX_DELAY = 60.0  # docker's maxRestartTimeout
RESET_AFTER = 10.0  # a run this long starts the back-off over


def parse(text: str) -> dict[str, object]:
    """``--restart``'s value as docker's HostConfig.RestartPolicy {Name, MaximumRetryCount}."""
    name, sep, count = text.partition(":")
    if name == "" and sep:
        raise InvalidArgument("invalid restart policy format: no policy provided before colon")
    name = name or "no"
    if name not in NAMES:
        raise InvalidArgument(f"invalid restart policy: unknown policy '{name}'; use one of 'no', "
                              f"'always', 'on-failure', or 'unless-stopped'")
    retries = 0
    if sep:
        if name != "on-failure":
            raise InvalidArgument("invalid restart policy: maximum retry count can only be used with "
                                  "'on-failure'")
        try:
            retries = int(count)
        except ValueError:
            raise InvalidArgument("invalid restart policy format: maximum retry count must be an integer") \
                from None
        if retries < 0:
            raise InvalidArgument("invalid restart policy: maximum retry count cannot be negative")
    return {"Name": name, "MaximumRetryCount": retries}


def text(policy: dict[str, Any]) -> str:
    """A RestartPolicy as ``--restart`` spells it (``on-failure:3``)."""
    name, count = str(policy.get("Name") or "no"), int(policy.get("MaximumRetryCount") or 0)
    return f"{name}:{count}" if count else name


def is_set(policy: dict[str, object] | None) -> bool:
    return bool(policy) and (policy or {}).get("Name") not in (None, "", "no")


def should_restart(policy: dict[str, object] | None, exit_code: int, manually_stopped: bool,
                   restarts: int) -> bool:
    """Whether a container that exited with ``exit_code`` after ``restarts`` restarts is
    started again."""
    if not is_set(policy) or manually_stopped:
        return False
    assert policy is not None
    name = policy.get("Name")
    if name in ("always", "unless-stopped"):
        return True
    limit = int(str(policy.get("MaximumRetryCount") or 0))
    return name == "on-failure" and exit_code != 0 and (limit == 0 or restarts < limit)


def next_delay(previous: float, ran: float) -> float:
    """The wait before the next restart: docker's back-off after a run of ``ran`` seconds,
    the previous wait being ``previous`` (0 for none)."""
    if ran >= RESET_AFTER or previous <= 0:
        return FIRST_DELAY
    return min(previous * 2, MAX_DELAY)
