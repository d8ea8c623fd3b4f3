"""libnftables (Debian's libnftables1, what `nft` is built on) through ctypes: run a batch of
nftables commands, in JSON, as one transaction, in this process.

`nft -j -f -` would do the same in a process of its own (~4 ms, and subprocess's import);
Debian's python3-nftables is this same binding, outside the venv. The library is opened on
first use; its output and errors are buffered and returned, never printed.
"""

from __future__ import annotations

import ctypes

NFT_CTX_DEFAULT = 0
NFT_CTX_OUTPUT_JSON = 1 << 4
NFT_CTX_OUTPUT_HANDLE = 1 << 3

_loaded: list[ctypes.CDLL] = []


def lib() -> ctypes.CDLL:
    """libnftables.so.1, loaded and declared once; OSError if this host lacks it."""
    if not _loaded:
        so = ctypes.CDLL("libnftables.so.1", use_errno=True)
        so.nft_ctx_new.restype = ctypes.c_void_p
        so.nft_ctx_new.argtypes = [ctypes.c_uint32]
        so.nft_ctx_free.argtypes = [ctypes.c_void_p]
        so.nft_ctx_output_set_flags.argtypes = [ctypes.c_void_p, ctypes.c_uint]
        so.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
        so.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
        so.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
        so.nft_ctx_get_output_buffer.argtypes = [ctypes.c_void_p]
        so.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
        so.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
        so.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        so.nft_run_cmd_from_buffer.restype = ctypes.c_int
        _loaded.append(so)
    return _loaded[0]


def run(commands: str, json_output: bool = True) -> tuple[int, str, str]:
    """Run ``commands`` (nft's syntax, or a JSON document ``{"nftables": [...]}``) as one
    transaction: (status, output, errors); status 0 is success, and then nothing was
    changed unless all of it was."""
    so = lib()
    ctx = so.nft_ctx_new(NFT_CTX_DEFAULT)
    if not ctx:
        raise OSError("libnftables: cannot make a context")
    try:
        so.nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE if json_output else 0)
        so.nft_ctx_buffer_output(ctx)
        so.nft_ctx_buffer_error(ctx)
        rc = so.nft_run_cmd_from_buffer(ctx, commands.encode())
        out = (so.nft_ctx_get_output_buffer(ctx) or b"").decode(errors="replace")
        err = (so.nft_ctx_get_error_buffer(ctx) or b"").decode(errors="replace")
        return int(rc), out, err
    finally:
        so.nft_ctx_free(ctx)
