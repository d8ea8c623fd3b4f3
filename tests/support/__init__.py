"""Helpers shared by hutch's tests (and its benchmarks): bundles, ids, leak checks."""

from __future__ import annotations

import secrets


def unique_id(prefix: str = "hutch-test") -> str:
    """A container id no other test (or run) uses: ``hutch-test-<8 hex>``."""
    return f"{prefix}-{secrets.token_hex(4)}"
