"""bpf(2) for cgroup device programs: load, attach, query, detach (no other use of bpf)."""

from __future__ import annotations

import ctypes
import errno

from hutch._sys import libc
from hutch._sys.nr import NR

# enum bpf_cmd, bpf_prog_type, bpf_attach_type (include/uapi/linux/bpf.h)
BPF_PROG_LOAD = 5
BPF_PROG_ATTACH = 8
BPF_PROG_DETACH = 9
BPF_PROG_GET_FD_BY_ID = 13
BPF_PROG_QUERY = 16
BPF_PROG_TYPE_CGROUP_DEVICE = 15
BPF_CGROUP_DEVICE = 6
BPF_F_ALLOW_MULTI = 2

_LOAD_RETRIES = 30  # the verifier returns EAGAIN when a signal interrupts it
_LOG_SIZE = 1 << 16
_u32, _u64 = ctypes.c_uint32, ctypes.c_uint64


class _ProgLoad(ctypes.Structure):
    _fields_ = [
        ("prog_type", _u32), ("insn_cnt", _u32), ("insns", _u64), ("license", _u64),
        ("log_level", _u32), ("log_size", _u32), ("log_buf", _u64),
    ]


class _Attach(ctypes.Structure):
    _fields_ = [
        ("target_fd", _u32), ("attach_bpf_fd", _u32), ("attach_type", _u32),
        ("attach_flags", _u32), ("replace_bpf_fd", _u32),
    ]


class _Query(ctypes.Structure):
    # Complete up to ``revision``: Linux 6.17 until its fix writes that field whatever
    # size the caller passes.
    _fields_ = [
        ("target_fd", _u32), ("attach_type", _u32), ("query_flags", _u32), ("attach_flags", _u32),
        ("prog_ids", _u64), ("prog_cnt", _u32), ("_pad", _u32), ("prog_attach_flags", _u64),
        ("link_ids", _u64), ("link_attach_flags", _u64), ("revision", _u64),
    ]


class _GetFd(ctypes.Structure):
    _fields_ = [("prog_id", _u32), ("next_id", _u32), ("open_flags", _u32)]


def _bpf(cmd: int, attr: ctypes.Structure, what: str) -> int:
    return libc.raw_syscall(
        NR["bpf"], ctypes.c_int(cmd), ctypes.byref(attr), ctypes.c_uint(ctypes.sizeof(attr)), path=what
    )


def load_cgroup_device_prog(insns: bytes, license: str = "Apache-2.0") -> int:
    """Load a BPF_PROG_TYPE_CGROUP_DEVICE program; its fd (CLOEXEC, as bpf(2) makes it).

    On a refusal, the error carries the verifier's last lines."""
    code = ctypes.create_string_buffer(insns, len(insns))
    lic = ctypes.create_string_buffer(license.encode())
    attr = _ProgLoad(
        BPF_PROG_TYPE_CGROUP_DEVICE, len(insns) // 8, ctypes.addressof(code), ctypes.addressof(lic)
    )
    for _ in range(_LOAD_RETRIES):
        try:
            return _bpf(BPF_PROG_LOAD, attr, "BPF_PROG_LOAD")
        except OSError as err:
            if err.errno != errno.EAGAIN:
                first = err
                break
    else:
        raise OSError(errno.EAGAIN, "BPF_PROG_LOAD kept being interrupted", "BPF_PROG_LOAD")
    log = ctypes.create_string_buffer(_LOG_SIZE)
    attr.log_level, attr.log_size, attr.log_buf = 1, _LOG_SIZE, ctypes.addressof(log)
    try:
        return _bpf(BPF_PROG_LOAD, attr, "BPF_PROG_LOAD")  # it loaded this time: fine
    except OSError:
        pass
    text = log.value.decode(errors="replace").strip().splitlines()
    detail = f" (verifier: {' / '.join(text[-3:])})" if text else ""
    raise OSError(first.errno, f"{first.strerror}{detail}", "BPF_PROG_LOAD") from first


def attach_cgroup_device(cgroup_fd: int, prog_fd: int, flags: int = BPF_F_ALLOW_MULTI) -> None:
    _bpf(BPF_PROG_ATTACH, _Attach(cgroup_fd, prog_fd, BPF_CGROUP_DEVICE, flags, 0), "BPF_PROG_ATTACH")


def detach_cgroup_device(cgroup_fd: int, prog_fd: int) -> None:
    _bpf(BPF_PROG_DETACH, _Attach(cgroup_fd, prog_fd, BPF_CGROUP_DEVICE, 0, 0), "BPF_PROG_DETACH")


def query_cgroup_device(cgroup_fd: int) -> list[int]:
    """Ids of the device programs attached to the cgroup itself (not inherited ones)."""
    size = 64
    while True:
        ids = (_u32 * size)()
        attr = _Query(target_fd=cgroup_fd, attach_type=BPF_CGROUP_DEVICE, prog_ids=ctypes.addressof(ids),
                      prog_cnt=size)
        try:
            _bpf(BPF_PROG_QUERY, attr, "BPF_PROG_QUERY")
        except OSError as err:
            if err.errno == errno.ENOSPC and attr.prog_cnt > size:
                size = attr.prog_cnt
                continue
            raise
        return list(ids[: attr.prog_cnt])


def prog_fd_by_id(prog_id: int) -> int:
    return _bpf(BPF_PROG_GET_FD_BY_ID, _GetFd(prog_id, 0, 0), "BPF_PROG_GET_FD_BY_ID")
