"""hutch.build.dockerfile: the Dockerfile's syntax.

Expected values marked "buildkit" are those of buildkit's parser tests (moby/buildkit
frontend/dockerfile/parser: testfiles/*/result, parser_heredoc_test.go, directives_test.go) or
of its instruction checks (instructions/parse.go, bflag.go: the error texts).
"""

from __future__ import annotations

import pytest

from hutch.build.dockerfile import Dockerfile, Heredoc, Instruction, parse, stage_index
from hutch.errors import InvalidArgument


def only(text: str) -> Instruction:
    """The one instruction after FROM."""
    df = parse("FROM scratch\n" + text)
    [ins] = df.stages[0].instructions
    return ins


def error(text: str) -> str:
    with pytest.raises(InvalidArgument) as err:
        parse(text)
    return str(err.value)


# ---- directives


def test_directives_escape_and_syntax() -> None:
    df = parse("# syntax=docker/dockerfile:1\n#ESCAPE = `\nFROM a\nRUN echo `\n  b\n")
    assert (df.syntax, df.escape) == ("docker/dockerfile:1", "`")
    assert df.stages[0].instructions[0].rest == "echo   b"
    assert parse("FROM a\n").escape == "\\"
    assert parse("  #  escape=`\n FROM a").escape == "`"  # leading blanks are allowed
    assert parse("# check=skip=all\n# escape=`\nFROM a").escape == "`"  # check: read, ignored


def test_directives_only_at_the_very_top() -> None:
    # buildkit testfiles/escape-after-comment: a comment ends the directives
    assert parse("# a comment\n# escape=`\nFROM a\n").escape == "\\"
    assert parse("\n# escape=`\nFROM a\n").escape == "\\"  # so does a blank line
    assert parse("FROM a\n# escape=`\n").escape == "\\"
    assert parse("# unknown=x\n# escape=`\nFROM a").escape == "\\"
    # buildkit testfiles/escape-nonewline: no blank line needed after them
    df = parse("# escape = `\n# There is no white space line\nFROM image\nENV GOPATH `\n\\go\n")
    assert df.stages[0].instructions[0].rest == "GOPATH \\go"


