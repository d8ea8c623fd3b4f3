"""The build context: what .dockerignore leaves of it, and what a COPY or ADD names in it.

Docker (with BuildKit) sends the builder the context directory less what .dockerignore
excludes; a COPY or ADD then names files in it, or in another stage's root file system
(``COPY --from``), by paths and wildcards. This module answers those two questions, with
docker's rules; ``hutch.build.copylayer`` writes the layer the COPY makes.

.dockerignore (moby/patternmatcher and its ``ignorefile`` reader, as the docker CLI uses them)

- A line starting with ``#`` is a comment (``" # x"`` is a pattern); lines are trimmed, empty
  ones skipped. ``!`` makes an exception. A pattern is cleaned (Go's ``filepath.Clean``) and a
  leading ``/`` dropped: ``/a/./b/`` is ``a/b``.
- Syntax: Go's ``filepath.Match``, ``*`` any run of characters but ``/``, ``?`` one of them,
  ``[a-z]`` / ``[^a-z]`` a class, ``\\`` an escape; plus ``**``, any number of directories
  (``**/x``, ``a/**``, ``a/**/b``). A malformed pattern (``[``, ``a\\``) or a lone ``!`` is an
  error, in BuildKit's words (``invalid excludepatterns: [...]: ...``).
- Patterns compile as patternmatcher compiles them, to one of four kinds: the path itself
  (``exact``), a prefix (``a/**``, and ``abc**``), a suffix (``**/x``; ``**x`` is any path
  ending in ``x``) or a regular expression.
- A path is excluded by the last pattern that matches it or one of its parent directories:
  the match is made from the top down, each pattern remembering whether it matched the parent
  (patternmatcher's ``MatchesUsingParentResults``, what BuildKit's file walk calls). So
  ``docs`` with ``!docs/README.md`` keeps docs/README.md (and docs/, its parent) and drops the
  rest. An excluded directory is read only if an exception could match in it (fsutil's rule).

Sources (BuildKit's dockerfile2llb and fsutil's copy)

- A source is cleaned as a path joined to ``/``: ``..`` stops at the root, so ``../x`` is
  ``x`` (BuildKit's ``NormalizePath``; the classic builder refused it, "Forbidden path
  outside the build context").
- A component with a wildcard (``*``, ``?`` or ``[``, unless escaped by ``\\``) splits the
  path: the components before it are looked up, the rest is matched, with Go's
  ``filepath.Match``, against the paths of a walk of that directory (names in byte order, a
  matched directory not entered). A wildcard that matches nothing names nothing (BuildKit's
  ``AllowEmptyWildcard``: ``COPY requirements.* .`` with no such file copies nothing; the
  classic builder failed). A literal path that is missing or excluded is an error, in the
  classic builder's words: ``COPY failed: file not found in build context or excluded by
  .dockerignore: stat x: file does not exist``.
- Paths are resolved as if the root were ``/`` (BuildKit's ``fs.RootPath``): an absolute
  symbolic link starts again at the root, ``..`` stops there; each component is looked at and
  opened ``O_NOFOLLOW`` relative to its parent's descriptor. A link to ``/etc/passwd`` names the
  context's own ``etc/passwd``: a context cannot make COPY read the host's files. An excluded
  path is not there at all, as it is not in docker's context.
"""

from __future__ import annotations

import os
import re
import stat

from hutch.errors import InvalidArgument
from hutch.util.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from types import TracebackType

#: patternmatcher's kinds of compiled pattern.
EXACT, PREFIX, SUFFIX, REGEXP = "exact", "prefix", "suffix", "regexp"

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_LINKS = 40  # the kernel's limit on symbolic links in one lookup (ELOOP)
_PATTERN_CHARS = "*[]?^\\"  # fsutil: an exception with these may match anywhere


def clean(path: str) -> str:
    """Go's ``path.Clean``: normpath, but a leading ``//`` (kept by POSIX) is ``/``."""
    s = os.path.normpath(path)
    return s[1:] if s.startswith("//") else s


