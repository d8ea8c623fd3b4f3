"""fmt.Sprintf and fmt.Sprint as Go prints template values: verbs, flags, widths, precisions,
argument indexes and Go's complaints (``%!d(string=x)``, ``%!d(MISSING)``, ``%!(EXTRA ...)``)."""

from __future__ import annotations

from hutch.cli.gotemplate.values import MISSING, Struct, go_float, go_quote, sort_key, sprint_value, type_name


def _rune(v: int) -> str:
    """A rune as Go prints it: U+FFFD for what is no Unicode scalar value."""
    return chr(v) if 0 <= v <= 0x10FFFF and not 0xD800 <= v < 0xE000 else "\ufffd"


def _go_syntax(v: object) -> str:
    """fmt's %#v (Go syntax) for template values."""
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, (list, tuple)):
        return type_name(v) + "{" + ", ".join(_go_syntax(e) for e in v) + "}"
    if isinstance(v, dict) and not isinstance(v, Struct):
        return type_name(v) + "{" + ", ".join(f"{_go_syntax(k)}:{_go_syntax(v[k])}"
                                             for k in sorted(v, key=sort_key)) + "}"
    return sprint_value(v)


def _bad(verb: str, v: object, flags: str = "", width: int | None = None, prec: int | None = None) -> str:
    if v is None or v is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(v)}={_fmt_one('v', v, flags, width, prec)})"


def _pad(s: str, width: int | None, flags: str, number: bool = False) -> str:
    """Pad to ``width`` as fmt does: ``-`` on the right, ``0`` with zeros (after a number's sign)."""
    if width is None or len(s) >= width:
        return s
    if "-" in flags:
        return s.ljust(width)
    if "0" in flags:
        sign = s[0] if number and s[:1] in ("-", "+", " ") else ""
        return sign + s[len(sign):].rjust(width - len(sign), "0")
    return s.rjust(width)


def _quote(s: str, flags: str) -> str:
    """%q of a string: Go-quoted; ``+`` ASCII only; ``#`` backquoted when it can be."""
    if "#" in flags and "`" not in s and "\ufeff" not in s and \
            all(c == "\t" or c.isprintable() for c in s):
        return f"`{s}`"
    q = go_quote(s)
    if "+" in flags:
        q = "".join(c if c.isascii() else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
                    for c in q)
    return q


def _hex_float(v: float, upper: bool, sharp: bool = False, prec: int | None = None) -> str:
    """%x of a float64: ``0x1.8p+00`` (``prec`` hexadecimal digits after the point, rounded)."""
    if v != v or v in (float("inf"), float("-inf")):
        return go_float(v)
    text = v.hex()  # -0x1.8000000000000p+0
    sign = "-" if text.startswith("-") else ""
    mant, _, exp = text.lstrip("-")[2:].partition("p")
    lead, _, frac = mant.partition(".")
    e = int(exp)
    if prec is not None and prec < 13 and lead != "0":
        bits = 52 - 4 * prec
        q, r = divmod((1 << 52) | int(frac or "0", 16), 1 << bits)  # (rounded to even, lead included)
        half = 1 << (bits - 1)
        if r > half or (r == half and q & 1):
            q += 1
        if q >> (4 * prec) == 2:  # (carried: 2.000 is 1.000 times 2)
            q, e = q >> 1, e + 1
        frac = f"{q & ((1 << (4 * prec)) - 1):0{prec}x}" if prec else ""
    elif prec is not None:
        frac = frac.ljust(prec, "0")
    else:
        frac = frac.rstrip("0").ljust(4 if sharp and not upper else 0, "0")  # (as Go's %#x, %#X)
    mant = lead + ("." + frac if frac or sharp else "")
    out = f"{sign}0x{mant}p{'-' if e < 0 else '+'}{abs(e):02d}"
    return out.upper() if upper else out


