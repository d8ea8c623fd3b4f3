"""`hutch pull`, `push`, `login`, `logout`, and the flags of `images` (merged into
hutch.cli.engine's parser and COMMANDS table; `image pull|push|ls` share them)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def images_flags(p: argparse.ArgumentParser) -> None:
    """`images` and `image ls`."""
    p.add_argument("-q", "--quiet", action="store_true", help="only the image ids")
    p.add_argument("--digests", action="store_true", help="show the digests")
    p.add_argument("--no-trunc", action="store_true", help="do not shorten the image ids")
    p.add_argument("repository", nargs="?", default="", help="only the images of REPOSITORY[:TAG]")