def has_wildcards(component: str) -> bool:
    """Whether a path component holds ``*``, ``?`` or ``[`` not escaped by ``\\``
    (BuildKit's ``containsWildcards``)."""
    bare = re.sub(r"\\.", "", component, flags=re.DOTALL)
    return any(c in bare for c in "*?[")


class BadPattern(ValueError):
    """Go's ``filepath.ErrBadPattern``."""

    def __init__(self) -> None:
        super().__init__("syntax error in pattern")


def _class_char(p: str, i: int) -> tuple[str, int]:
    # Go's getEsc: one character of a class, maybe escaped; more of the pattern must follow.
    if i >= len(p) or p[i] in "-]":
        raise BadPattern
    i += p[i] == "\\"
    if i + 1 >= len(p):
        raise BadPattern
    return p[i], i + 1


def _class(p: str, i: int) -> tuple[str, int]:
    """The ``[...]`` starting after the ``[`` at ``p[i-1]`` as a regular expression, and where
    the pattern goes on. A range whose ends are reversed matches nothing, as in Go."""
    negated = i < len(p) and p[i] == "^"
    i += negated
    parts: list[str] = []
    count = 0
    while not (i < len(p) and p[i] == "]" and count):
        lo, i = _class_char(p, i)
        hi = lo
        if p[i] == "-":
            hi, i = _class_char(p, i + 1)
        if lo <= hi:
            parts.append(re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}")
        count += 1
    if not parts:
        return (r"[\s\S]" if negated else "(?!)"), i + 1
    return f"[{'^' if negated else ''}{''.join(parts)}]", i + 1


def _translate(p: str, doublestar: bool) -> tuple[str, str]:
    """A pattern's kind and regular expression (for ``re.fullmatch``): patternmatcher's
    ``compile`` with ``doublestar``, else Go's ``filepath.Match``. Classes are Go's filepath
    classes (patternmatcher hands them to Go's regexp as written). BadPattern if malformed."""
    kind = EXACT
    out: list[str] = []
    i = step = 0
    while i < len(p):
        c = p[i]
        i += 1
        if doublestar and c == "*" and p[i:i + 1] == "*":
            i += 1 + (p[i + 1:i + 2] == "/")
            if i < len(p):
                out.append("(.*/)?")
                kind = REGEXP
            elif kind == EXACT:
                kind = PREFIX
            else:
                out.append(".*")
                kind = REGEXP
            if step == 0:
                kind = SUFFIX
        elif c in "*?[]\\":
            kind = REGEXP
            if c == "*":
                out.append("[^/]*")
            elif c == "?":
                out.append("[^/]")
            elif c == "[":
                cls, i = _class(p, i)
                out.append(cls)
            elif c == "]":
                out.append(r"\]")
            elif i < len(p):
                out.append(re.escape(p[i]))
                i += 1
            else:
                raise BadPattern  # a trailing "\\"
        else:
            out.append(re.escape(c))
        step += 1
    return kind, "".join(out)


def glob_regex(pattern: str) -> str:
    """Go's ``filepath.Match`` pattern as a regular expression for ``re.fullmatch``;
    BadPattern if it is malformed (the whole pattern is checked, as Go 1.16+ does)."""
    return _translate(pattern, False)[1]


class Pattern(Value):
    """One .dockerignore line, cleaned and compiled."""

    __slots__ = ("exception", "kind", "regex", "text")

    def __init__(self, text: str, exception: bool = False) -> None:
        glob_regex(text)  # New() checks the syntax with filepath.Match
        self.text, self.exception = text, exception
        self.kind, rx = _translate(text, True)
        self.regex = re.compile(rx, re.DOTALL) if self.kind == REGEXP else None

    def match(self, path: str) -> bool:
        """Whether the pattern matches ``path`` itself (not its parents)."""
        if self.kind == EXACT:
            return path == self.text
        if self.kind == PREFIX:
            return path.startswith(self.text[:-2])
        if self.kind == SUFFIX:
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
        assert self.regex is not None
        return self.regex.fullmatch(path) is not None

    def stem(self) -> str:
        """The pattern less a trailing ``/**`` or ``/*`` (fsutil's patternWithoutTrailingGlob)."""
        return self.text.removesuffix("/**").removesuffix("/*")