def _fmt_one(verb: str, v: object, flags: str, width: int | None, prec: int | None) -> str:
    """One verb on one value, as fmt prints it (an unfit pair: ``%!d(string=x)``)."""
    if isinstance(v, (list, tuple)) and verb != "T" and "V" not in flags:
        return "[" + " ".join(_fmt_one(verb, e, flags, width, prec) for e in v) + "]"
    if isinstance(v, dict) and verb == "v" and "V" not in flags and not isinstance(v, Struct):
        pairs = ((_fmt_one(verb, k, flags, width, prec), _fmt_one(verb, v[k], flags, width, prec))
                 for k in sorted(v, key=sort_key))
        return "map[" + " ".join(f"{k}:{e}" for k, e in pairs) + "]"
    if verb == "T":
        return _pad(type_name(v) if v is None else type_name(v)[:prec], width, flags)
    if verb == "v":
        if "V" in flags:  # (%#v: sprintf's mark for Go's sharpV)
            if isinstance(v, (list, tuple)):
                return type_name(v) + "{" + ", ".join(_fmt_one(verb, e, flags, width, prec) for e in v) + "}"
            if isinstance(v, str):
                return _pad(go_quote(v[:prec] if prec is not None else v), width, flags)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return _fmt_one("d" if isinstance(v, int) else "g", v, flags.replace("V", ""), width, prec)
            return _pad(_go_syntax(v), width, flags)
        if isinstance(v, float):
            return _fmt_one("g", v, flags, width, prec)
        if isinstance(v, int) and not isinstance(v, bool):
            return _fmt_one("d", v, flags, width, prec)
        if isinstance(v, str) and prec is not None:
            v = v[:prec]
        return _pad(sprint_value(v), width, flags)
    if verb == "s":
        if isinstance(v, str):
            return _pad(v[:prec] if prec is not None else v, width, flags)
        if isinstance(v, dict):
            return _pad(sprint_value(v), width, flags)
        return _bad(verb, v, flags, width, prec)
    if verb == "q":
        if isinstance(v, str):
            return _pad(_quote(v[:prec] if prec is not None else v, flags), width, flags)
        if isinstance(v, int) and not isinstance(v, bool):
            c = _rune(v)
            body = "\\'" if c == "'" else '"' if c == '"' else _quote(c, flags.replace("#", ""))[1:-1]
            return _pad(f"'{body}'", width, flags)
        return _bad(verb, v, flags, width, prec)
    if verb == "t":
        if isinstance(v, bool):
            return _pad("true" if v else "false", width, flags)
        return _bad(verb, v, flags, width, prec)
    if verb in "xX" and isinstance(v, str):
        data = v.encode()[:prec] if prec is not None else v.encode()
        hexes = [f"{b:02x}" for b in data]
        lead = "0x" if "#" in flags and data else ""
        text = " ".join(lead + h for h in hexes) if " " in flags else lead + "".join(hexes)
        return _pad(text.upper() if verb == "X" else text, width, flags)
    if verb == "b" and isinstance(v, float):  # (Go: the mantissa and a binary exponent)
        mant, _, exp = v.hex().lstrip("-")[2:].partition("p")
        lead, _, frac = mant.partition(".")
        m, e = (int(lead) << 52) | int(frac or "0", 16), int(exp) - 52
        sign = "-" if v < 0 or str(v)[0] == "-" else "+" if "+" in flags else " " if " " in flags else ""
        return _pad(f"{sign}{m}p{'-' if e < 0 else '+'}{abs(e)}", width, flags, number=True)
    if verb in "xX" and isinstance(v, float):
        sign = "+" if "+" in flags and v >= 0 else " " if " " in flags and v >= 0 else ""
        text = _hex_float(v, verb == "X", "#" in flags, prec)
        return _pad(sign + text, width, flags, number=True)
    if verb in "dboxXcUO":
        if isinstance(v, bool) or not isinstance(v, int):
            return _bad(verb, v, flags, width, prec)
        if verb == "c":
            return _pad(_rune(v), width, flags)
        if verb == "U":
            text = f"U+{v & 0xFFFFFFFFFFFFFFFF:0{max(prec or 0, 4)}X}"
            flags = flags.replace("0", "")  # (Go pads %U with spaces)
            if "#" in flags and _rune(v) != "\ufffd" and _rune(v).isprintable():
                text += f" '{_rune(v)}'"
            return _pad(text, width, flags)
        digits = format(abs(v), {"d": "d", "b": "b", "o": "o", "O": "o", "x": "x", "X": "X"}[verb])
        if prec is not None:
            if prec == 0 and v == 0:  # (Go: nothing but the padding)
                return " " * (width or 0)
            digits = digits.rjust(prec, "0")
            flags = flags.replace("0", "")
        sign = "-" if v < 0 else "+" if "+" in flags else " " if " " in flags else ""
        if width and "0" in flags and "-" not in flags:  # (Go: the digits fill the width; then prefix, sign)
            digits = digits.rjust(width - len(sign), "0")
        if "#" in flags or verb == "O":
            lead = {"x": "0x", "X": "0X", "b": "0b", "O": "0o", "o": "0"}.get(verb, "")
            digits = digits if lead == "0" and digits.startswith("0") else lead + digits
        return _pad(sign + digits, width, flags, number=True)
    if verb in "eEfFgG":
        if not isinstance(v, float):
            return _bad(verb, v, flags, width, prec)
        sign = "+" if "+" in flags else " " if " " in flags else ""
        if v != v or v in (float("inf"), float("-inf")):
            text = go_float(v)  # (+Inf, -Inf, NaN: padded with spaces)
            return _pad(sign + text if text == "NaN" else text, width, flags.replace("0", ""))
        if verb in "gG" and prec is None and "#" in flags:  # (Go: the shortest, to 6 digits at least)
            mant, mark, power = go_float(v).partition("e")
            mant = mant if "." in mant else mant + "."
            count = sum(c.isdigit() for c in mant.lstrip("-0."))
            text = sign * (not mant.startswith("-")) + mant + "0" * max(0, 6 - max(count, 1)) + mark + power
            text = text.upper() if verb == "G" else text
        elif verb in "gG" and prec is None:
            text = go_float(v)
            text = text.upper() if verb == "G" else text
            if sign and not text.startswith("-"):
                text = sign + text
        else:  # (# keeps the point and the zeros: Python's # is Go's)
            text = format(v, f"{sign}{'#' if '#' in flags else ''}.{6 if prec is None else prec}{verb}")
        return _pad(text, width, flags, number=True)
    return _bad(verb, v, flags, width, prec)



