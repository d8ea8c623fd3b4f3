"""Docker's shell-word rules: how a Dockerfile's arguments become words and values.

Docker does not run a shell to read ``ENV``, ``COPY``, ``WORKDIR`` and the like: buildkit has a
small lexer of its own (``frontend/dockerfile/shell/lex.go``) that mimics the POSIX shell's
quoting and parameter expansion. This module is that lexer, rule for rule:

- ``'...'`` keeps every character as written; an escape does nothing inside it.
- ``"..."`` keeps characters too, but expands ``$`` and honours the escape character before
  ``"``, ``$`` and the escape character itself; before anything else it stays as written.
- Outside quotes the escape character (``\\``, or the backtick after ``# escape=```) makes the
  next character literal, so ``\\$HOME`` is ``$HOME`` and ``\\ `` is a space inside a word; an
  escape at the very end is dropped.
- ``$NAME``, ``${NAME}``: the variable's value; an unset one is empty. A name is letters,
  digits and ``_``; ``$1`` .. ``$999`` (digits) and ``$@ $* $# $? $- $$ $! $0`` are names too,
  never set. A ``$`` not followed by a name stays a ``$``.
- ``${NAME:-word}`` / ``${NAME-word}``: word when unset or empty / when unset;
  ``${NAME:+word}`` / ``${NAME+word}``: word when set and not empty / when set;
  ``${NAME:?msg}`` / ``${NAME?msg}``: an error ``NAME: msg`` when unset or empty / when unset;
  ``${NAME#pat}`` ``${NAME##pat}`` ``${NAME%pat}`` ``${NAME%%pat}``: the value less the
  shortest/longest prefix/suffix matching a shell pattern (``*``, ``?``, ``\\`` escapes);
  ``${NAME/pat/repl}`` ``${NAME//pat/repl}``: the first/every match replaced. The ``word`` is
  expanded too (``${A:-${B:-c}}``); anything else (``${A:=b}``, ``${}``, ``${A``) is an error.

`expand` is buildkit's ProcessWord: one word, quotes removed, whitespace kept. `expand_words`
is ProcessWords: the text split on unquoted whitespace. Splitting happens as the text is read,
so whitespace that an unquoted ``$VAR`` brings in does split words (``A="a b"``, then ``x$A``
gives ``xa`` and ``b``), and a quoted ``"$VAR"`` does not, as in buildkit's ``wordsTest``.
Empty words are dropped, even a quoted ``""``.

`pairs` reads the ``KEY=VALUE ...`` arguments of ENV, LABEL and ARG as buildkit's parser does
(``parser/line_parsers.go``): the text is cut into words at unquoted whitespace with quotes
and escapes kept, each word is cut at its first ``=``, and then key and value are each
expanded as one word. ENV and LABEL also accept the legacy ``ENV KEY the rest of the line``
when the first word has no ``=``; ARG accepts a bare ``NAME`` (no value).

Errors raise `InvalidArgument` in buildkit's words:
``failed to process "${A:?}": A: is not allowed to be unset``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hutch.errors import InvalidArgument

if TYPE_CHECKING:
    from collections.abc import Mapping

_EOF = ""
_SPECIAL_PARAMS = "@*#?-$!0"
_REGEX_SPECIALS = "[]{}.+()|^$"
_GO_ESCAPES = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
               "\t": "\\t", "\v": "\\v"}
_WHITESPACE_RUN = re.compile(r"[\t\v\f\r ]+")  # buildkit's reWhitespace (no newline: lines are joined)


class _LexError(Exception):
    pass


def _isspace(ch: str) -> bool:
    """Go's unicode.IsSpace."""
    return ch in "\t\n\v\f\r \x85\xa0" or (ch > "\xff" and ch.isspace())


def goquote(s: str) -> str:
    """Go's ``%q`` of a string (how buildkit quotes text in its messages)."""
    out = ['"']
    for ch in s:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            n = ord(ch)
            out.append(f"\\x{n:02x}" if n < 0x80 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}")
    return "".join(out) + '"'


class _Words:
    """Splits the text into words while it is read (buildkit's wordsStruct)."""

    __slots__ = ("buf", "words")

    def __init__(self) -> None:
        self.buf = ""
        self.words: list[str] = []

    def add_char(self, ch: str) -> None:
        """An unquoted character: whitespace ends the word."""
        if not _isspace(ch):
            self.buf += ch
        elif self.buf:
            self.words.append(self.buf)
            self.buf = ""

    def result(self) -> list[str]:
        if self.buf:
            self.words.append(self.buf)
            self.buf = ""
        return self.words


