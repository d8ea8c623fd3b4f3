"""Syscall numbers for calls glibc 2.36 does not export (or exports too new)."""

from __future__ import annotations

import os

_TABLES: dict[str, dict[str, int]] = {
    "x86_64": {
        "pivot_root": 155,
        "capget": 125,
        "capset": 126,
        "seccomp": 317,
        "open_tree": 428,
        "move_mount": 429,
        "fsopen": 430,
        "fsconfig": 431,
        "fsmount": 432,
        "pidfd_send_signal": 424,
        "close_range": 436,
        "openat2": 437,
        "mount_setattr": 442,
        "keyctl": 250,
        "bpf": 321,
    },
    "aarch64": {
        "pivot_root": 41,
        "capget": 90,
        "capset": 91,
        "seccomp": 277,
        "open_tree": 428,
        "move_mount": 429,
        "fsopen": 430,
        "fsconfig": 431,
        "fsmount": 432,
        "pidfd_send_signal": 424,
        "close_range": 436,
        "openat2": 437,
        "mount_setattr": 442,
        "keyctl": 219,
        "bpf": 280,
    },
}

MACHINE = os.uname().machine
try:
    NR = _TABLES[MACHINE]
except KeyError:  # pragma: no cover - other architectures are not supported yet
    raise ImportError(f"hutch: unsupported architecture {MACHINE}") from None
