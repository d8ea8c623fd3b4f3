"""docker's --format templates and --filter keys on real containers, networks and volumes: `hutch
ps --format` (hutch.cli.gotemplate on docker's ContainerContext), `hutch network ls` and `hutch
volume ls` with --filter and --format.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.integration.test_engine import Hutch, _import, hutch  # noqa: F401
from tests.integration.test_engine_bridge import _session

pytestmark = pytest.mark.root


def test_ps_format(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    cid = hutch("run", "-d", "--name", "web", "--label", "com.example=yes", "--label", "tier=front",
                "-v", "webdata:/data", "hbox:1", "sleep", "1000").stdout.strip()
    hutch("run", "--name", "done", "--label", "tier=back", "hbox:1", "true")

    def ps(*args: str) -> str:
        return hutch("ps", "-a", *args).stdout

    assert ps("--format", '{{.Names}} {{.Label "com.example"}}|{{.Label "tier"}}|{{.Labels}}') == \
        "done |back|tier=back\nweb yes|front|com.example=yes,tier=front\n"
    assert ps("--format", "{{.Names}}: {{.Mounts}} {{.LocalVolumes}}") == "done:  0\nweb: webdata 1\n"
    assert ps("--format", '{{if eq .State "running"}}{{.Names | upper}}{{else}}-{{end}}') == "-\nWEB\n"
    assert ps("--format", '{{printf "%-6s|" .Names}}{{len .ID}}') == "done  |12\nweb   |12\n"
    assert hutch("ps", "--no-trunc", "--format", "{{.ID}}").stdout == cid + "\n"
    # table: docker's header titles, its tabwriter (columns at least 10 wide, 3 spaces apart)
    table = ps("--format", "table {{.Names}}\t{{.State}}\t{{.Label \"tier\"}}").splitlines()
    assert table[0] == "NAMES     STATE     "  # (docker's header stops at .Label: a map has no methods)
    assert table[1:] == ["done      exited    back", "web       running   front"]
    created = ps("--format", "table {{.ID}}\t{{.CreatedAt}}").splitlines()
    assert created[0] == "CONTAINER ID   CREATED AT" and created[1].endswith(" +0000 UTC")  # (Go's time)
    default = ps().splitlines()
    assert default[0].startswith("CONTAINER ID   IMAGE     COMMAND")
    assert default[0].endswith("PORTS     NAMES")
    assert [line.split()[-1] for line in default[1:]] == ["done", "web"]
    doc = [json.loads(line) for line in ps("--format", "json").splitlines()]
    assert sorted(doc[1]) == ["Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts",
                              "Names", "Networks", "Ports", "RunningFor", "Size", "State", "Status"]
    assert doc[1]["Labels"] == "com.example=yes,tier=front" and doc[1]["Command"] == '"sleep 1000"'
    assert json.loads(ps("--format", "{{json .Names}}").splitlines()[0]) == "done"

    # --filter: docker's keys (status lists stopped containers without -a)
    def names(*args: str) -> str:
        return hutch("ps", *args, "--format", "{{.Names}}").stdout

    assert names("-f", "status=exited") == "done\n" and names("-f", "status=running") == "web\n"
    assert names("-a", "-f", "label=tier") == "done\nweb\n"  # (newest first)
    assert names("-a", "-f", "label=tier=back") == "done\n"
    assert names("-a", "-f", "name=^/we") == "web\n" and names("-a", "-f", f"id={cid[:5]}") == "web\n"
    assert names("-a", "-f", "volume=webdata") == "web\n" and names("-a", "-f", "volume=/data") == "web\n"
    assert names("-a", "-f", "exited=0") == "done\n" and names("-a", "-f", "ancestor=hbox:1") == "done\nweb\n"
    assert names("-a", "-f", "before=done") == "web\n" and names("-a", "-f", "since=web") == "done\n"
    r = hutch("ps", "-f", "colour=red", check=False)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "Error: invalid filter 'colour'\n")

    # errors: docker's words, nothing printed but the one line, exit 1
    r = hutch("ps", "-a", "--format", "{{.Nope}}", check=False)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == 'Error: template parsing error: template: :1:2: executing "" at <.Nope>: ' \
                       "can't evaluate field Nope in type *formatter.ContainerContext\n"
    r = hutch("ps", "-a", "--format", "{{.Names}", check=False)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == "Error: template parsing error: template: :1: bad character U+007D '}'\n"
    r = hutch("ps", "-a", "--format", "{{.Label}}", check=False)
    assert "wrong number of args for Label: want 1 got 0" in r.stderr and r.stdout == ""
    hutch("rm", "-f", "web", "done")
    hutch("volume", "rm", "webdata")


NETWORK_SCRIPT = textwrap.dedent(r"""
    set -u
    H="$HUTCH --root $ROOT --runroot $RUNROOT"
    say() { printf '%s=%s\n' "$1" "$(echo "$2" | tr '\n' ';')"; }
    ip link set lo up
    $H import "$TARBALL" hbox:1 >/dev/null
    $H network create --label env=prod --label team=a prod >/dev/null
    $H network create --label env=dev dev >/dev/null
    $H network create --internal quiet >/dev/null
    $H run -d --name on-prod --network prod hbox:1 sleep 100 >/dev/null
    names() { $H network ls "$@" --format '{{.Name}}'; }
    say all "$(names)"
    say driver "$(names -f driver=bridge)"
    say driver_null "$(names -f driver=null -f driver=host)"
    say name "$(names -f name=o)"
    say name_regexp "$(names -f 'name=^p')"
    say id "$(names -f id=$($H network ls -q -f name=dev))"
    say label "$(names -f label=env)"
    say label_kv "$(names -f label=env=dev)"
    say label_both "$(names -f label=env -f label=team=a)"
    say scope "$(names -f scope=local | wc -l)"
    say custom "$(names -f type=custom)"
    say builtin "$(names -f type=builtin)"
    say dangling "$(names -f dangling=true)"
    say in_use "$(names -f dangling=false)"
    say and "$(names -f type=custom -f label=env -f dangling=true)"
    say table "$($H network ls -f type=custom --format 'table {{.Name}}\t{{.Internal}}\t{{.Labels}}')"
    say label_one "$($H network ls -f type=custom --format '{{.Name}}={{.Label "env"}}')"
    say json "$($H network ls -f name=prod --format json)"
    say created "$($H network ls -f name=prod --format '{{.CreatedAt}}')"
    say quiet "$($H network ls -q -f name=quiet | wc -c)"
    say quiet_full "$($H network ls -q --no-trunc -f name=quiet | wc -c)"
    say default_head "$($H network ls | head -1)"
    $H network ls -f bogus=1 2>$ROOT.err; say bogus "$? $(cat $ROOT.err)"
    $H network ls -f type=other 2>$ROOT.err; say bad_type "$? $(cat $ROOT.err)"
    $H network ls -f nokey 2>$ROOT.err; say no_value "$? $(cat $ROOT.err)"
    $H network ls --format '{{.Nope}}' 2>$ROOT.err; say bad_field "$? $(cat $ROOT.err)"
    $H rm -f on-prod >/dev/null
    say dangling_after "$(names -f dangling=true)"
    $H network rm prod dev quiet >/dev/null
    $H network rm bridge >/dev/null
