"""hutch.build.words: docker's shell-word rules.

The tables marked "buildkit" are the vectors of buildkit's own lexer tests
(moby/buildkit frontend/dockerfile/shell: envVarTest, wordsTest, lex_test.go;
parser/parser_test.go TestParseWords, parser/testfiles/env), with the outputs buildkit
asserts; the Windows-only rows (``$pwd`` is ``$PWD`` there) are left out.
"""

from __future__ import annotations

import pytest

from hutch.build import words as w
from hutch.errors import InvalidArgument

ERR = "error"

# buildkit envVarTest, env PWD=/home SHELL=bash KOREAN=한국어 NULL= (ProcessWord).
ENV_VAR_ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""}
ENV_VAR_TESTS = [
    ("hello", "hello"), ("he'll'o", "hello"), ("he'llo", ERR), ("he\\'llo", "he'llo"),
    ("he\\\\'llo", ERR), ("abc\\tdef", "abctdef"), ('"abc\\tdef"', "abc\\tdef"),
    ('"abc\\\\tdef"', "abc\\tdef"), ("'abc\\tdef'", "abc\\tdef"), ("hello\\", "hello"),
    ("hello\\\\", "hello\\"), ('"hello', ERR), ('"hello\\"', ERR), ('"hel\'lo"', "hel'lo"),
    ("'hello", ERR), ("'hello\\'", "hello\\"), ("'hello\\there'", "hello\\there"),
    ("'hello\\\\there'", "hello\\\\there"), ("\"''\"", "''"), ("$.", "$."), ("he$1x", "hex"),
    ("he$.x", "he$.x"), ("he$pwd.", "he."), ("he$PWD", "he/home"), ("he\\$PWD", "he$PWD"),
    ("he\\\\$PWD", "he\\/home"), ('"he\\$PWD"', "he$PWD"), ('"he\\\\$PWD"', "he\\/home"),
    ("\\${}", "${}"), ("\\${}aaa", "${}aaa"), ("he\\${}", "he${}"), ("he\\${}xx", "he${}xx"),
    ("${}", ERR), ("${}aaa", ERR), ("he${}", ERR), ("he${}xx", ERR), ("he${hi}", "he"),
    ("he${hi}xx", "hexx"), ("he${PWD}", "he/home"), ("he${.}", ERR),
    ("he${XXX:-000}xx", "he000xx"), ("he${PWD:-000}xx", "he/homexx"),
    ("he${XXX:-$PWD}xx", "he/homexx"), ("he${XXX:-${PWD:-yyy}}xx", "he/homexx"),
    ("he${XXX:-${YYY:-yyy}}xx", "heyyyxx"), ("he${XXX:YYY}", ERR), ("he${XXX?}", ERR),
    ("he${XXX:?}", ERR), ("he${PWD?}", "he/home"), ("he${PWD:?}", "he/home"),
    ("he${NULL?}", "he"), ("he${NULL:?}", ERR), ("he${XXX:+${PWD}}xx", "hexx"),
    ("he${PWD:+${XXX}}xx", "hexx"), ("he${PWD:+${SHELL}}xx", "hebashxx"),
    ("he${XXX:+000}xx", "hexx"), ("he${PWD:+000}xx", "he000xx"), ("'he${XX}'", "he${XX}"),
    ('"he${PWD}"', "he/home"), ("\"he'$PWD'\"", "he'/home'"), ('"$PWD"', "/home"),
    ("'$PWD'", "$PWD"), ("'\\$PWD'", "\\$PWD"), ("'\"hello\"'", '"hello"'),
    ("'he\\$PWD'", "he\\$PWD"), ("he${PWD", ERR), ("he${PWD:=000}xx", ERR),
    ("he${PWD:+${PWD}:}xx", "he/home:xx"), ("he${XXX:-\\$PWD:}xx", "he$PWD:xx"),
    ("he${XXX:-\\${PWD}z}xx", "he${PWDz}xx"),
    ("안녕하세요", "안녕하세요"), ("안'녕'하세요", "안녕하세요"), ("안'녕하세요", ERR),
    ("안녕\\'하세요", "안녕'하세요"), ("안\\\\'녕하세요", ERR), ("안녕\\t하세요", "안녕t하세요"),
    ('"안녕\\t하세요"', "안녕\\t하세요"), ("'안녕\\t하세요", ERR), ("안녕$1x", "안녕x"),
    ("안녕${XXX:-${YYY:-yyy}}xx", "안녕yyyxx"), ("$KOREAN", "한국어"), ("안녕$KOREAN", "안녕한국어"),
    ("${{aaa}", ERR), ("${aaa}}", "}"), ("${aaa", ERR), ("${{aaa:-bbb}", ERR),
    ("${aaa:-bbb}}", "bbb}"), ("${aaa:-bbb", ERR), ("${aaa:-bbb}", "bbb"),
    ("${aaa:-${bbb:-ccc}}", "ccc"), ("${aaa:-bbb ${foo}", ERR), ("${aaa:-bbb {foo}", "bbb {foo"),
    ("${:}", ERR), ("${:-bbb}", ERR), ("${:+bbb}", ERR),
    # positional and special parameters are never set
    ("$1", ""), ("${1}", ""), ("${1:+bbb}", ""), ("${1:-bbb}", "bbb"), ("$9", ""),
    ("$999", ""), ("${999:-bbb}", "bbb"), ("$999aaa", "aaa"), ("${999}aaa", "aaa"),
    ("${999:+bbb}aaa", "aaa"), ("${999:-bbb}aaa", "bbbaaa"), ("$001", ""), ("$001aaa", "aaa"),
    ("${001:-bbb}aaa", "bbbaaa"), ("$@", ""), ("${@}", ""), ("${@:+bbb}", ""), ("${@:-bbb}", "bbb"),
    ("$@@@", "@@"), ("$@aaa", "aaa"), ("${@:-bbb}aaa", "bbbaaa"), ("$*", ""), ("${*:-bbb}", "bbb"),
    ("$#", ""), ("${#}", ""), ("${#:+bbb}", ""), ("${#:-bbb}", "bbb"), ("$?", ""), ("${?:-bbb}", "bbb"),
    ("$-", ""), ("${-:-bbb}", "bbb"), ("$$", ""), ("${$}", ""), ("${$:-bbb}", "bbb"), ("$!", ""),
    ("${!:+bbb}", ""), ("$0", ""), ("${0}", ""), ("${0:-bbb}", "bbb"),
]