class Ignore(Value):
    """The patterns of a .dockerignore file; ``Ignore()`` excludes nothing."""

    __slots__ = ("patterns",)

    def __init__(self, patterns: tuple[Pattern, ...] = ()) -> None:
        self.patterns = patterns

    @classmethod
    def parse(cls, text: str) -> Ignore:
        """The patterns of a .dockerignore file's text (InvalidArgument if one is malformed)."""
        lines = text.removeprefix("\ufeff").split("\n")
        raw: list[str] = []
        for line in lines:
            if line.startswith("#"):
                continue
            p = line.strip()  # Go's TrimSpace takes the "\r" of a CRLF line too
            if not p:
                continue
            invert = p.startswith("!")
            if invert:
                p = p[1:].strip()
            if p:
                p = clean(p)
                if len(p) > 1 and p.startswith("/"):
                    p = p[1:]
            raw.append("!" + p if invert else p)
        patterns: list[Pattern] = []
        for p in raw:
            try:
                if p == "!":
                    raise ValueError('illegal exclusion pattern: "!"')
                patterns.append(Pattern(p[1:], True) if p.startswith("!") else Pattern(p))
            except ValueError as err:
                raise InvalidArgument(f"invalid excludepatterns: [{' '.join(raw)}]: {err}") from None
        return cls(tuple(patterns))

    def step(self, path: str, parent: tuple[bool, ...] | None) -> tuple[bool, tuple[bool, ...]]:
        """Whether ``path`` is excluded, given what each pattern said of its parent directory
        (``None`` for a path at the top); and what each says of ``path``, for its children."""
        matched = False
        info: list[bool] = []
        for i, p in enumerate(self.patterns):
            hit = parent[i] if parent else False
            if not hit and p.exception == matched:
                hit = p.match(path)
            info.append(hit)
            if hit:
                matched = not p.exception
        return matched, tuple(info)

    def info(self, rel: str) -> tuple[bool, tuple[bool, ...]]:
        """``step`` for ``rel`` (relative to the context, "a/b/c"), from the top down."""
        matched, info = False, None
        parts = rel.split("/")
        for i in range(len(parts)):
            matched, info = self.step("/".join(parts[:i + 1]), info)
        return matched, info or ()

    def excluded(self, rel: str) -> bool:
        """Whether ``rel`` (relative to the context) is left out; the context's root never is."""
        rel = clean(rel).lstrip("/")
        return rel not in ("", ".") and self.info(rel)[0]

    def may_hold_exceptions(self, rel_dir: str) -> bool:
        """Whether an exception could match below the excluded directory ``rel_dir``, so that
        it must still be read."""
        stems = [p.stem() for p in self.patterns if p.exception]
        if any(c in s for s in stems for c in _PATTERN_CHARS):
            return True
        prefix = clean(rel_dir).lstrip("/") + "/"
        return any((s + "/").startswith(prefix) for s in stems)


def load_ignore(context_dir: str) -> Ignore:
    """The context's .dockerignore, or an empty Ignore when it has none."""
    try:
        with open(os.path.join(context_dir, ".dockerignore"), "rb") as f:
            data = f.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return Ignore()
    return Ignore.parse(data.decode("utf-8", "surrogateescape"))


def not_found(instruction: str, rel: str, ignore: Ignore | None) -> InvalidArgument:
    """The classic builder's words for a source that is not there (``ignore`` None: a stage's
    root, not the context)."""
    where = "" if ignore is None else "file not found in build context or excluded by .dockerignore: "
    return InvalidArgument(f"{instruction} failed: {where}stat {rel}: file does not exist")


