"""The Dockerfile's syntax: lines to instructions, instructions to stages, as buildkit reads them.

`parse` makes buildkit's two passes, its parser's (``frontend/dockerfile/parser/parser.go``)
and its instructions' (``instructions/parse.go``), so that an error is the one docker reports.

Pass 1, the lines:

- Parser directives (``# syntax=``, ``# escape=``, ``# check=`` read and ignored) are comments
  ``# key=value``, keys in any case, each once, only at the very top: the first line that is not
  one (a blank line, another comment) ends them. The escape is ``\\`` (the default) or a backtick.
- Comments (``#`` first on a line, after blanks) and blank lines are skipped; ``#`` is text elsewhere.
- The escape character at the end of a line, optionally followed by spaces or tabs, continues
  the instruction on the next line: the escape is removed and the lines are joined as they are
  (the next line's leading whitespace kept). Comment lines and blank lines inside a
  continuation are dropped. An escaped escape (``\\\\``) at the end does not continue.
- The first word is the keyword (any case); the words after it that start with ``--`` are the
  instruction's flags (quotes and escapes in them processed; ``--`` alone ends them); the rest
  is the instruction's text.
- RUN, CMD, ENTRYPOINT, SHELL, COPY, ADD, VOLUME and HEALTHCHECK's command have an exec form:
  text that is a JSON array of strings (``CMD ["a", "b"]``); anything else, like ``CMD [a]``,
  is the shell form. A JSON array of other values is an error.
- RUN, COPY and ADD in their shell form (also as an ONBUILD trigger) may name heredocs:
  ``<<EOF``, ``<<-EOF`` (leading tabs go from the body's lines: `Heredoc.content`), ``<<"EOF"``
  or ``<<'EOF'`` (a quote anywhere in the marker: the body is not expanded). A marker's body is
  the lines after the instruction up to one that is the marker's name (after its leading tabs
  for ``<<-``); several markers take their bodies in turn. The instruction's text keeps them.

Pass 2, the instructions, with buildkit's checks and words (``unknown instruction: FRM (did you
mean FROM?)``, ``unknown flag: --form (did you mean from?)``, ``FROM requires either one or three
arguments``): the keyword known, the flags the instruction's own (ARG's and STOPSIGNAL's ignored,
as by buildkit; their values are the builder's to check). ``FROM [--platform=p] image [AS name]``
begins a stage; ARGs before the first FROM are meta args; anything else there is an error.

Errors raise `InvalidArgument` as ``dockerfile parse error on line N: <buildkit's message>``, N
from 1. Variables are not expanded here (see `words`): a stage's base image is kept as written.
"""

from __future__ import annotations

import json
import re

from hutch.build import words
from hutch.errors import InvalidArgument
from hutch.util.value import Value

KNOWN = ("FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
         "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL")
EXEC_FORM = ("RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME")
HEREDOC_FORM = ("RUN", "COPY", "ADD")
# Each instruction's flags: "str" needs a value, "bool" takes none or true/false, "list" repeats.
FLAGS: dict[str, dict[str, str]] = {
    "FROM": {"platform": "str"},
    "COPY": {"from": "str", "chown": "str", "chmod": "str", "link": "bool", "parents": "bool",
             "exclude": "list"},
    "ADD": {"chown": "str", "chmod": "str", "link": "bool", "keep-git-dir": "bool", "checksum": "str",
            "unpack": "bool", "exclude": "list"},
    "RUN": {"mount": "list", "network": "str", "security": "str", "device": "list"},
    "HEALTHCHECK": {"interval": "str", "timeout": "str", "start-period": "str", "start-interval": "str",
                    "retries": "str"},
}

_WHITESPACE_RUN = re.compile(r"[\t\v\f\r ]+")
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z")
_HEREDOC = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)")
_STAGE_NAME = re.compile(r"[a-z][a-z0-9_.-]*")
_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)


class Heredoc(Value):
    """A here-document: ``<<name`` in the instruction, its body from the following lines."""

    __slots__ = ("body", "chomp", "expand", "name")

    def __init__(self, name: str, body: str, expand: bool, chomp: bool) -> None:
        self.name = name
        self.body = body  # the lines as written, each with its newline; tabs not stripped
        self.expand = expand  # False when the marker had a quote: <<"EOF", <<'EOF'
        self.chomp = chomp  # <<-EOF

    def content(self) -> str:
        """The body with leading tabs stripped from each line when ``chomp``."""
        return _LEADING_TABS.sub("", self.body) if self.chomp else self.body


