"""The engine's errors as docker's daemon would have answered them, for docker-py's callers:
a `HutchError` that is not already an `APIError` becomes one (409 Conflict for a container or
object in the wrong state or in use, 400 for a bad argument, else 500), with the same message
and the engine's error as its cause. It stays a HutchError, so ``except HutchError`` holds too.
docker-py's own client-side errors (ContainerError, TypeError) pass through."""

from __future__ import annotations

import contextlib

from hutch.errors import APIError, Conflict, ContainerError, HutchError, InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

#: words of the engine's messages that are docker's 409 answers
_CONFLICT = ("is not running", "is paused", "is running", "in use", "already", "active endpoints",
             "cannot remove", "is not connected", "must be")


@contextlib.contextmanager
def answered() -> Iterator[None]:
    try:
        yield
    except (APIError, ContainerError):
        raise
    except HutchError as err:
        raise as_api_error(err) from err


def as_api_error(err: HutchError) -> APIError:
    text = str(err)
    if any(w in text for w in _CONFLICT):
        return Conflict(text)
    out = APIError(text)
    if isinstance(err, InvalidArgument) or type(err).__name__ in ("UsageError", "InvalidArgument"):
        out.status = 400
    return out
