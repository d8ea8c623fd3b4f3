"""hutch.cli.gotemplate: Go's text/template as docker's --format runs it.

The tables of outputs and parse errors were taken from the docker CLI on this machine (its
client evaluates `docker version --format` templates, and `docker context ls --format` runs
docker's formatter on a struct, before either needs a daemon)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hutch.cli import gotemplate as g
from hutch.errors import HutchError

# What `docker version --format T` printed (docker 28.2.2 built with go1.24.3: its client evaluates
# these before it needs the daemon; its template is named "version", here ""), one JSON a line.
with open(os.path.join(os.path.dirname(__file__), "data", "gotemplate_docker.jsonl"), encoding="utf-8") as _f:
    _DOCKER = [json.loads(line) for line in _f]
DOCKER_OUTPUTS = [(d["template"], d["output"]) for d in _DOCKER if "output" in d]
DOCKER_PARSE_ERRORS = [(d["template"], d["error"]) for d in _DOCKER if "error" in d]


def run(text: str, data: object = None, strict: bool = False) -> str:
    return g.parse(text).execute({} if data is None else data, strict=strict)


def fail(text: str, data: object = None, strict: bool = False) -> str:
    with pytest.raises(g.TemplateError) as err:
        run(text, data, strict)
    return str(err.value)


@pytest.mark.parametrize(("text", "want"), DOCKER_OUTPUTS)
def test_outputs_as_docker(text: str, want: str) -> None:
    assert run(text) == want


@pytest.mark.parametrize(("text", "want"), DOCKER_PARSE_ERRORS)
def test_parse_errors_as_docker(text: str, want: str) -> None:
    assert fail(text) == want


DATA = {"A": {"B": "deep", "N": 3}, "L": ["x", "y", "z"], "M": {"b": 2, "a": 1}, "S": "Hello",
        "T": True, "F": False, "Z": 0, "E": "", "Nil": None, "Num": 1.5, "Big": 1234567.0,
        "Labels": {"a": "b"}}


@pytest.mark.parametrize(("text", "want"), [
    ("{{.S}} {{.A.B}} {{.A.N}} {{.T}} {{.Num}} {{.Big}}", "Hello deep 3 true 1.5 1.234567e+06"),
    ("{{.M}} {{.L}} {{.A}}", "map[a:1 b:2] [x y z] map[B:deep N:3]"),
    ("{{.Nil}}|{{.Missing}}|{{print .Nil}}", "<no value>|<no value>|<nil>"),
    ("{{$}}", "map[A:map[B:deep N:3] Big:1.234567e+06 E: F:false L:[x y z] Labels:map[a:b] M:map[a:1 b:2] "
              "Nil:<nil> Num:1.5 S:Hello T:true Z:0]"),
    ("{{range .L}}<{{.}}>{{end}}", "<x><y><z>"),
    ("{{range $i, $e := .L}}{{$i}}{{$e}}{{$.S}} {{end}}", "0xHello 1yHello 2zHello "),
    ("{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}", "a=1;b=2;"),
    ("{{range .M}}{{.}}{{end}}", "12"),
    ("{{range .Nil}}x{{else}}empty{{end}}|{{range slice .L 3}}x{{else}}no{{end}}", "empty|no"),
    ("{{with .A}}{{.B}}{{end}}{{with .Z}}no{{else}}zero{{end}}", "deepzero"),
    ("{{with $x := .A.B}}{{$x}}{{.}}{{end}}", "deepdeep"),
    ("{{if .T}}t{{end}}{{if .F}}f{{else if .Z}}z{{else if .L}}l{{end}}", "tl"),
    ("{{if and .T .L}}both{{end}}{{if or .F .E}}x{{else}}neither{{end}}", "bothneither"),
    ("{{and .T .S}} {{or .F .Z .S}} {{and .F .Nope}}", "Hello Hello false"),  # (and stops early)
    ("{{.S | lower | upper}} {{.S | printf \"%s!\"}} {{.S | len}}", "HELLO Hello! 5"),
    ("{{index .M \"b\"}} {{index .L 2}} {{index .A \"B\"}} {{index .M \"none\"}}", "2 z deep <no value>"),
    ("{{index .Labels \"nope\"}}|", "|"),
    ("{{slice .L 1}} {{slice .L 1 2}} {{slice .S 1 3}}", "[y z] [y] el"),
    ("{{len .L}} {{len .M}} {{len .S}}", "3 2 5"),
    ("{{(index .L 0) | upper}} {{(.A).B}}", "X deep"),
    ("{{$x := .S}}{{$x}}{{$x = \"bye\"}} {{$x}}", "Hello bye"),
    ("{{json .}}", '{"A":{"B":"deep","N":3},"Big":1234567,"E":"","F":false,"L":["x","y","z"],'
                   '"Labels":{"a":"b"},"M":{"a":1,"b":2},"Nil":null,"Num":1.5,"S":"Hello","T":true,"Z":0}'),
    ("{{json .L}} {{json .S}} {{json .Missing}}", '["x","y","z"] "Hello" null'),
    ("{{eq .S \"Hello\"}} {{eq .A.N 1 2 3}} {{ne .S \"x\"}} {{lt .A.N 4}} {{eq .Nil nil}}",
     "true true true true true"),
    ("{{range $i, $e := .L}}{{if eq $i 1}}{{continue}}{{end}}{{if eq $i 2}}{{break}}{{end}}{{$e}}{{end}}",
     "x"),
    ("{{range 3}}{{.}}{{end}}", "012"),
    ("a {{- /* gone */ -}} b\n{{- \" c\"}}", "ab c"),
    ("{{`raw\\n`}}{{\"tab\\t\"}}", "raw\\ntab\t"),
])
def test_data(text: str, want: str) -> None:
    assert run(text, DATA) == want


class Obj:
    def __init__(self) -> None:
        self.Name = "n1"
        self.Inner = Obj2()
        self._hidden = 1

    def Label(self, key: str) -> str:
        return {"com.example": "yes"}.get(key, "")

    def Upper(self) -> str:
        return self.Name.upper()


class Obj2:
    Port = 80


def test_objects_and_methods() -> None:
    o = Obj()
    assert run('{{.Name}} {{.Inner.Port}} {{.Label "com.example"}}|{{.Label "x"}}|{{.Upper}}', o) == \
        "n1 80 yes||N1"
    assert run('{{"com.example" | .Label}}', o) == "yes"
    assert fail("{{._hidden}}", o) == \
        'template: :1:2: executing "" at <._hidden>: can\'t evaluate field _hidden in type Obj'
    assert fail("{{.Label}}", o) == \
        'template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0'
    assert fail("{{.Name 1}}", o) == \
        'template: :1:2: executing "" at <.Name>: Name has arguments but cannot be invoked as function'


def test_callables_in_dicts() -> None:
    ctx = {"Labels": "a=1,b=2", "Label": lambda k: {"a": "1", "b": "2"}.get(k, "")}
    assert run('{{.Label "a"}}-{{.Label "zz"}}-{{.Labels}}', ctx) == "1--a=1,b=2"
    assert g.go_json(ctx) == '{"Labels":"a=1,b=2"}'  # (methods are not marshalled)

    def boom(k: str) -> str:
        raise ValueError("no such label")

    assert fail('{{.L "x"}}', {"L": boom}) == \
        'template: :1:2: executing "" at <.L>: error calling L: no such label'


# What `docker context ls --format T` prints: docker's formatter on a struct context.
CTX = g.Struct("*formatter.clientContextContext", {
    "Name": lambda: "default", "Current": lambda: True,
    "Description": lambda: "Current DOCKER_HOST based configuration",
    "DockerEndpoint": lambda: "unix:///var/run/docker.sock", "Error": lambda: ""})
CTX_HEADERS = {"Name": "NAME", "Description": "DESCRIPTION", "DockerEndpoint": "DOCKER ENDPOINT",
               "Error": "ERROR"}
# What `docker context ls --format F` printed (stdout, then stderr) for this very context.
with open(os.path.join(os.path.dirname(__file__), "data", "gotemplate_docker_context.jsonl"),
          encoding="utf-8") as _f:
    DOCKER_CONTEXT = [(d["format"], d["output"], d["status"]) for d in map(json.loads, _f)]


@pytest.mark.parametrize(("fmt", "want", "status"), DOCKER_CONTEXT)
def test_formatter_as_docker_context_ls(fmt: str, want: str, status: int) -> None:
    try:
        got = g.write(fmt, [CTX], CTX_HEADERS)
    except g.TemplateError as err:
        assert isinstance(err, HutchError)
        got = f"{err}\n"
        assert status == 1
    assert got == want


def test_exec_errors() -> None:
    assert fail("{{.Nope}}", {"A": 1}, strict=True) == \
        'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"'
    assert run("{{.Nope}}", {"A": 1}) == "<no value>"
    assert fail("{{.A.B}}", {"A": None}) == \
        'template: :1:4: executing "" at <.A.B>: nil pointer evaluating interface {}.B'
    assert fail("{{.A.B}}", {"A": 1}) == \
        'template: :1:4: executing "" at <.A.B>: can\'t evaluate field B in type int'
    assert fail("x\n {{index .L 5}}", {"L": [1]}) == \
        'template: :2:3: executing "" at <index .L 5>: error calling index: index out of range: 5'
    assert fail("{{eq .L 1}}", {"L": [1]}) == \
        'template: :1:2: executing "" at <eq .L 1>: error calling eq: incompatible types for comparison'
    assert fail("{{lt .A 1.5}}", {"A": 1}) == \
        'template: :1:2: executing "" at <lt .A 1.5>: error calling lt: incompatible types for comparison'
    assert fail('{{range .A}}{{end}}', {"A": "s"}) == \
        'template: :1:8: executing "" at <.A>: range can\'t iterate over s'
    assert fail("{{.A 1}}", {"A": 2}) == \
        'template: :1:2: executing "" at <.A>: A is not a method but has arguments'
    assert fail("{{nil}}") == 'template: :1:2: executing "" at <nil>: nil is not a command'
    assert fail('{{"x" 1}}') == \
        'template: :1:2: executing "" at <"x">: can\'t give argument to non-function "x"'
    assert fail("{{lower}}") == \
        'template: :1:2: executing "" at <lower>: wrong number of args for lower: want 1 got 0'
    assert fail("{{printf}}") == \
        'template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0'
    assert fail("{{json .A}}", {"A": float("nan")}) == \
        'template: :1:2: executing "" at <json .A>: error calling json: json: unsupported value: NaN'


def test_partial_output_and_parse_wrapper() -> None:
    t = g.parse("a{{.X}}b{{.Y}}c")
    out: list[str] = []
    with pytest.raises(g.TemplateError):
        t.execute({"X": 1}, strict=True, partial=out)
    assert "".join(out) == "a1b"
    with pytest.raises(g.TemplateError, match=r'^template parsing error: template: :1: unclosed action$'):
        g.parse("{{.A")
    with pytest.raises(g.TemplateError, match=r"^template: :1: unclosed action$"):
        g.Template("{{.A")


@pytest.mark.parametrize(("text", "want"), [  # (checked with docker version --format)
    ("{{.A\n.B", "template: :2: unclosed action started at :1"),
    ("x\n{{.A\n}", 'template: :3: unexpected "}" in operand'),
    ("{{if 1}}\n{{else}}\n{{else}}\n{{end}}", "template: :3: expected end; found {{else}}"),
    ("a\nb{{if 1}}\nc", "template: :3: unexpected EOF"),
    ("a\n{{nope}}", 'template: :2: function "nope" not defined'),
])
def test_multiline_parse_error_line(text: str, want: str) -> None:
    with pytest.raises(g.TemplateError) as err:
        g.parse(text)
    assert str(err.value) == "template parsing error: " + want


def test_sprintf_and_fmt() -> None:
    assert g.sprintf("%5s|%-6s|%3d|%-4d|%x|%q", "ab", "cd", 7, 8, 255, "q\"") == \
        '   ab|cd    |  7|8   |ff|"q\\""'
    assert g.sprintf("%v %v %v %v", [1, "a"], {"k": [1]}, None, 2.5) == "[1 a] map[k:[1]] <nil> 2.5"
    assert g.sprintf("%.3f %8.2f %-8.1e|", 2.0, 3.14159, 1234.5) == "2.000     3.14 1.2e+03 |"
    assert g.sprint("a", 1, 2, "b", None) == "a1 2b<nil>"
    assert g.go_float(1e21) == "1e+21" and g.go_float(1e-7) == "1e-07" and g.go_float(100.0) == "100"
    assert g.go_quote("a\tb\x00é\u2028") == '"a\\tb\\x00é\\u2028"'


def test_table_helpers() -> None:
    assert g.prepare("table {{.ID}}\\t{{.Name}}") == (True, "{{.ID}}\t{{.Name}}")
    assert g.prepare("json") == (False, "{{json .}}")
    assert g.prepare("  {{.A}}\\n ") == (False, "{{.A}}\n")
    t = g.parse("{{.ID}}\t{{.Names}}\t{{json .Labels}}\t{{.Label \"x\"}}")
    assert g.header(t, {"ID": "CONTAINER ID", "Names": "NAMES", "Labels": "LABELS"}) == \
        "CONTAINER ID\tNAMES\tLABELS\t"  # (docker's header stops at the error: .Label on a map)
    assert g.tabwrite("A\tBB\tC\nlonger-than-ten\tx\ty\n") == \
        "A                 BB        C\nlonger-than-ten   x         y\n"
    # column blocks: a line without tabs ends them
    assert g.tabwrite("a\tb\nno tabs here at all\naaaaaaaaaaaa\tc\n") == \
        "a         b\nno tabs here at all\naaaaaaaaaaaa   c\n"


def test_custom_funcs() -> None:
    t = g.Template("{{twice .}}", funcs={"twice": lambda s: s * 2})
    assert t.execute("ab") == "abab"


def test_import_is_light() -> None:
    code = "import hutch.cli.gotemplate, sys; print(' '.join(sys.modules))"
    mods = set(subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                              check=True).stdout.split())
    assert not mods & {"re", "json", "typing", "enum", "collections", "functools", "inspect"}


def test_gomap_missing_key_is_no_value_when_strict() -> None:
    """docker's inspect: a missing key of a typed struct's map prints <no value>; of the rest, an error."""
    from hutch.cli.gotemplate import GoMap, TemplateError, render

    doc = {"Config": {"Labels": GoMap({"a": "b"})}}
    assert render("{{.Config.Labels.a}}|{{.Config.Labels.z}}", doc) == "b|<no value>"
    with pytest.raises(TemplateError, match='map has no entry for key "Nope"'):
        render("{{.Config.Nope}}", doc)