class Instruction(Value):
    """One instruction, continuation lines joined."""

    __slots__ = ("args", "cmd", "end_line", "flag_list", "flags", "heredocs", "json", "line", "original",
                 "rest")

    def __init__(self, cmd: str, rest: str, line: int, original: str, *, flags: dict[str, str] | None = None,
                 flag_list: list[tuple[str, str]] | None = None, args: list[str] | None = None,
                 json: list[str] | None = None, heredocs: list[Heredoc] | None = None,
                 end_line: int = 0) -> None:
        self.cmd = cmd  # the keyword, upper-case
        self.flags = flags or {}  # --from=x -> {"from": "x"}, --link -> {"link": ""}; the last if repeated
        self.flag_list = flag_list or []  # every flag in order (--mount and --exclude repeat)
        self.rest = rest  # the text after the keyword and its flags
        # buildkit's arguments (unexpanded): the exec form's array; FROM EXPOSE COPY ADD VOLUME:
        # the words at whitespace; HEALTHCHECK: its type, then its command; ENV LABEL ARG: the
        # words with their quotes; others: [rest]
        self.args = args or []
        self.json = json  # the exec form's array, None for the shell form
        self.heredocs = heredocs or []
        self.line = line  # the first line, from 1
        self.end_line = end_line or line  # the last line read, heredoc bodies included
        self.original = original  # as docker shows it in a step: "RUN echo a &&     echo b"


class Stage(Value):
    """A FROM and the instructions after it."""

    __slots__ = ("base", "from_", "instructions", "name", "platform")

    def __init__(self, from_: Instruction, base: str, name: str = "", platform: str = "",
                 instructions: list[Instruction] | None = None) -> None:
        self.from_ = from_
        self.base = base  # the image (or stage) named, unexpanded
        self.name = name  # lower-cased AS name, "" when none
        self.platform = platform  # --platform, unexpanded
        self.instructions = instructions or []


class Dockerfile(Value):
    __slots__ = ("escape", "meta_args", "stages", "syntax")

    def __init__(self, escape: str, syntax: str, meta_args: list[Instruction], stages: list[Stage]) -> None:
        self.escape = escape  # "\\" or "`"
        self.syntax = syntax  # the "# syntax=" directive, "" when none
        self.meta_args = meta_args  # ARGs before the first FROM
        self.stages = stages


def _error(line: int, msg: str) -> InvalidArgument:
    return InvalidArgument(f"dockerfile parse error on line {line}: {msg}")


def _continuation(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(rf"([^{e}]){e}[ \t]*\Z|^{e}[ \t]*\Z")


def _exec_json(rest: str) -> list[str] | None:
    """``rest`` as a JSON array of strings, None if it is no JSON array (buildkit's parseJSON)."""
    text = rest.lstrip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text, parse_constant=_not_json)
    except ValueError:
        return None
    except RecursionError:  # nested too deep for Python's parser, not for Go's: no strings
        value = [None]
    if not all(isinstance(v, str) for v in value):
        raise InvalidArgument("when using JSON array syntax, arrays must be comprised of strings only")
    return list(value)


def _not_json(name: str) -> object:
    raise ValueError(name)  # NaN, Infinity: Python's extensions to JSON


def _split_command(line: str, escape: str) -> tuple[str, list[str], str]:
    """Keyword, flag words, rest (buildkit's splitCommand)."""
    parts = _WHITESPACE_RUN.split(line.strip(), maxsplit=1)
    if len(parts) < 2:
        return parts[0], [], ""
    rest, flags = _extract_flags(parts[1], escape)
    return parts[0], flags, rest.strip()


def _extract_flags(line: str, escape: str) -> tuple[str, list[str]]:
    """The leading ``--`` words, quotes and escapes processed, and the text after them."""
    flags: list[str] = []
    word, quote, blank_ok, pos, n = "", "", False, 0, len(line)
    in_word = False
    while pos < n:
        ch = line[pos]
        if not in_word:
            if ch.isspace():
                pos += 1
                continue
            if line[pos:pos + 2] != "--":
                return line[pos:], flags
            in_word = True
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and pos + 1 == n:
                quote = ""  # an escape at the end is dropped
            else:
                if ch == escape:
                    pos += 1
                word += line[pos]
        elif ch.isspace():
            if word == "--":
                return line[pos:], flags
            if blank_ok or word:
                flags.append(word)
            word, blank_ok, in_word = "", False, False
        elif ch in "'\"":
            quote, blank_ok = ch, True
        elif ch != escape or pos + 1 < n:
            if ch == escape:
                pos += 1
            word += line[pos]
        pos += 1
    if in_word and word != "--" and (blank_ok or word):
        flags.append(word)
    return "", flags


