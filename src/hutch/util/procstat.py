"""``/proc/PID/stat``: the two fields hutch reads of a process, its state letter and its
start time (field 22, clock ticks after boot). A pid can be reused, but not at the same
start time: the pair names one process for good (runc records it the same way)."""

from __future__ import annotations


def stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time) of ``pid``, or None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: split after the last ')'.
    fields = data[data.rindex(b")") + 2:].split()
    return fields[0].decode(), int(fields[19])


def start_time(pid: int) -> int:
    """The start time of ``pid``; 0 if it is gone, or a zombie (it has ended)."""
    st = stat(pid)
    return 0 if st is None or st[0] in ("Z", "X") else st[1]