def _arg_index(fmt: str, i: int, nargs: int, argi: int, good: bool) -> tuple[int, int, bool]:
    """An argument index at ``fmt[i]`` (``[2]``): where the format goes on, the argument it
    names (0-based), and whether it named one."""
    end = fmt.find("]", i)
    index = fmt[i + 1:end] if end > 0 else ""
    if index.isdigit() and 1 <= int(index) <= nargs:
        argi = int(index) - 1
    else:
        good = False
    return (end + 1 if end > 0 else len(fmt)), argi, good

def sprintf(fmt: str, *args: object) -> str:
    """fmt.Sprintf for the verbs templates use (v s q d x X o O b c U e E f F g G t T), with
    flags ``-+# 0``, width and precision (``*`` too), argument indexes (``%[2]d``), and Go's
    complaints (``%!d(string=x)``, ``%!d(MISSING)``, ``%!(EXTRA int=2)``)."""
    out: list[str] = []
    i, n, argi, reordered = 0, len(fmt), 0, False
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        flags = ""
        while i < n and fmt[i] in "-+# 0":
            flags += fmt[i]
            i += 1
        width = prec = None
        good = True
        for part in ("width", "prec"):
            if part == "prec":
                if i < n and fmt[i] == ".":
                    i += 1
                    prec = 0
                else:
                    break
            if i < n and fmt[i] == "[":  # an argument index: %[2]d, %[1]*d
                i, argi, good = _arg_index(fmt, i, len(args), argi, good)
                reordered = True
            if i < n and fmt[i] == "*":
                i += 1
                val = args[argi] if argi < len(args) else None
                argi += 1
                if not isinstance(val, int) or isinstance(val, bool):
                    out.append("%!(BADWIDTH)" if part == "width" else "%!(BADPREC)")
                    val = None
                if part == "width":
                    width = val
                    if width is not None and width < 0:
                        flags, width = flags + "-", -width
                else:
                    prec = val
                continue
            start = i
            while i < n and fmt[i].isdigit():
                i += 1
            if i > start:
                if part == "width":
                    width = int(fmt[start:i])
                else:
                    prec = int(fmt[start:i])
        if i < n and fmt[i] == "[":
            i, argi, good = _arg_index(fmt, i, len(args), argi, good)
            reordered = True
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
        elif not good:
            out.append(f"%!{verb}(BADINDEX)")
        elif argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
        else:
            if verb == "v":  # (Go: %#v is Go syntax, %+v field names: neither is a flag of the value)
                flags = flags.replace("#", "V").replace("+", "")
            out.append(_fmt_one(verb, args[argi], flags, width, prec))
            argi += 1
    if not reordered and argi < len(args):
        extra = ", ".join("<nil>" if a is None else f"{type_name(a)}={sprint_value(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def sprint(*args: object) -> str:
    """fmt.Sprint: a space between two operands when neither is a string."""
    out: list[str] = []
    for k, a in enumerate(args):
        if k and not isinstance(a, str) and not isinstance(args[k - 1], str):
            out.append(" ")
        out.append(sprint_value(a))
    return "".join(out)