@pytest.mark.parametrize(("src", "want"), ENV_VAR_TESTS)
def test_expand_as_buildkit_env_var_test(src: str, want: str) -> None:
    if want == ERR:
        with pytest.raises(InvalidArgument, match=r"^failed to process "):
            w.expand(src, ENV_VAR_ENV)
    else:
        assert w.expand(src, ENV_VAR_ENV) == want


# buildkit wordsTest (ProcessWords): env lines accumulate; "," separates the expected words.
WORDS_TESTS: list[tuple[dict[str, str], str, list[str] | None]] = [
    ({}, "hello", ["hello"]),
    ({}, "hello${hi}bye", ["hellobye"]),
    ({"hi": "hi"}, "hello${hi}bye", ["hellohibye"]),
    ({"space": "abc  def"}, "hello${space}bye", ["helloabc", "defbye"]),
    ({"space": "abc  def"}, 'hello"${space}"bye', ["helloabc  defbye"]),
    ({"space": "abc  def"}, 'hello "${space}"bye', ["hello", "abc  defbye"]),
    ({"leading": "  ab c"}, "hello${leading}def", ["hello", "ab", "cdef"]),
    ({"leading": "  ab c"}, 'hello"${leading}" def', ["hello  ab c", "def"]),
    ({"leading": "  ab c"}, 'hello"${leading}"', ["hello  ab c"]),
    ({"leading": "  ab c"}, "hello${leading}", ["hello", "ab", "c"]),
    ({"trailing": "ab c   "}, "hello${trailing}", ["helloab", "c"]),
    ({"trailing": "ab c   "}, "hello${trailing}d", ["helloab", "c", "d"]),
    ({"trailing": "ab c   "}, 'hello"${trailing}"d', ["helloab c   d"]),
    ({"trailing": "ab c   "}, 'hel"lo${trailing}"', ["helloab c   "]),
    ({}, 'hello" there  "', ["hello there  "]),
    ({}, "hello there     ", ["hello", "there"]),
    ({}, "hello\\ there", ["hello there"]),
    ({}, 'hello" there', None),
    ({}, 'hello\\" there', ['hello"', "there"]),
    ({}, 'hello"\\\\there"', ["hello\\there"]),
    ({}, 'hello"\\there"', ["hello\\there"]),
    ({}, "hello'\\\\there'", ["hello\\\\there"]),
    ({}, "hello'\\there'", ["hello\\there"]),
    ({}, "hello'$there'", ["hello$there"]),
]


