"""Work done in a child process, its result or its error brought back through a pipe.

For what must happen somewhere this process should not go: another process's namespaces
(hutch.engine.supervise.home), a mount namespace of its own holding a read-only view
(hutch.build.rootview). The child is a fork (the caller must be single-threaded, as hutch's
commands are); ``enter`` runs first in it (setns, unshare, mount); then ``fn``. The result
and any error are pickled back; an error that does not survive pickling comes back as a
HutchError with its words. The child never returns into the caller's code: it _exits.
"""

from __future__ import annotations

import os
import pickle

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")


def call(enter: Callable[[], None], fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``enter()`` then ``fn(*args, **kwargs)`` in a forked child; its result (or its error)."""
    r, w = os.pipe2(os.O_CLOEXEC)
    child = os.fork()
    if child == 0:  # pragma: no cover  (a child: its coverage is not collected)
        os.close(r)
        try:
            enter()
            payload = pickle.dumps(("ok", fn(*args, **kwargs)))
        except BaseException as err:  # (every error goes back to the parent)
            payload = pickle.dumps(("error", portable(err)))
        view = memoryview(payload)
        while view:
            view = view[os.write(w, view):]
        os._exit(0)
    os.close(w)
    chunks = []
    try:
        while chunk := os.read(r, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(r)
        os.waitpid(child, 0)
    if not chunks:
        raise HutchError("the work done in a child process ended with no answer")
    word, value = pickle.loads(b"".join(chunks))
    if word == "error":
        raise value
    result: T = value
    return result


def portable(err: BaseException) -> BaseException:
    """``err`` if it pickles and comes back the same, else a HutchError with its words."""
    try:
        back = pickle.loads(pickle.dumps(err))
        if type(back) is type(err) and str(back) == str(err):
            return err
    except Exception:  # (it does not pickle: its words)
        pass
    return HutchError(str(err))