def _heredoc(word: str, strict: bool = True) -> Heredoc | None:
    """The heredoc a word names (``<<EOF``, ``<<-'EOF'``, ``3<<EOF``), None if it is none; an
    error (an unterminated quote) is none too unless ``strict``."""
    m = _HEREDOC.fullmatch(word)
    if m is None or not m[3]:
        return None
    try:
        plain = words.unexpanded_words(m[3])
    except InvalidArgument:
        if strict:
            raise
        return None
    if len(plain) != 1:
        return None
    quoted = words.unexpanded_words(m[3], raw_quotes=True)
    if len(quoted) != 1:
        raise InvalidArgument(f"internal lexing of heredoc produced inconsistent results: {m[3]}")
    quotes = sum(plain[0].count(q) for q in "'\"") == sum(quoted[0].count(q) for q in "'\"")
    return Heredoc(plain[0], "", expand=quotes, chomp=m[2] == "-")


def _heredocs_in(line: str) -> list[Heredoc]:
    try:  # buildkit reads the line with \ as the escape whatever the file's, and no error
        found = words.unexpanded_words(line, raw_quotes=True, raw_escapes=True)
    except InvalidArgument:
        return []
    return [h for h in map(_heredoc, found) if h is not None]


def _may_have_heredocs(line: str, cmd: str, rest: str, escape: str) -> bool:
    if "<<" not in line:
        return False
    if cmd == "ONBUILD":
        sub, _, sub_rest = _split_command(rest, escape)
        cmd, rest = sub.upper(), sub_rest
    return cmd in HEREDOC_FORM and _exec_json(rest) is None