@pytest.mark.parametrize(("env", "src", "want"), WORDS_TESTS)
def test_expand_words_as_buildkit_words_test(env: dict[str, str], src: str, want: list[str] | None) -> None:
    if want is None:
        with pytest.raises(InvalidArgument):
            w.expand_words(src, env)
    else:
        assert w.expand_words(src, env) == want


def test_expand_words_drops_empty_words_and_keeps_quoted_blanks() -> None:
    assert w.expand_words("", {}) == []
    assert w.expand_words('a "" b', {}) == ["a", "b"]  # buildkit: an empty quoted word is dropped
    assert w.expand_words("'a b' c", {}) == ["a b", "c"]
    assert w.expand_words("  $EMPTY  x ", {"EMPTY": ""}) == ["x"]


# buildkit lex_test.go TestProcessWithMatches (the values; matches are not tracked here).
MATCH_TESTS: list[tuple[str, dict[str, str], str | None]] = [
    ("x ${UNUSED}", {}, "x "),
    ("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", {"FOO": "xxx", "BAR": ""}, "xxx  ccc"),
    ("${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", {"FOO": "xxx", "BAR": ""}, "xxx bbb ccc"),
    ("${FOO:-}", {"FOO": "xxx"}, "xxx"),
    ("${FOO:-}", {}, ""),
    ("${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", {"FOO": "xxx", "BAR": ""}, "aaa bbb "),
    ("${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", {"FOO": "xxx", "BAR": ""}, "aaa  "),
    ("${FOO?aaa}", {"FOO": "xxx"}, "xxx"),
    ("${BAR?bbb}", {"BAR": ""}, ""),
    ("${BAZ?ccc}", {}, None),
    ("${FOO:?aaa}", {"FOO": "xxx"}, "xxx"),
    ("${BAR:?bbb}", {"BAR": ""}, None),
    ("${BAZ:?ccc}", {}, None),
    ("${BAZ:?}", {}, None),
    ("${FOO=aaa}", {"FOO": "xxx"}, None),
    ("${FOO=:aaa}", {"FOO": "xxx"}, None),
    ("${FOO=}", {}, None),
    ("${FOO#()[]{\\}^$.\\*\\?|\\\\}", {"FOO": "()[]{}^$.*?|\\x"}, "x"),
    ("${FOO%%\\**}", {"FOO": "xx**"}, "xx"),
    ("${FOO#*x*y}", {"FOO": "xxyy"}, "y"),
    ("${FOO#*}", {"FOO": "xxyy"}, "xxyy"),
    ("${FOO#$BAR}", {"FOO": "xxyy", "BAR": "x"}, "xyy"),
    ("${FOO#$BAR}", {"FOO": "xxyy", "BAR": ""}, "xxyy"),
    ("${FOO#}", {"FOO": "xxyy"}, "xxyy"),
    ("${FOO##*x}", {"FOO": "xxyy"}, "yy"),
    ("${FOO##}", {"FOO": "xxyy"}, "xxyy"),
    ("${FOO#?\\?}", {"FOO": "???y"}, "?y"),
    ("${ABC:-.}${FOO%x}${ABC:-.}", {"FOO": "xxyy"}, ".xxyy."),
    ("${FOO%%\\**\\*}", {"FOO": "a***yy*"}, "a"),
    ("${FOO%}", {"FOO": "xxyy"}, "xxyy"),
    ("${FOO%%$BAR}", {"FOO": "xxyy", "BAR": ""}, "xxyy"),
    ("${FOO:#}", {}, None),
    ("${FOO:##}", {}, None),
    ("${FOO:%}", {}, None),
    ("${FOO:%%}", {}, None),
    ("${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}", {"FOO": "/foo*/*/*.txt", "NEEDLE": "\\*/"},
     "/foo.*/*.txt - /foo..*.txt"),
    ("${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}", {"FOO": "/tmp/tmp/bar.txt", "NEEDLE": "/tmp"},
     "/tmp/bar.txt - /bar.txt"),
    ("${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}",
     {"FOO": "/a/foo/b/c.txt", "NEEDLE": "/?/", "REPLACEMENT": "/"}, "/foo/b/c.txt - /foo/c.txt"),
    ("${FOO/$NEEDLE/$REPLACEMENT}", {"FOO": "http://google.de", "NEEDLE": "http://",
                                     "REPLACEMENT": "https://"}, "https://google.de"),
    ("${FOO//\\//\\/}", {"FOO": "/tmp/foo.txt"}, "\\/tmp\\/foo.txt"),
    ("${FOO/$BAR/ww}", {"FOO": "xxyy", "BAR": ""}, "wwxxyy"),
    ("${FOO//ww}", {"FOO": "xxyy"}, None),
    ("${FOO//}", {"FOO": "xxyy"}, None),
    ("${FOO///}", {"FOO": "xxyy"}, "xxyy"),
    ("${FOO///}", {}, ""),
    # TestProcessWithMatchesPlatform
    ("x-${V}.${OS}-${ARCH}${VARIANT:+-${VARIANT}}.tgz", {"V": "1", "OS": "linux", "ARCH": "arm",
                                                          "VARIANT": "v7"}, "x-1.linux-arm-v7.tgz"),
    ("x-${V}.${OS}-${ARCH}${VARIANT:+-${VARIANT}}.tgz", {"V": "1", "OS": "linux", "ARCH": "arm64",
                                                          "VARIANT": ""}, "x-1.linux-arm64.tgz"),
]