class _Lexer:
    """One pass over ``text`` (buildkit's shellWord); see the module docstring for the rules.

    ``raw_quotes``/``raw_escapes`` keep quotes/escape characters in the result, ``skip_unset``
    leaves references to unset variables as written, ``skip_quotes`` reads quotes as plain
    characters: buildkit's RawQuotes, RawEscapes, SkipUnsetEnv and SkipProcessQuotes."""

    __slots__ = ("env", "escape", "pos", "raw_escapes", "raw_quotes", "skip_quotes", "skip_unset", "text")

    def __init__(self, text: str, env: Mapping[str, str], escape: str, raw_quotes: bool = False,
                 raw_escapes: bool = False, skip_unset: bool = False, skip_quotes: bool = False) -> None:
        self.text, self.pos, self.env, self.escape = text, 0, env, escape
        self.raw_quotes, self.raw_escapes, self.skip_unset = raw_quotes, raw_escapes, skip_unset
        self.skip_quotes = skip_quotes

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else _EOF

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1 if ch else 0
        return ch

    def run(self) -> tuple[str, list[str]]:
        try:
            return self.stop_on(_EOF)
        except _LexError as err:
            raise InvalidArgument(f"failed to process {goquote(self.text)}: {err}") from None

    def until(self, stop: str, raw_escapes: bool, missing: str) -> str:
        """The text up to ``stop`` inside ``${...}``; ``missing`` is the error at the end."""
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            return self.stop_on(stop)[0]
        except _LexError:
            if self.peek() == _EOF:
                raise _LexError(missing) from None
            raise
        finally:
            self.raw_escapes = saved

    def stop_on(self, stop: str) -> tuple[str, list[str]]:
        """Read up to ``stop`` (consumed) or the end; the text and its words."""
        result: list[str] = []
        words = _Words()
        while (ch := self.peek()) != _EOF:
            if stop and ch == stop:
                self.next()
                return "".join(result), words.result()
            if ch == "$":
                tmp = self.dollar()
                result.append(tmp)
                for c in tmp:
                    words.add_char(c)
            elif ch == "<" or (ch in "'\"" and not self.skip_quotes):
                tmp = self.single_quote() if ch == "'" else self.double_quote() if ch == '"' else self.lt()
                result.append(tmp)
                words.buf += tmp
            else:
                ch = self.next()
                if ch == self.escape:
                    if self.raw_escapes:
                        words.buf += ch
                        result.append(ch)
                    ch = self.next()
                    if ch == _EOF:
                        break
                    words.buf += ch
                else:
                    words.add_char(ch)
                result.append(ch)
        if stop:
            raise _LexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.result()

    def single_quote(self) -> str:
        quote = self.next()
        out = [quote] if self.raw_quotes else []
        while (ch := self.next()) != "'":
            if ch == _EOF:
                raise _LexError("unexpected end of statement while looking for matching single-quote")
            out.append(ch)
        return "".join([*out, quote] if self.raw_quotes else out)

    def double_quote(self) -> str:
        quote = self.next()
        out = [quote] if self.raw_quotes else []
        while True:
            ch = self.peek()
            if ch == _EOF:
                raise _LexError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.next()
                return "".join([*out, quote] if self.raw_quotes else out)
            if ch == "$":
                out.append(self.dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                if self.raw_escapes:
                    out.append(ch)
                after = self.peek()
                if after == _EOF:
                    continue  # an escape at the end is dropped (then: unterminated)
                if after in ('"', "$", self.escape):
                    ch = self.next()
            out.append(ch)

    def lt(self) -> str:
        """``<<`` and the blanks after it stay one word (``<< EOF`` names a heredoc)."""
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        space = ""
        while self.peek() in ("\t", "\r", " "):
            space += self.next()
        return "<<" + space

    def name(self) -> str:
        ch = self.peek()
        if ch.isdecimal():
            start = self.pos
            while self.peek().isdecimal():
                self.next()
            return self.text[start:self.pos]
        if ch and ch in _SPECIAL_PARAMS:
            return self.next()
        start = self.pos
        while (ch := self.peek()) and (ch.isalpha() or ch.isdecimal() or ch == "_"):
            self.next()
        return self.text[start:self.pos]

    def var(self, name: str, written: str) -> str:
        """The value of ``name``: empty when unset, or ``written`` as is in skip_unset mode."""
        value = self.env.get(name)
        return written if value is None and self.skip_unset else value or ""

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.name()
            return self.var(name, "$" + name) if name else "$"
        self.next()
        if self.peek() == _EOF:
            raise _LexError("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise _LexError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            return self.var(name, "${" + name + "}")
        if ch == _EOF:  # buildkit: "unsupported modifier (\ufffd) in substitution"
            raise _LexError("syntax error: missing '}'")
        if ch == "/":
            return self.replace(name)
        mod, null_is_unset = ch, ch == ":"
        if null_is_unset:
            ch = self.next()
            if ch == _EOF:
                raise _LexError("syntax error: missing '}'")
            mod += ch
        elif ch not in "+-?#%":
            raise _LexError(f"unsupported modifier ({mod}) in substitution")
        trims = ch in "#%"
        if null_is_unset and trims:
            raise _LexError(f"unsupported modifier ({mod}) in substitution")
        word = self.until("}", trims, "syntax error: missing '}'")
        value = self.env.get(name)
        if value is None and self.skip_unset:
            return "${" + name + mod + word + "}"
        unset = value is None or (null_is_unset and value == "")
        if ch == "-":
            return word if unset else value or ""
        if ch == "+":
            return "" if unset else word
        if ch == "?":
            if value is None:
                raise _LexError(f"{name}: {word or 'is not allowed to be unset'}")
            if unset:
                raise _LexError(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        if ch in "#%":
            greedy = word[:1] == ch
            if greedy:
                word = word[1:]
            if ch == "#":
                return _trim_prefix(word, value or "", greedy)
            return _trim_suffix(word, value or "", greedy)
        raise _LexError(f"unsupported modifier ({mod}) in substitution")

    def replace(self, name: str) -> str:
        """``${NAME/pat/repl}``, ``${NAME//pat/repl}``."""
        replace_all = self.peek() == "/"
        if replace_all:
            self.next()
        pattern = self.until("/", True, "syntax error: missing '/' in ${}")
        repl = self.until("}", True, "syntax error: missing '}'")
        value = self.env.get(name)
        if value is None and self.skip_unset:
            return "${" + name + "/" + pattern + "/" + repl + "}"
        rx = _pattern_regex(pattern, greedy=True, anchored=False)
        return _go_replace(rx, value or "", repl, replace_all)


def _pattern_regex(pattern: str, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """A shell pattern (``*``, ``?``, ``\\`` escapes; no brackets) as a regular expression."""
    out = ["^"] if anchored else []
    i = 0
    while i < len(pattern):
        tok = pattern[i]
        i += 1
        if tok == "*":
            out.append(".*" if greedy else ".*?")
            continue
        if tok == "?":
            out.append(".")
            continue
        if tok == "\\":
            if pattern[i:i + 1] in ("}", "/"):
                continue  # the escape of ${}'s own delimiters is no part of the pattern
            tok = pattern[i:i + 1]
            i += 1
            if tok not in ("*", "?", "\\"):
                raise _LexError(f"invalid pattern ({pattern}) in substitution: invalid escape '\\{tok}'")
            out.append("\\")
        elif tok in _REGEX_SPECIALS:
            out.append("\\")
        out.append(tok)
    return re.compile("".join(out))


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    m = _pattern_regex(pattern, greedy, anchored=True).search(value)
    return value[m.end():] if m else value


def _reverse_pattern(pattern: str) -> str:
    """The pattern backwards, each ``\\x`` escape kept in order (``a\\*c`` -> ``c\\*a``)."""
    out = [""] * len(pattern)
    last, i = len(pattern) - 1, 0
    while i <= last:
        if pattern[i] == "\\" and i != last:
            out[last - i - 1], out[last - i] = "\\", pattern[i + 1]
            i += 2
        else:
            out[last - i] = pattern[i]
            i += 1
    return "".join(out)


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    # a regular expression cannot find the shortest rightmost match: reverse both
    return _trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]


def _go_expand(template: str, m: re.Match[str]) -> str:
    """Go's Regexp.Expand: ``$$``, ``$0``/``${0}`` the match; other ``$name`` empty."""
    out: list[str] = []
    while (i := template.find("$")) >= 0:
        out.append(template[:i])
        template = template[i + 1:]
        if template.startswith("$"):
            out.append("$")
            template = template[1:]
            continue
        brace = template.startswith("{")
        body = template[1:] if brace else template
        n = 0
        while n < len(body) and (body[n].isalpha() or body[n].isdecimal() or body[n] == "_"):
            n += 1
        if n == 0 or (brace and body[n:n + 1] != "}"):
            out.append("$")  # malformed: the $ is plain text
            continue
        name, template = body[:n], body[n + 1:] if brace else body[n:]
        if name == "0":  # the only group a shell pattern's expression has
            out.append(m.group(0))
    return "".join(out) + template


def _go_replace(rx: re.Pattern[str], value: str, repl: str, replace_all: bool) -> str:
    if not replace_all:
        m = rx.search(value)
        return value if m is None else value[:m.start()] + repl + value[m.end():]
    # Go's ReplaceAllString: an empty match right after a match is not replaced
    out: list[str] = []
    last = pos = 0
    while pos <= len(value) and (m := rx.search(value, pos)) is not None:
        start, end = m.span()
        out.append(value[last:start])
        if end > last or start == 0:
            out.append(_go_expand(repl, m))
        last = end
        pos = pos + 1 if pos + 1 > end else end
    return "".join(out) + value[last:]


def expand(text: str, env: Mapping[str, str], escape: str = "\\", *, quotes: bool = True,
           raw_quotes: bool = False, keep_unset: bool = False) -> str:
    """One word, quotes and escapes processed, variables expanded (buildkit's ProcessWord).
    Options: ``quotes=False``, quotes are plain text (buildkit so expands a heredoc's body);
    ``raw_quotes`` keeps them and ``keep_unset`` unset variables as written (a RUN step's name)."""
    return _Lexer(text, env, escape, raw_quotes, skip_unset=keep_unset, skip_quotes=not quotes).run()[0]


def expand_words(text: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """The words of ``text`` after expansion (buildkit's ProcessWords)."""
    return _Lexer(text, env, escape).run()[1]


def unexpanded_words(text: str, escape: str = "\\", *, raw_quotes: bool = False,
                     raw_escapes: bool = False) -> list[str]:
    """`expand_words` with no variables and every ``$`` reference kept as written, quotes and
    escape characters optionally kept: how buildkit's parser reads heredoc markers."""
    return _Lexer(text, {}, escape, raw_quotes, raw_escapes, skip_unset=True).run()[1]


def parse_words(rest: str, escape: str = "\\") -> list[str]:
    """Words at unquoted whitespace, quotes and escapes kept (buildkit's parseWords)."""
    words: list[str] = []
    word, quote, blank_ok, in_word = "", "", False, False
    i, n = 0, len(rest)
    while i < n:
        ch = rest[i]
        if not in_word and not quote:
            if _isspace(ch):
                i += 1
                continue
            in_word = True
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote != "'":
                if i + 1 == n:
                    break  # an escape at the end is dropped
                word += ch
                i += 1
                ch = rest[i]
            word += ch
        elif _isspace(ch):
            if blank_ok or word:
                words.append(word)
            word, blank_ok, in_word = "", False, False
        else:
            if ch in "'\"":
                quote, blank_ok = ch, True
            elif ch == escape:
                if i + 1 == n:
                    break
                word += ch
                i += 1
                ch = rest[i]
            word += ch
        i += 1
    if in_word and (blank_ok or word):
        words.append(word)
    return words


def split_pairs(text: str, escape: str = "\\", *, allow_bare: bool = False,
                cmd: str = "") -> list[tuple[str, str | None]]:
    """The ``(key, value)`` pairs of an ENV/LABEL (ARG with ``allow_bare``) line, unexpanded,
    as buildkit's parser cuts them; ``cmd`` names the instruction in errors."""
    cmd = cmd or ("ARG" if allow_bare else "ENV")
    words = parse_words(text, escape)
    if not words:
        raise InvalidArgument(f"{cmd} requires at least one argument")
    if not allow_bare and "=" not in words[0]:
        parts = _WHITESPACE_RUN.split(text.strip(), maxsplit=1)
        if len(parts) < 2:
            raise InvalidArgument(f"{cmd} must have two arguments")
        return [(parts[0], parts[1])]
    out: list[tuple[str, str | None]] = []
    for word in words:
        key, eq, value = word.partition("=")
        if not eq:
            if not allow_bare:
                raise InvalidArgument(
                    f"Syntax error - can't find = in {goquote(word)}. Must be of the form: name=value")
            out.append((word, None))
            continue
        if not key:
            raise InvalidArgument(f"{cmd} names can not be blank")
        out.append((key, value))
    return out


def pairs(text: str, env: Mapping[str, str], escape: str = "\\", *, allow_bare: bool = False,
          cmd: str = "") -> list[tuple[str, str | None]]:
    """ENV/LABEL/ARG arguments as ``(key, value)``, each expanded as one word; with
    ``allow_bare`` (ARG) a bare ``NAME`` gives ``(NAME, None)``."""
    out: list[tuple[str, str | None]] = []
    for key, value in split_pairs(text, escape, allow_bare=allow_bare, cmd=cmd):
        out.append((expand(key, env, escape), None if value is None else expand(value, env, escape)))
    return out
