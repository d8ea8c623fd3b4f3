"""docker's --format and --filter beyond ps/network ls/volume ls, on real containers and images:
`inspect -f` (every inspect verb), `images --format/--filter`, `history --format`, `stats
--format`, the prune verbs' --filter, `ps -s`. docker's behaviour is the reference throughout.
"""

from __future__ import annotations

import json

import pytest

from tests.integration.test_engine import Hutch, _import, hutch  # noqa: F401

pytestmark = pytest.mark.root


def test_inspect_format(hutch: Hutch) -> None:  # noqa: F811
    image_id = _import(hutch)
    hutch("volume", "create", "--label", "k=v", "fmdata")
    cid = hutch("run", "-d", "--name", "web", "--network", "none", "--label", "tier=front",
                "-v", "fmdata:/data", "hbox:1", "sleep", "1000").stdout.strip()
    hutch("run", "--name", "done", "--network", "none", "hbox:1", "true")
    # from inside: the container's own pid 1 is what .State.Pid names on the host
    pid = hutch("inspect", "-f", "{{.State.Pid}}", "web").stdout.strip()
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        assert f.read().split(b"\0")[:2] == [b"sleep", b"1000"]

    def fmt(verb: list[str], template: str, *refs: str) -> str:
        return hutch(*verb, "-f", template, *refs).stdout

    # one line per object, docker's order of the references
    assert fmt(["inspect"], "{{.State.Status}} {{.Name}}", "web", "done") == "running /web\nexited /done\n"
    assert fmt(["container", "inspect"], "{{.Id}}", "web") == cid + "\n"
    labels = '--format={{index .Config.Labels "tier"}}'
    assert hutch("container", "inspect", labels, "web").stdout == "front\n"
    volumes = "{{range .Mounts}}{{if .Name}}{{.Name}}:{{.Destination}}{{end}}{{end}}"
    assert fmt(["inspect"], volumes, "web") == "fmdata:/data\n"
    assert json.loads(fmt(["inspect"], "{{json .Config.Labels}}", "web")) == {"tier": "front"}
    # a missing key of one of the document's maps: <no value>; of a struct: docker's error (its
    # typed run fails, and the run on the raw map has missingkey=error)
    assert fmt(["inspect"], "{{.Config.Labels.nope}}|{{index .Config.Labels \"nope\"}}|", "web") == \
        "<no value>||\n"
    r = hutch("inspect", "-f", "{{.Nope}}", "web", check=False)
    assert (r.returncode, r.stdout) == (1, "\n")
    assert r.stderr == 'hutch: template parsing error: template: :1:2: executing "" at <.Nope>: ' \
                       'map has no entry for key "Nope"\n'
    r = hutch("inspect", "-f", "{{.State.Status", "web", check=False)
    assert (r.returncode, r.stdout) == (64, "")  # (docker's status for a template that does not parse)
    assert r.stderr == "hutch: template parsing error: template: :1: unclosed action\n"
    # a missing object: its error line, the others still printed
    r = hutch("inspect", "-f", "{{.Name}}", "web", "nosuch", check=False)
    assert (r.returncode, r.stdout, r.stderr) == (1, "/web\n", "Error: No such object: nosuch\n")
    assert fmt(["image", "inspect"], "{{.Id}} {{index .RepoTags 0}}", "hbox:1") == f"{image_id} hbox:1\n"
    assert fmt(["volume", "inspect"], "{{.Name}} {{.Labels.k}} {{.Driver}}", "fmdata") == "fmdata v local\n"
    assert fmt(["network", "inspect"], "{{.Name}} {{.Driver}}", "none") == "none null\n"
    assert fmt(["inspect", "--type", "volume"], "{{.Mountpoint}}", "fmdata") == \
        f"{hutch.root}/volumes/fmdata/_data\n"
    doc = json.loads(fmt(["inspect"], "json", "web", "done"))
    assert [d["Name"] for d in doc] == ["/web", "/done"]
    hutch("rm", "-f", "web", "done")
    hutch("volume", "rm", "fmdata")