@pytest.mark.parametrize(("src", "env", "want"), MATCH_TESTS)
def test_expand_as_buildkit_process_with_matches(src: str, env: dict[str, str], want: str | None) -> None:
    if want is None:
        with pytest.raises(InvalidArgument):
            w.expand(src, env)
    else:
        assert w.expand(src, env) == want


def test_mandatory_variables_messages() -> None:
    # buildkit TestShellParserMandatoryEnvVars: the message is expanded too
    for env in ({"VAR": "", "ARG": "x"}, {"ARG": "x"}):
        with pytest.raises(InvalidArgument, match="message herex"):
            w.expand("${VAR:?message here$ARG}", env)
    assert w.expand("${VAR?message here$ARG}", {"VAR": "", "ARG": "x"}) == ""
    with pytest.raises(InvalidArgument) as err:
        w.expand("${A:?}", {})
    assert str(err.value) == 'failed to process "${A:?}": A: is not allowed to be unset'
    with pytest.raises(InvalidArgument) as err:
        w.expand("${A:?}", {"A": ""})
    assert str(err.value) == 'failed to process "${A:?}": A: is not allowed to be empty'
    with pytest.raises(InvalidArgument) as err:
        w.expand("${A?must be set}", {})
    assert str(err.value) == 'failed to process "${A?must be set}": A: must be set'