class _Reader:
    """Pass 1: the file's lines to instructions (buildkit's parser.Parse)."""

    def __init__(self, text: str) -> None:
        parts = text.split("\n")
        self.lines = [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
        self.escape, self.syntax = "\\", ""
        self.continuation = _continuation(self.escape)
        self.seen: set[str] = set()
        self.directives_done, self.pos = False, 0  # pos: the lines read

    def directive(self, token: str) -> None:
        if self.directives_done:
            return
        m = _DIRECTIVE.match(token[1:].lstrip()) if token.startswith("#") else None
        key = m[1].lower() if m else ""
        if m is None or key not in ("syntax", "escape", "check"):
            self.directives_done = True
            return
        if key in self.seen:
            raise _error(self.pos, f"only one {key} parser directive can be used")
        self.seen.add(key)
        if key == "escape":
            if m[2] not in ("\\", "`"):
                raise _error(self.pos, f"invalid escape token '{m[2]}' does not match ` or \\")
            self.escape, self.continuation = m[2], _continuation(m[2])
        elif key == "syntax":
            self.syntax = m[2]

    def trim_continuation(self, token: str) -> tuple[str, bool]:
        """The line less a continuation escape; False when it continues."""
        m = self.continuation.search(token)
        return (token, True) if m is None else (token[:m.start()] + (m[1] or ""), False)

    def instructions(self) -> list[tuple[Instruction, list[str], str]]:
        """Each instruction, its flag words, its keyword as written."""
        out: list[tuple[Instruction, list[str], str]] = []
        while self.pos < len(self.lines):
            raw = self.lines[self.pos]
            if self.pos == 0:
                raw = raw.removeprefix("\ufeff")
            self.pos += 1
            token = raw.rstrip("\r\n").lstrip()
            self.directive(token)
            token, end = self.trim_continuation("" if token.startswith("#") else token)
            if end and not token:
                continue
            start, line = self.pos, token
            while not end and self.pos < len(self.lines):
                raw = self.lines[self.pos]
                self.pos += 1
                token = raw.rstrip("\r\n")
                if raw.lstrip().startswith("#") or not token.strip():
                    continue  # comments and blank lines inside a continuation are dropped
                token, end = self.trim_continuation(token)
                line += token
            out.append(self.instruction(line, start))
        return out

    def instruction(self, line: str, start: int) -> tuple[Instruction, list[str], str]:
        keyword, flag_words, rest = _split_command(line, self.escape)
        cmd = keyword.upper()
        ins = Instruction(cmd, rest, start, original=cmd + line.strip()[len(keyword):])
        try:
            if cmd in EXEC_FORM:
                ins.json = _exec_json(rest)
            elif cmd == "HEALTHCHECK":
                type_and_command = rest.split(None, 1)
                ins.json = _exec_json(type_and_command[1]) if len(type_and_command) == 2 else None
            elif cmd == "ONBUILD" and rest:
                sub, _, sub_rest = _split_command(rest, self.escape)
                if sub.upper() in EXEC_FORM:
                    _exec_json(sub_rest)
            heredocs = _heredocs_in(line) if _may_have_heredocs(line, cmd, rest, self.escape) else []
        except InvalidArgument as err:
            raise _error(start, str(err)) from None
        for doc in heredocs:
            body: list[str] = []
            while True:
                if self.pos == len(self.lines):
                    raise _error(start, "unterminated heredoc")
                raw = self.lines[self.pos]
                self.pos += 1
                maybe_end = raw.rstrip("\r\n")
                if (maybe_end.lstrip("\t") if doc.chomp else maybe_end) == doc.name:
                    break
                body.append(raw)
            doc.body = "".join(body)
        ins.heredocs, ins.end_line = heredocs, self.pos
        return ins, flag_words, keyword


def _levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _did_you_mean(value: str, options: list[str], case_sensitive: bool) -> str:
    """buildkit's suggest.WrapError: `` (did you mean x?)`` for a near option, else ""."""
    key = value if case_sensitive else value.lower()
    best, best_distance = "", 3
    for opt in sorted(o if case_sensitive else o.lower() for o in options):
        if key == opt:
            return ""
        distance = _levenshtein(key, opt)
        if distance < best_distance:
            best, best_distance = opt, distance
    if best and not case_sensitive:
        best = best.upper() if value == value.upper() and value != value.lower() else best
    return f" (did you mean {best}?)" if best else ""


def _parse_flags(ins: Instruction, flag_words: list[str]) -> None:
    """Check the flags against the instruction's own (buildkit's BFlags.Parse) and set them."""
    allowed = FLAGS.get(ins.cmd, {})
    for word in flag_words:
        flag, eq, value = word.partition("=")
        name = flag[2:]
        kind = allowed.get(name)
        if kind is None:
            hint = _did_you_mean(name, list(allowed), case_sensitive=True)
            raise InvalidArgument(f"unknown flag: {flag}{hint}")
        if name in ins.flags and kind != "list":
            raise InvalidArgument(f"duplicate flag specified: {flag}")
        if kind == "bool":
            if eq and not value:
                raise InvalidArgument(f"missing a value on flag: {flag}")
            if value.lower() not in ("", "true", "false"):
                raise InvalidArgument(f"expecting boolean value for flag {flag}, not: {value}")
        elif not eq:
            raise InvalidArgument(f"missing a value on flag: {flag}")
        ins.flags[name] = value
        ins.flag_list.append((name, value))


def _check(ins: Instruction, flag_words: list[str], keyword: str, escape: str) -> None:
    """Pass 2 for one instruction: buildkit's checks, in its order; sets flags and args."""
    cmd, rest = ins.cmd, ins.rest
    if cmd not in KNOWN:
        raise InvalidArgument(f"unknown instruction: {keyword}{_did_you_mean(keyword, list(KNOWN), False)}")
    if ins.json is not None and cmd != "HEALTHCHECK":
        ins.args = list(ins.json)
    elif cmd in ("FROM", "EXPOSE", "COPY", "ADD", "VOLUME"):
        ins.args = _WHITESPACE_RUN.split(rest) if rest else []
    elif cmd == "HEALTHCHECK" and rest:
        typ, *command = rest.split(None, 1)
        ins.args = [typ, *(ins.json if ins.json is not None else command)]
    elif cmd in ("ENV", "LABEL", "ARG"):
        ins.args = words.parse_words(rest, escape)
    else:
        ins.args = [rest] if rest else []
    args, n = ins.args, len(ins.args)
    if cmd in ("ENV", "LABEL", "ARG"):
        if cmd != "ARG":
            _parse_flags(ins, flag_words)
        words.split_pairs(rest, escape, allow_bare=cmd == "ARG", cmd=cmd)
    elif cmd in ("MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"):
        if not rest:
            raise InvalidArgument(f"{cmd} requires exactly one argument")
    elif cmd in ("COPY", "ADD"):
        if n < 2:
            raise InvalidArgument(f"{cmd} requires at least two arguments, but only one was provided. "
                                  "Destination could not be determined")
        _parse_flags(ins, flag_words)
        if _heredoc(args[-1], strict=False):  # buildkit's MustParseHeredoc
            raise InvalidArgument(f"{cmd} cannot accept a heredoc as a destination")
    elif cmd == "FROM":
        if n == 3 and args[1].lower() == "as":
            if not _STAGE_NAME.fullmatch(args[2].lower()):
                raise InvalidArgument(f"invalid name for build stage: {words.goquote(args[2])}, "
                                      "name can't start with a number or contain symbols")
        elif n != 1:
            raise InvalidArgument("FROM requires either one or three arguments")
    elif cmd in ("ONBUILD", "HEALTHCHECK", "EXPOSE", "VOLUME") and n == 0:
        raise InvalidArgument(f"{cmd} requires at least one argument")
    elif cmd == "ONBUILD":
        _parse_flags(ins, flag_words)
        trigger = _split_command(rest, escape)[0].upper()
        if trigger == "ONBUILD":
            raise InvalidArgument("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        if trigger in ("MAINTAINER", "FROM"):
            raise InvalidArgument(f"{trigger} isn't allowed as an ONBUILD trigger")
    elif cmd == "HEALTHCHECK":
        typ = args[0].upper()
        if typ == "NONE":
            if n > 1:
                raise InvalidArgument("HEALTHCHECK NONE takes no arguments")
            return  # buildkit reads no flags for NONE
        _parse_flags(ins, flag_words)
        if typ != "CMD":
            raise InvalidArgument(f"Unknown type {words.goquote(args[0].upper())} in HEALTHCHECK (try CMD)")
        if n == 1:
            raise InvalidArgument("Missing command after HEALTHCHECK CMD")
    elif cmd == "SHELL":
        _parse_flags(ins, flag_words)
        if not args:
            raise InvalidArgument("SHELL requires at least one argument")
        if ins.json is None:
            raise InvalidArgument("SHELL requires the arguments to be in JSON form")
    if cmd in ("FROM", "EXPOSE", "VOLUME", "RUN", "CMD", "ENTRYPOINT", "MAINTAINER", "WORKDIR", "USER"):
        _parse_flags(ins, flag_words)
    if cmd == "VOLUME" and any(not v.strip() for v in args):
        raise InvalidArgument("VOLUME specified can not be an empty string")


def parse(text: str) -> Dockerfile:
    """The Dockerfile ``text`` as its directives, meta ARGs and stages."""
    if not text:
        raise InvalidArgument("the Dockerfile cannot be empty")
    reader = _Reader(text)
    found = reader.instructions()
    if not found:
        raise InvalidArgument("file with no instructions")
    meta_args: list[Instruction] = []
    stages: list[Stage] = []
    for ins, flag_words, keyword in found:
        try:
            _check(ins, flag_words, keyword, reader.escape)
        except InvalidArgument as err:
            raise _error(ins.line, str(err)) from None
        if ins.cmd == "FROM":
            name = ins.args[2].lower() if len(ins.args) == 3 else ""
            stages.append(Stage(ins, ins.args[0], name, ins.flags.get("platform", "")))
        elif stages:
            stages[-1].instructions.append(ins)
        elif ins.cmd == "ARG":
            meta_args.append(ins)
        else:
            raise _error(ins.line, "no build stage in current context")
    return Dockerfile(reader.escape, reader.syntax, meta_args, stages)


def stage_index(df: Dockerfile, ref: str) -> int | None:
    """The stage ``COPY --from=ref`` names: by index, else by name (any case; the last of that
    name, as buildkit); None when neither, and ``ref`` is an image."""
    if re.fullmatch(r"[+-]?[0-9]+", ref):
        index = int(ref)
        if not 0 <= index < len(df.stages):
            raise InvalidArgument(f"invalid stage index {index}")
        return index
    for i, stage in reversed(list(enumerate(df.stages))):
        if ref and stage.name == ref.lower():
            return i
    return None
