"""The kernel's process events connector (``CONFIG_PROC_EVENTS``): the exit status of any
process, for a supervisor that is not its parent.

A supervisor started again after a crash cannot wait(2) for the containers it adopts (their
parent is now the nearest subreaper, or PID 1, which reaps them at once); the proc
connector multicasts every exit with the status wait(2) would have returned. Listening
needs CAP_NET_ADMIN in the initial user namespace and a process in the initial PID
namespace (else EPERM), so callers treat it as an optional source.

The connector's kernel socket exists only in the initial network namespace: a netlink socket
made in any other is refused (ECONNREFUSED). A supervisor in a network namespace of its own
(``ip netns exec``, a test session's sandbox) makes its socket in the initial one, where it
may (root); the socket stays there, while the process goes back at once.

    nlmsghdr (16) | cn_msg: idx, val, seq, ack (u32 each), len, flags (u16) | proc_event
    proc_event: what (u32), cpu (u32), timestamp_ns (u64), then for PROC_EVENT_EXIT:
                pid, tgid, exit_code, exit_signal, parent_pid, parent_tgid (u32 each)
"""

from __future__ import annotations

import errno
import os
import socket
import struct

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_CN_MCAST_IGNORE = 2
PROC_EVENT_EXIT = 0x80000000
NLMSG_DONE = 3

_NLMSG = struct.Struct("=IHHII")
_CN_MSG = struct.Struct("=IIIIHH")
_EVENT = struct.Struct("=IIQ")
_EXIT = struct.Struct("=IIII")


class ExitEvents:
    """A subscription to process exits. ``read()`` drains what arrived: ``(pid, status)``
    of each process (thread-group leader) that exited, ``status`` as waitpid returns it."""

    def __init__(self) -> None:
        try:
            self._listen(_socket())
        except ConnectionRefusedError:  # not the initial network namespace
            self._listen(_socket_in_initial_netns())

    def _listen(self, sock: socket.socket) -> None:
        self._sock = sock
        try:
            sock.bind((0, CN_IDX_PROC))
            self._control(PROC_CN_MCAST_LISTEN)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise

    def _control(self, op: int) -> None:
        payload = struct.pack("=I", op)
        cn = _CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(payload), 0) + payload
        self._sock.send(_NLMSG.pack(_NLMSG.size + len(cn), NLMSG_DONE, 0, 0, os.getpid()) + cn)

    def fileno(self) -> int:
        return self._sock.fileno()

    def read(self) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        while True:
            try:
                data = self._sock.recv(4096)
            except BlockingIOError:
                return out
            except OSError as err:  # ENOBUFS: events were lost; the caller checks its pids
                if err.errno == errno.ENOBUFS:
                    continue
                raise
            out.extend(parse(data))

    def close(self) -> None:
        self._sock.close()


def _socket() -> socket.socket:
    return socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC, NETLINK_CONNECTOR)


def _socket_in_initial_netns() -> socket.socket:
    """A connector socket made in pid 1's network namespace (this thread goes there and back)."""
    from hutch._sys import consts as C
    from hutch._sys import ns as _ns

    back = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        initial = _open_initial_netns()
        try:
            _ns.setns(initial, C.CLONE_NEWNET)
        finally:
            os.close(initial)
        try:
            return _socket()
        finally:
            _ns.setns(back, C.CLONE_NEWNET)
    finally:
        os.close(back)


def _open_initial_netns() -> int:
    """pid 1's network namespace, or kthreadd's (pid 2: always the initial one), where pid 1's
    may not be opened (a sandboxed pid 1)."""
    try:
        return os.open("/proc/1/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    except PermissionError:
        return os.open("/proc/2/ns/net", os.O_RDONLY | os.O_CLOEXEC)


def parse(data: bytes) -> list[tuple[int, int]]:
    """The exits in one datagram (it may hold several netlink messages)."""
    out: list[tuple[int, int]] = []
    off = 0
    while off + _NLMSG.size <= len(data):
        length = _NLMSG.unpack_from(data, off)[0]
        if length < _NLMSG.size or off + length > len(data):
            break
        body = off + _NLMSG.size + _CN_MSG.size
        if body + _EVENT.size + _EXIT.size <= off + length:
            what = _EVENT.unpack_from(data, body)[0]
            if what == PROC_EVENT_EXIT:
                pid, tgid, code, _sig = _EXIT.unpack_from(data, body + _EVENT.size)
                if pid == tgid:  # a process, not one of its threads
                    out.append((tgid, code))
        off += (length + 3) & ~3
    return out
