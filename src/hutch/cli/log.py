"""What hutch-runtime reports: runc's log (text or JSON lines, to --log or stderr), an error as
one line, and the errors that exit with a code other than 1.

Below ``cli/main.py`` (the only place that turns exceptions into exit codes) and
``cli/runtime/``.
"""

from __future__ import annotations

import os

from hutch.errors import HutchError, InvalidArgument

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class Log:
    """runc's logging: text or JSON lines (level, msg, time) to --log, else stderr."""

    def __init__(self, path: str, fmt: str, debug: bool) -> None:
        if fmt not in ("text", "json"):
            raise InvalidArgument(f"invalid --log-format {fmt!r}: use text or json")
        self.fmt = fmt
        self.debug_on = debug
        self.fd = 2
        self.to_file = False
        if path:
            try:
                self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
                self.to_file = True
            except OSError as err:
                raise HutchError(f"cannot open log file {path}: {err.strerror}") from None

    def emit(self, level: str, msg: str) -> None:
        from hutch.util.timefmt import now

        if self.fmt == "json":
            from hutch import fastjson

            line = fastjson.dumps({"level": level, "msg": msg, "time": now()})
        else:
            from hutch import fastjson

            line = f"time={fastjson.dumps(now())} level={level} msg={fastjson.dumps(msg)}"
        try:
            os.write(self.fd, (line + "\n").encode())
        except OSError:
            pass

    def _plain(self, text: str) -> None:
        try:
            os.write(2, f"hutch-runtime: {text}\n".encode())
        except OSError:
            pass

    def warn(self, msg: str) -> None:
        if self.to_file or self.fmt == "json":
            self.emit("warning", msg)
        else:
            self._plain(f"warning: {msg}")

    def debug(self, msg: str) -> None:
        if self.debug_on:
            self.emit("debug", msg)

    def debugger(self) -> Callable[[str], None] | None:
        """:meth:`debug` with --debug, else None: the library skips its debug lines then."""
        return self.debug if self.debug_on else None

    def error(self, msg: str) -> None:
        """One line on stderr; with --log also the log's last line."""
        if self.to_file or self.fmt == "json":
            self.emit("error", msg)
        if self.to_file or self.fmt == "text":
            self._plain(msg)


class Failed(HutchError):
    """An error whose exit code is not 1, as runc gives them: 3 for an unknown command
    (urfave/cli's), 255 for an `exec` that failed."""

    def __init__(self, msg: str, code: int) -> None:
        super().__init__(msg)
        self.code = code


def error_text(err: HutchError | OSError) -> str:
    """The one line an error shows: its message, or "strerror: path" for OS errors."""
    if isinstance(err, OSError):
        where = f": {err.filename}" if err.filename else ""
        return f"{err.strerror or err}{where}"
    return str(err)
