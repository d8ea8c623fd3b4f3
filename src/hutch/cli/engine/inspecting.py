"""What every `inspect` verb shares (containers, images, either, volumes): one document per
reference as docker prints them, a JSON list, and one error line per reference not found."""

from __future__ import annotations

import sys

from hutch.errors import HutchError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any


def print_documents(refs: Iterable[str], document: Callable[[str], Any],
                    missing: Callable[[str, HutchError], str]) -> int:
    """Print ``document(ref)`` of each ref as one JSON list (docker's indent); for a ref that
    raises HutchError, the line ``missing(ref, err)`` on stderr. 0, or 1 if one was missing."""
    import json

    docs, code = [], 0
    for ref in refs:
        try:
            docs.append(document(ref))
        except HutchError as err:
            sys.stderr.write(missing(ref, err) + "\n")
            code = 1
    sys.stdout.write(json.dumps(docs, indent=4) + "\n")
    return code