def test_directive_errors() -> None:
    assert error("# escape=x\nFROM a") == (
        "dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\")
    assert error("# escape=`\n# Escape=\\\nFROM a") == (
        "dockerfile parse error on line 2: only one escape parser directive can be used")


def test_byte_order_mark_is_dropped() -> None:
    df = parse("\ufeff# escape=`\nFROM a")
    assert df.escape == "`"
    assert parse("\ufeffFROM a").stages[0].base == "a"


# ---- lines, comments, continuations


def test_comments_and_blank_lines() -> None:
    df = parse("# c\n\n  # indented comment\nFROM a\n\nRUN echo a # not a comment\n")
    assert df.stages[0].base == "a"
    assert df.stages[0].instructions[0].rest == "echo a # not a comment"
    assert "FROM requires either one or three arguments" in error("FROM a # not a comment")


def test_continuations_as_buildkit_continue_indent() -> None:
    text = ("FROM ubuntu:14.04\n\nRUN echo hello\\\n  world\\\n  goodnight  \\\n  moon\\\n  light\\\nning\n"
            "RUN echo hello  \\\n  world\nRUN echo hello  \\\nworld\nRUN echo hello \\\ngoodbye\\\nfrog\n"
            "RUN echo hello  \\  \nworld\nRUN echo hi \\\n \\\n world \\\n\\\n good\\\n\\\nnight\n"
            "RUN echo goodbye\\\nfrog\nRUN echo good\\\nbye\\\nfrog\n\n"
            "RUN echo hello \\\n# this is a comment\n\n# this is a comment with a blank line surrounding it\n"
            "\nthis is some more useful stuff\n")
    got = [i.rest for i in parse(text).stages[0].instructions]
    assert got == ["echo hello  world  goodnight    moon  lightning", "echo hello    world",
                   "echo hello  world", "echo hello goodbyefrog", "echo hello  world",
                   "echo hi   world  goodnight", "echo goodbyefrog", "echo goodbyefrog",
                   "echo hello this is some more useful stuff"]


def test_continuation_details() -> None:
    assert only("RUN a \\ \t\n b").rest == "a  b"  # blanks after the escape
    df = parse("FROM x\nRUN a \\\\\nRUN b\n")  # an escaped escape does not continue
    assert [i.rest for i in df.stages[0].instructions] == ["a \\\\", "b"]
    assert only("RUN something \\").rest == "something"  # buildkit continue-at-eof
    assert only("RUN a \\\r\n  b\r\n").rest == "a   b"  # CRLF line ends
    df = parse("# escape=`\nFROM x\nRUN dir C:\\ `\n  /s\nRUN b \\\nCOPY a b\n")
    assert [i.rest for i in df.stages[0].instructions] == ["dir C:\\   /s", "b \\", "a b"]
    assert df.stages[0].instructions[1].cmd == "RUN" and len(df.stages[0].instructions) == 3


def test_original_and_line_numbers() -> None:
    df = parse("FROM a\n\nrun  echo a && \\\n    echo b\n# c\nCopy --from=a /x /y\n")
    run, copy = df.stages[0].instructions
    assert (run.cmd, run.original, run.line, run.end_line) == ("RUN", "RUN  echo a &&     echo b", 3, 4)
    assert (copy.cmd, copy.original, copy.line) == ("COPY", "COPY --from=a /x /y", 6)
    assert df.stages[0].from_.line == 1


# ---- exec form (JSON) and shell form


@pytest.mark.parametrize(("text", "want"), [
    ('CMD ["a", "b"]', ["a", "b"]),
    ("CMD []", []),
    ('CMD [""]', [""]),
    ('CMD\t[\t"a",\t"b"\t]\t', ["a", "b"]),
    ('CMD ["abc 123", "♥", "\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000"]',
     ["abc 123", "♥", '" \\ / \b \f \n \r \t \x00']),  # buildkit testfiles/json
    ("CMD [a]", None),
    ("CMD ['a']", None),  # buildkit jeztah-invalid-json-single-quotes
    ('CMD ["a" "b"]', None),
    ('CMD ["a"', None),  # unterminated bracket
    ('CMD ["a"] x', None),
    ('CMD [NaN]', None),
    ("CMD a b", None),
    ('ENTRYPOINT ["sh", "-c"]', ["sh", "-c"]),
    ('RUN --network=none ["a"]', ["a"]),
    ('SHELL ["/bin/bash", "-c"]', ["/bin/bash", "-c"]),
    ('COPY ["a b", "/c d/"]', ["a b", "/c d/"]),
    ('ADD ["a", "/b"]', ["a", "/b"]),
    ('VOLUME ["/a", "/b"]', ["/a", "/b"]),
    ('HEALTHCHECK CMD ["x", "y"]', ["x", "y"]),
    ('ENV A ["x"]', None),
    ('LABEL ["x"]=y', None),
])
def test_json_and_shell_forms(text: str, want: list[str] | None) -> None:
    assert only(text).json == want


def test_args() -> None:
    assert only("COPY  a   b  /c/").args == ["a", "b", "/c/"]
    assert only('COPY "a b" c').args == ['"a', 'b"', "c"]  # buildkit: split at whitespace only
    assert only("CMD echo  a").args == ["echo  a"]
    assert only('CMD ["a"]').args == ["a"]
    assert only("HEALTHCHECK  CMD   a b").args == ["CMD", "a b"]  # buildkit testfiles/health
    assert only('HEALTHCHECK CMD ["a"]').args == ["CMD", "a"]
    assert only("HEALTHCHECK NONE").args == ["NONE"]
    assert only('ENV a="b c" d=e').args == ['a="b c"', "d=e"]
    assert only("EXPOSE 80/tcp 443").args == ["80/tcp", "443"]
    assert only("USER a b").args == ["a b"]


def test_json_of_other_values_is_an_error() -> None:
    # buildkit testfiles-negative/shykes-nested-json
    assert error('FROM a\nCMD [ "echo", [ "nested json" ] ]') == ("dockerfile parse error on line 2: "
                                                                 "when using JSON array syntax, arrays must "
                                                                 "be comprised of strings only")
    assert "comprised of strings" in error("FROM a\nRUN [1]")
    assert "comprised of strings" in error("FROM a\nONBUILD RUN [null]")
    assert "comprised of strings" in error("FROM a\nHEALTHCHECK CMD [true]")


# ---- flags


def test_flags() -> None:
    ins = only("COPY --from=build --chown='a b' --link --chmod=0755 src /dst")
    assert ins.flags == {"from": "build", "chown": "a b", "link": "", "chmod": "0755"}
    assert ins.rest == "src /dst"
    ins = only("RUN --mount=type=cache,target=/a --mount=type=secret,id=x --network=none make")
    assert ins.flags["mount"] == "type=secret,id=x"
    assert ins.flag_list == [("mount", "type=cache,target=/a"), ("mount", "type=secret,id=x"),
                             ("network", "none")]
    assert only("ADD --exclude=*.md --exclude=x --keep-git-dir=true --checksum=sha256:ab u /d").flag_list == [
        ("exclude", "*.md"), ("exclude", "x"), ("keep-git-dir", "true"), ("checksum", "sha256:ab")]
    assert only("COPY --link=false -- --a /b").flags == {"link": "false"}
    assert only("COPY --link=false -- --a /b").rest == "--a /b"
    assert only('COPY --from="a\\"b" x y').flags == {"from": 'a"b'}
    assert only("HEALTHCHECK --interval=5s --timeout=3s --retries=3 \\\n  CMD /check").flags == {
        "interval": "5s", "timeout": "3s", "retries": "3"}
    df = parse("FROM --platform=$BUILDPLATFORM golang AS Build\n")
    stage = df.stages[0]
    assert (stage.platform, stage.name, stage.base) == ("$BUILDPLATFORM", "build", "golang")


@pytest.mark.parametrize(("text", "msg"), [
    ("COPY --user=me foo /tmp/", "unknown flag: --user"),
    ("COPY --form=a b c", "unknown flag: --form (did you mean from?)"),
    ("ADD --from=a b c", "unknown flag: --from"),
    ("RUN --mout=type=cache x", "unknown flag: --mout (did you mean mount?)"),
    ("WORKDIR --x=1 /a", "unknown flag: --x"),
    ("CMD --doit [ \"a\" ]", "unknown flag: --doit"),
    ("COPY --from=a --from=b c d", "duplicate flag specified: --from"),
    ("COPY --from c d", "missing a value on flag: --from"),
    ("COPY --link= c d", "missing a value on flag: --link"),
    ("COPY --link=yes c d", "expecting boolean value for flag --link, not: yes"),
    ("HEALTHCHECK --interval CMD x", "missing a value on flag: --interval"),
])
def test_flag_errors_as_buildkit(text: str, msg: str) -> None:
    assert error("FROM a\n" + text) == f"dockerfile parse error on line 2: {msg}"


def test_flags_buildkit_does_not_read() -> None:
    assert only("ARG --x=1 A").flags == {}
    assert only("STOPSIGNAL --x SIGTERM").rest == "SIGTERM"
    assert only("HEALTHCHECK --x NONE").args == ["NONE"]


# ---- heredocs


def test_heredocs_as_buildkit() -> None:
    text = ("FROM a\nRUN <<EOF\n\tfoo\nEOF\nRUN <<-UNINDENT\n\tbaz\n\tquux\n\tUNINDENT\n"
            "RUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND\n"
            "COPY <<FILE1 <<FILE2 /dest\ncontent 1\nFILE1\ncontent 2\nFILE2\n"
            "COPY <<X <<Y /dest\nY\nX\nX\nY\n"
            "RUN <<COMPLEX python3\nprint('hello world')\nCOMPLEX\n"
            "RUN <<eo'f'\necho foo\neof\nRUN <<eo\\'f\necho foo\neo'f\nRUN <<'e'o\\'f\necho foo\neo'f\n"
            "RUN <<'one two'\necho bar\none two\nRUN <<$EOF\n$EOF\nRUN <<  EOF  > foo\nEOF\n"
            "RUN 3<<EMPTY2\nEMPTY2\nRUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT\n"
            "RUN <<COMMENT\n# internal comment\necho foo bar # trailing\nCOMMENT\n")
    instructions = parse(text).stages[0].instructions
    got = [[(h.name, h.body, h.expand, h.chomp) for h in i.heredocs] for i in instructions]
    assert got == [
        [("EOF", "\tfoo\n", True, False)],
        [("UNINDENT", "\tbaz\n\tquux\n", True, True)],
        [("NOEXPAND", "\tdon't expand $NAME\n", False, True)],
        [("FILE1", "content 1\n", True, False), ("FILE2", "content 2\n", True, False)],
        [("X", "Y\n", True, False), ("Y", "X\n", True, False)],
        [("COMPLEX", "print('hello world')\n", True, False)],
        [("eof", "echo foo\n", False, False)],
        [("eo'f", "echo foo\n", True, False)],
        [("eo'f", "echo foo\n", False, False)],
        [("one two", "echo bar\n", False, False)],
        [("$EOF", "", True, False)],
        [("EOF", "", True, False)],
        [("EMPTY2", "", True, False)],
        [("MOUNT", "echo hello\n", True, False)],
        [("COMMENT", "# internal comment\necho foo bar # trailing\n", True, False)],
    ]


def test_heredoc_instruction_and_lines() -> None:
    df = parse("FROM a\nRUN <<EOF bash -e\necho $HOME\n\n  done\nEOF\nRUN b\n")
    run, after = df.stages[0].instructions
    assert (run.rest, run.json, run.line, run.end_line) == ("<<EOF bash -e", None, 2, 6)
    assert run.heredocs == [Heredoc("EOF", "echo $HOME\n\n  done\n", expand=True, chomp=False)]
    assert (after.rest, after.line) == ("b", 7)
    assert Heredoc("E", "\ta\n\t\tb\nc\t\n", True, True).content() == "a\nb\nc\t\n"
    assert Heredoc("E", "\ta\n", True, False).content() == "\ta\n"


def test_not_heredocs() -> None:
    df = parse('FROM a\nUSER <<INVALID\nRUN ["<<EOF"]\nRUN "<<NOHEREDOC"\nRUN a<<b\nRUN echo <<\n')
    assert [i.heredocs for i in df.stages[0].instructions] == [[]] * 5
    assert [i.cmd for i in df.stages[0].instructions] == ["USER", "RUN", "RUN", "RUN", "RUN"]


def test_heredoc_in_onbuild_and_with_backtick_escape() -> None:
    ins = only("ONBUILD RUN <<EOF\necho hi\nEOF\n")
    assert (ins.rest, ins.heredocs) == ("RUN <<EOF", [Heredoc("EOF", "echo hi\n", True, False)])
    df = parse("# escape=`\nFROM a\nRUN <<EOF\nx\nEOF\n")
    assert df.stages[0].instructions[0].heredocs[0].body == "x\n"


def test_heredoc_errors() -> None:
    assert error("FROM a\nRUN <<EOF\necho\n") == "dockerfile parse error on line 2: unterminated heredoc"
    assert error("FROM a\nRUN <<-EOF\n EOF\n") == "dockerfile parse error on line 2: unterminated heredoc"
    assert error("FROM a\nCOPY x <<EOF\nEOF\n") == (
        "dockerfile parse error on line 2: COPY cannot accept a heredoc as a destination")


# ---- stages


def test_stages_and_meta_args() -> None:
    df = parse("ARG BASE=alpine\nARG V\nFROM ${BASE}:3 AS Base\nRUN a\nFROM base\n"
               "FROM --platform=linux/arm64 x as y\nCOPY --from=base / /\n")
    assert isinstance(df, Dockerfile)
    assert [a.rest for a in df.meta_args] == ["BASE=alpine", "V"]
    assert [(s.base, s.name, s.platform, len(s.instructions)) for s in df.stages] == [
        ("${BASE}:3", "base", "", 1), ("base", "", "", 0), ("x", "y", "linux/arm64", 1)]
    assert df.stages[2].from_.cmd == "FROM"
    assert stage_index(df, "BASE") == 0
    assert stage_index(df, "y") == 2
    assert stage_index(df, "1") == 1
    assert stage_index(df, "alpine") is None
    assert stage_index(df, "") is None
    with pytest.raises(InvalidArgument, match="invalid stage index 3"):
        stage_index(df, "3")


def test_stage_index_last_of_a_name() -> None:
    df = parse("FROM a AS x\nFROM b AS X\nFROM c\n")
    assert stage_index(df, "x") == 1  # buildkit: later stages of a name replace earlier ones


# ---- instruction errors


@pytest.mark.parametrize(("text", "msg"), [  # "N: msg": at line N
    ("FROM a\nFRM b", "2: unknown instruction: FRM (did you mean FROM?)"),
    ("FROM a\nrunn b", "2: unknown instruction: runn (did you mean run?)"),
    ("FROM a\ncopyy b c", "2: unknown instruction: copyy (did you mean copy?)"),
    ("FROM a\nFOOBAR", "2: unknown instruction: FOOBAR"),
    ("RUN a", "1: no build stage in current context"),
    ("ARG A\n\nENV B=c\nFROM a", "3: no build stage in current context"),
    ("FROM", "1: FROM requires either one or three arguments"),
    ("FROM a b", "1: FROM requires either one or three arguments"),
    ("FROM a to b", "1: FROM requires either one or three arguments"),
    ("FROM a AS 1x", 'dockerfile parse error on line 1: invalid name for build stage: "1x", '
                     "name can't start with a number or contain symbols"),
    ("FROM a AS b/c", 'dockerfile parse error on line 1: invalid name for build stage: "b/c", '
                      "name can't start with a number or contain symbols"),
    ("FROM a\nONBUILD ONBUILD RUN x",
     "2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
    ("FROM a\nONBUILD from b", "2: FROM isn't allowed as an ONBUILD trigger"),
    ("FROM a\nONBUILD MAINTAINER b", "2: MAINTAINER isn't allowed as an ONBUILD trigger"),
    ("FROM a\nONBUILD", "2: ONBUILD requires at least one argument"),
    ("FROM a\nCOPY x", "2: COPY requires at least two arguments, but only one "
                       "was provided. Destination could not be determined"),
    ("FROM a\nADD", "2: ADD requires at least two arguments, but only one "
                    "was provided. Destination could not be determined"),
    ("FROM a\nWORKDIR", "2: WORKDIR requires exactly one argument"),
    ("FROM a\nUSER", "2: USER requires exactly one argument"),
    ("FROM a\nEXPOSE", "2: EXPOSE requires at least one argument"),
    ("FROM a\nVOLUME", "2: VOLUME requires at least one argument"),
    ('FROM a\nVOLUME ["/a", " "]', "2: VOLUME specified can not be an empty string"),
    ("FROM a\nSHELL /bin/sh -c", "2: SHELL requires the arguments to be in JSON form"),
    ("FROM a\nSHELL []", "2: SHELL requires at least one argument"),
    ("FROM a\nHEALTHCHECK", "2: HEALTHCHECK requires at least one argument"),
    ("FROM a\nHEALTHCHECK NONE x", "2: HEALTHCHECK NONE takes no arguments"),
    ("FROM a\nHEALTHCHECK CMD", "2: Missing command after HEALTHCHECK CMD"),
    ("FROM a\nHEALTHCHECK CONNECT TCP 7000",
     'dockerfile parse error on line 2: Unknown type "CONNECT" in HEALTHCHECK (try CMD)'),
    ("FROM a\nENV", "2: ENV requires at least one argument"),
    ("FROM a\nENV A", "2: ENV must have two arguments"),  # env_no_value
    ("FROM a\nLABEL =x", "2: LABEL names can not be blank"),
    ("FROM a\nENV a=b c", "2: Syntax error - can't find = in \"c\". "
                          "Must be of the form: name=value"),
    ("FROM a\nARG", "2: ARG requires at least one argument"),
    ("FROM a\n\nRUN a \\\n b\nBAD", "5: unknown instruction: BAD (did you mean ADD?)"),
    ("FROM a\nRUN <<E\nE\nXYZZY", "4: unknown instruction: XYZZY"),
    ("", "the Dockerfile cannot be empty"),
    ("# only\n\n   \n# comments\n", "file with no instructions"),  # buildkit only_comments
])
def test_errors_as_buildkit(text: str, msg: str) -> None:
    line, _, what = msg.partition(": ")
    assert error(text) == (f"dockerfile parse error on line {line}: {what}" if line.isdecimal() else msg)


def test_parser_errors_come_before_instruction_errors() -> None:
    # buildkit parses the whole file before it checks the instructions
    assert error("FROM a\nFRM x\nRUN <<EOF\n") == "dockerfile parse error on line 3: unterminated heredoc"


def test_every_instruction() -> None:
    text = ("FROM a\nRUN a\nCMD b\nLABEL a=b\nMAINTAINER me\nEXPOSE 80\nENV a=b\nADD a b\nCOPY a b\n"
            "ENTRYPOINT c\nVOLUME /v\nUSER u\nWORKDIR /w\nARG x\nONBUILD RUN x\nSTOPSIGNAL TERM\n"
            "HEALTHCHECK NONE\nSHELL [\"sh\"]\n")
    got = [i.cmd for i in parse(text).stages[0].instructions]
    assert got == ["RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                   "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"]
    onbuild = parse(text).stages[0].instructions[13]
    assert (onbuild.rest, onbuild.json, onbuild.args) == ("RUN x", None, ["RUN x"])