class Entry(Value):
    """A file in a Tree: ``rel``, its path below the walk's top ("" for the top); ``path``, in
    the root, links resolved; its lstat; ``dir_fd`` (its directory, open while the entry is in
    use) and ``name`` to open it with; ``link``, a symbolic link's target."""

    __slots__ = ("dir_fd", "link", "name", "path", "rel", "st")

    def __init__(self, rel: str, path: str, st: os.stat_result, dir_fd: int, name: str,
                 link: str = "") -> None:
        self.rel, self.path, self.st, self.dir_fd, self.name, self.link = rel, path, st, dir_fd, name, link


class Tree:
    """A directory taken as the root (``/``) of every lookup and walk, less what ``ignore``
    excludes (None: nothing is, as for a stage's root). Shared with ``copylayer``; close it
    (or use it in ``with``)."""

    __slots__ = ("_fds", "_kept", "fd", "ignore")

    def __init__(self, root: str, ignore: Ignore | None = None) -> None:
        try:
            self.fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise InvalidArgument(f'unable to prepare context: path "{root}" not found') from None
        self.ignore = ignore
        self._fds: list[int] = []  # parents of the entries lookup returned
        self._kept: dict[str, bool] = {}  # excluded directory -> holds an exception

    def close(self) -> None:
        for fd in (*self._fds, self.fd):
            os.close(fd)
        self._fds.clear()

    def __enter__(self) -> Tree:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def lookup(self, rel: str) -> Entry | None:
        """``rel`` resolved inside the root, symbolic links followed (the last one too); None
        if it is missing, excluded or a loop."""
        todo = [c for c in reversed(rel.split("/")) if c not in ("", ".")]
        fds: list[int] = []  # descriptors of the directories in names
        names: list[str] = []
        links = 0
        try:
            while todo:
                c = todo.pop()
                if c == "..":
                    if names:
                        names.pop()
                        os.close(fds.pop())
                    continue
                parent = fds[-1] if fds else self.fd
                try:
                    st = os.stat(c, dir_fd=parent, follow_symlinks=False)
                except (FileNotFoundError, NotADirectoryError):
                    return None
                path = "/".join((*names, c))
                if self._hidden(Entry("", path, st, parent, c)):
                    return None
                if stat.S_ISLNK(st.st_mode):
                    links += 1
                    if links > _MAX_LINKS:
                        return None
                    target = os.readlink(c, dir_fd=parent)
                    if target.startswith("/"):
                        while fds:
                            os.close(fds.pop())
                        names.clear()
                    todo.extend(t for t in reversed(target.split("/")) if t not in ("", "."))
                    continue
                if not todo:
                    return self._found(fds, Entry("", path, st, parent, c))
                if not stat.S_ISDIR(st.st_mode):
                    return None
                fds.append(os.open(c, _DIR, dir_fd=parent))
                names.append(c)
            if not names:
                return Entry("", "", os.fstat(self.fd), self.fd, ".")
            os.close(fds.pop())
            parent = fds[-1] if fds else self.fd
            st = os.stat(names[-1], dir_fd=parent, follow_symlinks=False)
            return self._found(fds, Entry("", "/".join(names), st, parent, names[-1]))
        finally:
            for fd in fds:
                os.close(fd)

    def _found(self, fds: list[int], entry: Entry) -> Entry:
        # The entry's directory stays open until close(): take it out of the lookup's list.
        if fds and fds[-1] == entry.dir_fd:
            self._fds.append(fds.pop())
        return entry

    def _hidden(self, entry: Entry) -> bool:
        """Whether ``entry`` is not in the context: excluded, and not a directory holding a
        file that an exception keeps."""
        ig = self.ignore
        if ig is None or not ig.excluded(entry.path):
            return False
        if not (stat.S_ISDIR(entry.st.st_mode) and ig.may_hold_exceptions(entry.path)):
            return True
        kept = self._kept.get(entry.path)
        if kept is None:
            walk = self.walk(entry)
            try:
                kept = self._kept[entry.path] = next(walk, None) is not None
            finally:
                walk.close()
        return not kept

    def walk(self, top: Entry, descend: Callable[[Entry], bool] | None = None
             ) -> Generator[Entry, None, None]:
        """What the directory ``top`` holds, top-down, names in byte order, symbolic links not
        followed, excluded paths left out. An excluded directory comes just before the first
        file kept inside it. ``descend(entry)`` False: a directory is not entered."""
        fd = os.open(top.name, _DIR, dir_fd=top.dir_fd)
        info = self.ignore.info(top.path)[1] if self.ignore is not None and top.path else None
        try:
            yield from self._walk(fd, top.path, "", info, [], descend)
        finally:
            os.close(fd)

    def _walk(self, fd: int, path: str, rel: str, info: tuple[bool, ...] | None, pending: list[Entry],
              descend: Callable[[Entry], bool] | None) -> Generator[Entry, None, None]:
        with os.scandir(fd) as it:
            names = sorted((e.name for e in it), key=os.fsencode)
        for name in names:
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed since the directory was read
            cpath, crel = f"{path}/{name}" if path else name, f"{rel}/{name}" if rel else name
            is_dir = stat.S_ISDIR(st.st_mode)
            excluded, sub = False, None
            if self.ignore is not None:
                excluded, sub = self.ignore.step(cpath, info)
                if excluded and not (is_dir and self.ignore.may_hold_exceptions(cpath)):
                    continue
            link = os.readlink(name, dir_fd=fd) if stat.S_ISLNK(st.st_mode) else ""
            entry = Entry(crel, cpath, st, fd, name, link)
            if not excluded:
                yield from pending
                pending.clear()
                yield entry
            if not is_dir or not (excluded or descend is None or descend(entry)):
                continue
            if excluded:
                pending.append(entry)
            subfd = os.open(name, _DIR, dir_fd=fd)
            try:
                yield from self._walk(subfd, cpath, crel, sub, pending, descend)
            finally:
                os.close(subfd)
            if pending and pending[-1] is entry:
                pending.pop()

    def glob(self, top: Entry, pattern: str) -> list[str]:
        """The paths (in the root) below the directory ``top`` that ``pattern`` (Go's
        filepath.Match, against the path below ``top``) matches, in walk order; a matched
        directory is not entered. A malformed pattern matches nothing, as in fsutil."""
        try:
            rx = re.compile(glob_regex(pattern), re.DOTALL)
        except BadPattern:
            return []
        # Only a negated class can match a "/": else no match lies deeper than the pattern.
        depth = None if "[^" in pattern else pattern.count("/") + 1
        out: list[str] = []
        skip = None
        for e in self.walk(top, lambda e: (depth is None or e.rel.count("/") + 1 < depth)
                           and rx.fullmatch(e.rel) is None):
            if skip is not None and e.rel.startswith(skip):
                continue
            if rx.fullmatch(e.rel):
                out.append(e.path)
                if stat.S_ISDIR(e.st.st_mode):
                    skip = e.rel + "/"
        return out


def sources(root: str, patterns: list[str], ignore: Ignore | None, *, instruction: str = "COPY") -> list[str]:
    """The sources one COPY (or ADD) names, as paths relative to ``root`` (the context or a
    stage's root; "." is the root itself): literal paths as written (cleaned), wildcards
    expanded. InvalidArgument for a literal path that is missing or excluded."""
    out: list[str] = []
    with Tree(root, ignore) as tree:
        for pattern in patterns:
            rel = clean("/" + pattern).lstrip("/")
            parts = rel.split("/") if rel else []
            cut = next((i for i, c in enumerate(parts) if has_wildcards(c)), None)
            if cut is None:
                if tree.lookup(rel) is None:
                    raise not_found(instruction, rel or ".", ignore)
                out.append(rel or ".")
                continue
            base = "/".join(parts[:cut])
            top = tree.lookup(base)
            if top is None:
                raise not_found(instruction, base or ".", ignore)
            if stat.S_ISDIR(top.st.st_mode):
                out.extend(tree.glob(top, "/".join(parts[cut:])))
    return out