""")


def test_network_ls_filter_and_format(tmp_path: Path, rootfs_template: Path) -> None:
    out = _session(tmp_path, rootfs_template, NETWORK_SCRIPT)
    assert out["all"] == "bridge;host;none;prod;dev;quiet;", out
    assert out["driver"] == "bridge;prod;dev;quiet;"
    assert out["driver_null"] == "host;none;"
    assert out["name"] == "host;none;prod;"  # (a part of the name: docker's regular expression)
    assert out["name_regexp"] == "prod;"
    assert out["id"] == "dev;"
    assert (out["label"], out["label_kv"], out["label_both"]) == ("prod;dev;", "dev;", "prod;")
    assert out["scope"] == "6;"
    assert (out["custom"], out["builtin"]) == ("prod;dev;quiet;", "bridge;host;none;")
    assert out["dangling"] == "dev;quiet;", out  # prod has a container; predefined ones never dangle
    assert out["in_use"] == "bridge;host;none;prod;", out
    assert out["and"] == "dev;"
    assert out["table"] == ("NAME      INTERNAL   LABELS;prod      false      env=prod,team=a;"
                            "dev       false      env=dev;quiet     true       ;"), out
    assert out["label_one"] == "prod=prod;dev=dev;quiet=;"
    doc = json.loads(out["json"].rstrip(";"))
    assert sorted(doc) == ["CreatedAt", "Driver", "ID", "IPv4", "IPv6", "Internal", "Labels", "Name", "Scope"]
    assert (doc["Name"], doc["Driver"], doc["Labels"]) == ("prod", "bridge", "env=prod,team=a")
    assert (doc["Internal"], doc["IPv6"]) == ("false", "false")
    assert out["created"].endswith(" +0000 UTC;") and out["created"][4] == "-" and out["created"][10] == " "
    assert (out["quiet"], out["quiet_full"]) == ("13;", "65;")
    assert out["default_head"] == "NETWORK ID     NAME      DRIVER    SCOPE;"
    assert out["bogus"] == "1 Error: invalid filter 'bogus';", out
    assert out["bad_type"] == "1 Error: invalid filter: 'type'='other';", out
    assert out["no_value"].startswith('1 Error: invalid argument "nokey" for "-f, --filter" flag: '
                                      "bad format of filter (expected name=value)"), out
    assert out["bad_field"] == ('1 Error: template parsing error: template: :1:2: executing "" at <.Nope>: '
                                "can't evaluate field Nope in type *network.networkContext;"), out
    assert out["dangling_after"] == "prod;dev;quiet;", out


def test_volume_ls_filter_and_format(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("volume", "create", "--label", "env=prod", "--label", "team=a", "data-prod")
    hutch("volume", "create", "--label", "env=dev", "data-dev")
    hutch("volume", "create", "loose")
    hutch("run", "--name", "user", "-v", "data-prod:/d", "hbox:1", "true")  # (stopped: still a user)

    def names(*args: str) -> list[str]:
        return hutch("volume", "ls", *args, "--format", "{{.Name}}").stdout.split()

    assert names() == ["data-dev", "data-prod", "loose"]
    assert names("-f", "dangling=true") == ["data-dev", "loose"]
    assert names("-f", "dangling=false") == ["data-prod"]
    assert names("-f", "name=data") == ["data-dev", "data-prod"]
    assert names("-f", "label=env", "-f", "label=team=a") == ["data-prod"]
    assert names("-f", "driver=local", "-f", "label=env=dev") == ["data-dev"]
    assert names("-f", "driver=other") == []
    assert hutch("volume", "ls", "-q", "-f", "name=loose").stdout == "loose\n"
    assert hutch("volume", "ls").stdout.splitlines()[0] == "DRIVER    VOLUME NAME"
    table = hutch("volume", "ls", "--format", "table {{.Name}}\t{{.Links}}\t{{.Labels}}").stdout
    assert table.splitlines() == ["VOLUME NAME   LINKS     LABELS", "data-dev      0         env=dev",
                                  "data-prod     1         env=prod,team=a", "loose         0         "]
    assert hutch("volume", "ls", "-f", "name=prod", "--format", '{{.Label "team"}} {{.Mountpoint}}').stdout \
        == f"a {hutch.root}/volumes/data-prod/_data\n"
    doc = json.loads(hutch("volume", "ls", "-f", "name=loose", "--format", "json").stdout)
    assert (doc["Name"], doc["Driver"], doc["Scope"], doc["Labels"]) == ("loose", "local", "local", "")
    r = hutch("volume", "ls", "-f", "color=red", check=False)
    assert (r.returncode, r.stderr) == (1, "Error: invalid filter 'color'\n")
    r = hutch("volume", "ls", "-f", "dangling=maybe", check=False)
    assert (r.returncode, r.stderr) == (1, "Error: invalid filter 'dangling=[maybe]'\n")
    hutch("rm", "user")
    assert names("-f", "dangling=true") == ["data-dev", "data-prod", "loose"]
    hutch("volume", "rm", "data-prod", "data-dev", "loose")
