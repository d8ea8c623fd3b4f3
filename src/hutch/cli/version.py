"""`--version`: runc's lines, which docker and containerd parse.

    <prog> version 0.1.0
    commit: <git commit of the source tree, or "unknown">
    spec: 1.3.0
    python: 3.11.7
    libseccomp: 2.5.4

docker splits the first line on "version" and reads the "commit:" line; containerd
reads the first line and "spec:". runc prints "go:" where hutch names its
interpreter. The commit is read from the git metadata of the tree hutch runs from
(an editable install); anything else says "unknown".
"""

from __future__ import annotations

import os
import sys


def lines(prog: str) -> list[str]:
    from hutch._version import OCI_VERSION, __version__

    out = [f"{prog} version {__version__}", f"commit: {commit()}", f"spec: {OCI_VERSION}",
           f"python: {sys.version.split()[0]}"]
    seccomp = libseccomp_version()
    if seccomp:
        out.append(f"libseccomp: {seccomp}")
    return out


def libseccomp_version() -> str:
    try:
        from hutch._sys import libseccomp

        return ".".join(str(n) for n in libseccomp.version())
    except (OSError, AttributeError):  # no libseccomp.so.2, or one without seccomp_version
        return ""


def commit(start: str | None = None) -> str:
    """The commit checked out in the git tree that holds ``start`` (default: hutch's
    sources), read from .git's files (no git process); "unknown" outside one."""
    here = start if start is not None else os.path.dirname(os.path.abspath(__file__))
    gitdir = _find_gitdir(here)
    if gitdir is None:
        return "unknown"
    try:
        return _resolve(gitdir) or "unknown"
    except OSError:
        return "unknown"


def _find_gitdir(path: str) -> str | None:
    while True:
        dotgit = os.path.join(path, ".git")
        if os.path.isdir(dotgit):
            return dotgit
        if os.path.isfile(dotgit):  # a worktree or submodule: "gitdir: PATH"
            try:
                with open(dotgit) as f:
                    text = f.read().strip()
            except OSError:
                return None
            if text.startswith("gitdir:"):
                return os.path.join(path, text.removeprefix("gitdir:").strip())
            return None
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _resolve(gitdir: str) -> str:
    with open(os.path.join(gitdir, "HEAD")) as f:
        head = f.read().strip()
    if not head.startswith("ref:"):
        return head if _is_sha(head) else ""
    ref = head.removeprefix("ref:").strip()
    common = gitdir
    try:
        with open(os.path.join(gitdir, "commondir")) as f:
            common = os.path.join(gitdir, f.read().strip())
    except FileNotFoundError:
        pass
    for base in (gitdir, common):
        try:
            with open(os.path.join(base, ref)) as f:
                sha = f.read().strip()
            if _is_sha(sha):
                return sha
        except (FileNotFoundError, NotADirectoryError):
            continue
    try:
        with open(os.path.join(common, "packed-refs")) as f:
            for line in f:
                sha, _, name = line.strip().partition(" ")
                if name == ref and _is_sha(sha):
                    return sha
    except FileNotFoundError:
        pass
    return ""


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)
