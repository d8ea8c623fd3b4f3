"""Go's text/template lexer: text, ``{{``/``}}`` with trim markers and comments, and the
tokens of an action. It stops at an error with an ERROR token, which the parser meets in its
turn (Go lexes lazily: a parse error before it in the text is reported first)."""

from __future__ import annotations

from hutch.cli.gotemplate.values import alnum, go_quote

# token types
TEXT, LDELIM, RDELIM, SPACE, FIELD, VAR, IDENT, KEYWORD, DOT = range(9)
STRING, RAW, CHARC, NUMBER, BOOL, NIL, PIPE, DECLARE, ASSIGN = range(9, 18)
LPAREN, RPAREN, CHAR, EOF, ERROR = range(18, 23)
_KEYWORDS = frozenset({"block", "break", "continue", "define", "else", "end", "if", "range",
                       "template", "with"})
_SPACES = " \t\r\n"


class Token:
    __slots__ = ("pos", "typ", "val")

    def __init__(self, typ: int, val: str, pos: int) -> None:
        self.typ, self.val, self.pos = typ, val, pos

    def __str__(self) -> str:  # Go's item.String()
        if self.typ == EOF:
            return "EOF"
        if self.typ == ERROR:
            return self.val
        if self.typ in (KEYWORD, NIL, DOT):  # (Go's keyword items)
            return f"<{self.val}>"
        if len(self.val) > 10:
            return go_quote(self.val[:10]) + "..."
        return go_quote(self.val)


def _unicode(c: str) -> str:  # Go's %#U
    return f"U+{ord(c):04X} '{c}'"


class Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[Token] = []
    def fail(self, msg: str, pos: int) -> None:
        """The lexer stops at an error: a token the parser meets in its turn (Go lexes lazily)."""
        self.toks.append(Token(ERROR, msg, pos))

    def right_delim(self, p: int) -> tuple[bool, bool]:
        """(at the right delimiter, with a trim marker)"""
        t = self.text
        if p + 1 < len(t) and t[p] in _SPACES and t.startswith("-}}", p + 1):
            return True, True
        return t.startswith("}}", p), False

    def at_terminator(self, p: int) -> bool:
        t = self.text
        return p >= len(t) or t[p] in " \t\r\n.,|:()" or t.startswith("}}", p)

    def run(self) -> list[Token]:
        t, n, i = self.text, len(self.text), 0
        emit = self.toks.append
        while i < n:
            j = t.find("{{", i)
            if j < 0:
                emit(Token(TEXT, t[i:], i))
                break
            trim = j + 3 < n and t[j + 2] == "-" and t[j + 3] in _SPACES
            text = t[i:j].rstrip(_SPACES) if trim else t[i:j]
            if text:
                emit(Token(TEXT, text, i))
            p = j + (4 if trim else 2)
            if t.startswith("/*", p):
                end = t.find("*/", p + 2)
                if end < 0:
                    self.fail("unclosed comment", j)
                    break
                at, trim_right = self.right_delim(end + 2)
                if not at:
                    self.fail("comment ends before closing delimiter", j)
                    break
                i = end + 2 + (4 if trim_right else 2)
                while trim_right and i < n and t[i] in _SPACES:
                    i += 1
            else:
                emit(Token(LDELIM, "{{", j))
                i = self.action(p)
                if i < 0:
                    break
                if self.toks[-1].val == " -}}":
                    self.toks[-1].val = "}}"
                    while i < n and t[i] in _SPACES:
                        i += 1
        self.toks.append(Token(EOF, "", n))
        return self.toks

    def action(self, p: int) -> int:
        """Lex from inside ``{{`` to past ``}}``: the position after it, or -1 on an error."""
        t, n, emit, depth = self.text, len(self.text), self.toks.append, 0
        while True:
            at, trim = self.right_delim(p)
            if at:
                if depth:
                    self.fail("unclosed left paren", p)
                    return -1
                emit(Token(RDELIM, " -}}" if trim else "}}", p))
                return p + (4 if trim else 2)
            if p >= n:
                self.fail("unclosed action", p)
                return -1
            c, start = t[p], p
            if c in _SPACES:
                while p < n and t[p] in _SPACES:
                    p += 1
                if t.startswith("-}}", p):
                    p -= 1  # (the space belongs to " -}}")
                if p > start:
                    emit(Token(SPACE, t[start:p], start))
                continue
            p += 1
            if c == "=":
                emit(Token(ASSIGN, c, start))
            elif c == ":":
                if p >= n or t[p] != "=":
                    self.fail("expected :=", start)
                    return -1
                p += 1
                emit(Token(DECLARE, ":=", start))
            elif c == "|":
                emit(Token(PIPE, c, start))
            elif c in "\"'`":
                p = self.quoted(start)
                if p < 0:
                    return -1
                emit(Token({'"': STRING, "'": CHARC, "`": RAW}[c], t[start:p], start))
            elif c in "$." and not (c == "." and p < n and t[p].isdigit()):
                while p < n and alnum(t[p]):
                    p += 1
                if not self.at_terminator(p):
                    self.fail(f"bad character {_unicode(t[p])}", p)
                    return -1
                word = t[start:p]
                emit(Token(DOT if word == "." else VAR if c == "$" else FIELD, word, start))
            elif c in "+-." or c.isdigit():
                p = self.number(start)
                if p < 0:
                    return -1
                emit(Token(NUMBER, t[start:p], start))
            elif alnum(c):
                while p < n and alnum(t[p]):
                    p += 1
                if not self.at_terminator(p):
                    self.fail(f"bad character {_unicode(t[p])}", p)
                    return -1
                word = t[start:p]
                typ = (KEYWORD if word in _KEYWORDS else BOOL if word in ("true", "false")
                       else NIL if word == "nil" else IDENT)
                emit(Token(typ, word, start))
            elif c == "(":
                depth += 1
                emit(Token(LPAREN, c, start))
            elif c == ")":
                depth -= 1
                if depth < 0:
                    self.fail("unexpected right paren", start)
                    return -1
                emit(Token(RPAREN, c, start))
            elif c.isascii() and c.isprintable():
                emit(Token(CHAR, c, start))
            else:
                self.fail(f"unrecognized character in action: {_unicode(c)}", start)
                return -1

    def quoted(self, start: int) -> int:
        t, n, q, p = self.text, len(self.text), self.text[start], start + 1
        what = {'"': "unterminated quoted string", "`": "unterminated raw quoted string",
                "'": "unterminated character constant"}[q]
        while True:
            if p >= n or (q != "`" and t[p] == "\n"):
                self.fail(what, start)
                return -1
            c = t[p]
            p += 1
            if c == "\\" and q != "`":
                if p >= n or t[p] == "\n":
                    self.fail(what, start)
                    return -1
                p += 1
            elif c == q:
                return p

    def number(self, start: int, complex_part: bool = False) -> int:
        t, n, p = self.text, len(self.text), start
        if t[p] in "+-":
            p += 1
        digits, exp = "0123456789_", "eE"
        low = t[p:p + 2].lower()
        if low in ("0x", "0o", "0b"):
            p += 2
            digits, exp = {"0x": ("0123456789abcdefABCDEF_", "pP"), "0o": ("01234567_", ""),
                           "0b": ("01_", "")}[low]
        while p < n and t[p] in digits:
            p += 1
        if p < n and t[p] == ".":
            p += 1
            while p < n and t[p] in digits:
                p += 1
        if exp and p < n and t[p] in exp:
            p += 1
            if p < n and t[p] in "+-":
                p += 1
            while p < n and t[p] in "0123456789_":
                p += 1
        if p < n and t[p] == "i":
            p += 1
        if p < n and alnum(t[p]):
            self.fail(f"bad number syntax: {go_quote(t[start:p + 1])}", start)
            return -1
        if p < n and t[p] in "+-" and not complex_part:  # (Go: 1+2i, a complex number)
            end = self.number(p, complex_part=True)
            if end < 0:
                return -1
            if t[end - 1] != "i":
                self.fail(f"bad number syntax: {go_quote(t[start:end])}", start)
                return -1
            return end
        return p