@pytest.mark.parametrize(("src", "msg"), [
    ("'a", "unexpected end of statement while looking for matching single-quote"),
    ('"a', "unexpected end of statement while looking for matching double-quote"),
    ("${}", "syntax error: bad substitution"),
    ("${A", "syntax error: missing '}'"),
    ("${A:", "syntax error: missing '}'"),
    ("${A:-b", "syntax error: missing '}'"),
    ("${A/b", "syntax error: missing '/' in ${}"),
    ("${A:=b}", "unsupported modifier (:=) in substitution"),
    ("${A:#b}", "unsupported modifier (:#) in substitution"),
    ("${A#\\x}", "invalid pattern (\\x) in substitution: invalid escape '\\x'"),
])
def test_error_messages(src: str, msg: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        w.expand(src, {"A": "v"})
    assert str(err.value) == f"failed to process {w.goquote(src)}: {msg}"


def test_whitespace_kept_and_escape_token_backtick() -> None:
    assert w.expand("  a  b ", {}) == "  a  b "
    assert w.expand("a`$B`", {"B": "x"}, escape="`") == "a$B"
    assert w.expand("C:\\dir`\"", {}, escape="`") == 'C:\\dir"'  # \ is plain with ` escapes
    assert w.expand('"a``b`"c"', {}, escape="`") == 'a`b"c'
    assert w.expand_words("a` b c", {}, escape="`") == ["a b", "c"]


def test_replace_all_as_go() -> None:
    # Go's ReplaceAllString: no empty match right after a match; $0 is the match
    assert w.expand("${A//*/x}", {"A": "abc"}) == "x"
    assert w.expand("${A//b/[\\$0]}", {"A": "abc"}) == "a[\\b]c"
    assert w.expand("${A/b/[\\$0]}", {"A": "abc"}) == "a[\\$0]c"  # the first only: as written


def test_unexpanded_words_modes() -> None:
    assert w.unexpanded_words("a $B ${C:-d} 'e f'") == ["a", "$B", "${C:-d}", "e f"]
    assert w.unexpanded_words("<<'E'O\\F x", raw_quotes=True) == ["<<'E'OF", "x"]
    assert w.unexpanded_words("<<'E'O\\F", raw_quotes=True, raw_escapes=True) == ["<<'E'O\\F"]
    assert w.unexpanded_words("<<  EOF > f") == ["<<  EOF", ">", "f"]


# buildkit parser_test.go TestParseWords (quotes and escapes kept)
@pytest.mark.parametrize(("src", "want"), [
    ("foo", ["foo"]), ("foo bar", ["foo", "bar"]), ("foo\\ bar", ["foo\\ bar"]),
    ("foo=bar", ["foo=bar"]), ("foo bar 'abc xyz'", ["foo", "bar", "'abc xyz'"]),
    ('foo bar "abc xyz"', ["foo", "bar", '"abc xyz"']), ("àöû", ["àöû"]),
    ('föo bàr "âbc xÿz"', ["föo", "bàr", '"âbc xÿz"']),
    ("a=\"\" b=''", ['a=""', "b=''"]), ('"" x', ['""', "x"]), ("a\\", ["a"]),
])
def test_parse_words_as_buildkit(src: str, want: list[str]) -> None:
    assert w.parse_words(src) == want


# buildkit parser/testfiles/env: the raw pairs its parser makes
@pytest.mark.parametrize(("src", "want"), [
    ("name value", [("name", "value")]),
    ("name=value", [("name", "value")]),
    ("name=value name2=value2", [("name", "value"), ("name2", "value2")]),
    ('name="value value1"', [("name", '"value value1"')]),
    ("name=value\\ value2", [("name", "value\\ value2")]),
    ("name=\"value'quote space'value2\"", [("name", "\"value'quote space'value2\"")]),
    ('name="a\\"b"', [("name", '"a\\"b"')]),
    ("name='a\\'b''", [("name", "'a\\'b''")]),
    ("name=value name1=value1 name2=\"value2a            value2b\"",
     [("name", "value"), ("name1", "value1"), ("name2", '"value2a            value2b"')]),
    ("name   some value  here", [("name", "some value  here")]),
])
def test_split_pairs_as_buildkit(src: str, want: list[tuple[str, str]]) -> None:
    assert w.split_pairs(src) == want


def test_pairs_expand_keys_and_values() -> None:
    env = {"X": "ex", "E": ""}
    assert w.pairs('K=V K2="v 2" K3= K4=$X "K 5"=a\\ b', env) == [
        ("K", "V"), ("K2", "v 2"), ("K3", ""), ("K4", "ex"), ("K 5", "a b")]
    assert w.pairs("PATH /usr/bin:$X  and more", env) == [("PATH", "/usr/bin:ex  and more")]
    assert w.pairs("${X}_KEY=${E:-def}", env) == [("ex_KEY", "def")]
    assert w.pairs("A=`$X B=x", env, escape="`") == [("A", "$X"), ("B", "x")]
    assert w.pairs("A=b=c", env) == [("A", "b=c")]


def test_pairs_arg_bare_names() -> None:
    assert w.pairs("A B=1 C= D=$X", {"X": "x"}, allow_bare=True) == [
        ("A", None), ("B", "1"), ("C", ""), ("D", "x")]
    assert w.pairs("A", {}, allow_bare=True) == [("A", None)]


@pytest.mark.parametrize(("src", "kw", "msg"), [
    ("", {}, "ENV requires at least one argument"),
    ("", {"cmd": "LABEL"}, "LABEL requires at least one argument"),
    ("", {"allow_bare": True}, "ARG requires at least one argument"),
    ("KEY", {}, "ENV must have two arguments"),
    ("=x", {}, "ENV names can not be blank"),
    ("a=b =c", {"cmd": "LABEL"}, "LABEL names can not be blank"),
    ("=x", {"allow_bare": True}, "ARG names can not be blank"),
    ("a=b c", {}, 'Syntax error - can\'t find = in "c". Must be of the form: name=value'),
])
def test_pairs_errors_as_buildkit(src: str, kw: dict[str, object], msg: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        w.pairs(src, {}, **kw)  # type: ignore[arg-type]
    assert str(err.value) == msg


def test_goquote() -> None:
    assert w.goquote('a"b\\c\n\x01é') == '"a\\"b\\\\c\\n\\x01é"'


def test_expand_modes_the_builder_uses() -> None:
    # a heredoc's body (buildkit's SkipProcessQuotes): quotes are text, $ and escapes still work
    body = "echo \"$A\" '$B' \\$C it's\n"
    assert w.expand(body, {"A": "a", "B": "b"}, quotes=False) == "echo \"a\" 'b' $C it's\n"
    # a RUN step's name (RawQuotes + SkipUnsetEnv): quotes kept, unset variables as written
    assert w.expand('echo "$A" $B ${C:-x} \'$A\'', {"A": "a"}, raw_quotes=True, keep_unset=True) == (
        "echo \"a\" $B ${C:-x} '$A'")
