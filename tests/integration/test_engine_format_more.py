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
    assert fmt(["inspect"], "{{.RestartCount}} {{.HostConfig.RestartPolicy.Name}} {{.Platform}}", "web") == \
        "0 no linux\n"
    # a missing key of one of the document's maps: <no value>; of a struct: docker's error (its
    # typed run fails, and the run on the raw map has missingkey=error)
    assert fmt(["inspect"], "{{.Config.Labels.nope}}|{{index .Config.Labels \"nope\"}}|", "web") == \
        "<no value>||\n"
    r = hutch("inspect", "-f", "{{.Nope}}", "web", check=False)
    assert (r.returncode, r.stdout) == (1, "\n")
    assert r.stderr == 'Error: template parsing error: template: :1:2: executing "" at <.Nope>: ' \
                       'map has no entry for key "Nope"\n'
    r = hutch("inspect", "-f", "{{.State.Status", "web", check=False)
    assert (r.returncode, r.stdout) == (64, "")  # (docker's status for a template that does not parse)
    assert r.stderr == "Error: template parsing error: template: :1: unclosed action\n"
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


def test_images_format_and_filter(hutch: Hutch) -> None:  # noqa: F811
    base = _import(hutch)
    hutch("tag", "hbox:1", "team/app:2")
    tarball = str(hutch.tarball)  # type: ignore[attr-defined]
    labelled = hutch("import", "-c", "LABEL tier=base", tarball, "lab:1").stdout.strip()
    hutch("run", "--name", "c", "--network", "none", "lab:1", "sh", "-c", "echo made > /made")
    dangling = hutch("commit", "c").stdout.strip()

    def images(*args: str) -> list[str]:
        return hutch("images", *args, "--format", "{{.Repository}}:{{.Tag}}").stdout.split()

    assert images() == ["<none>:<none>", "lab:1", "hbox:1", "team/app:2"]  # (newest first)
    assert images("-a") == images()
    assert images("-f", "reference=team/*") == ["team/app:2"]
    assert images("-f", "reference=*") == ["lab:1", "hbox:1"]  # (Go's path.Match: * stops at /)
    assert images("-f", "reference=*box:1", "-f", "reference=lab") == ["lab:1", "hbox:1"]
    assert images("hbox") == ["hbox:1"] and images("team/app:2") == ["team/app:2"] and images("nope") == []
    # (the committed image keeps the labels of the one its container ran)
    assert images("-f", "label=tier") == ["<none>:<none>", "lab:1"] == images("-f", "label=tier=base")
    assert images("-f", "label!=tier") == ["hbox:1", "team/app:2"]
    assert images("-f", "label=tier=other") == []
    assert images("-f", "dangling=true") == ["<none>:<none>"]
    assert images("-f", "dangling=false") == ["lab:1", "hbox:1", "team/app:2"]
    assert images("-f", "before=lab:1") == ["hbox:1", "team/app:2"]
    assert images("-f", "since=hbox:1") == ["<none>:<none>", "lab:1"]
    assert images("-f", "until=1h") == [] and images("-f", "until=2099-01-01") == images()
    # the row a filter picks is the image a container runs: the committed file is inside it
    picked = hutch("images", "-q", "--no-trunc", "-f", "dangling=true").stdout.split()
    assert picked == [dangling]
    assert hutch("run", "--rm", "--network", "none", picked[0], "cat", "/made").stdout == "made\n"
    # docker's imageContext: fields, table headers, json
    row = hutch("images", "--format", "{{.ID}}|{{.Digest}}|{{.Containers}}|{{.Size}}", "hbox:1").stdout
    assert row == f"{base[7:19]}|<none>|N/A|{row.split('|')[3]}"
    assert row.split("|")[3].strip().endswith("B")
    table = hutch("images", "--format", "table {{.Repository}}\t{{.Tag}}\t{{.CreatedAt}}", "lab").stdout
    head, line = table.splitlines()
    assert head == "REPOSITORY   TAG       CREATED AT" and line.startswith("lab          1         ")
    assert line.endswith(" +0000 UTC")
    assert hutch("images").stdout.splitlines()[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED",
                                                              "SIZE"]
    doc = json.loads(hutch("images", "--format", "json", "lab").stdout)
    assert sorted(doc) == ["Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository",
                           "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize"]
    assert (doc["ID"], doc["Repository"], doc["Tag"]) == (labelled[7:19], "lab", "1")
    assert hutch("images", "--digests", "hbox").stdout.splitlines()[0].split() == \
        ["REPOSITORY", "TAG", "DIGEST", "IMAGE", "ID", "CREATED", "SIZE"]
    # docker's errors
    for args, err in [(["-f", "colour=red"], "invalid filter 'colour'"),
                      (["-f", "dangling=maybe"], "invalid filter 'dangling=[maybe]'"),
                      (["-f", "before=nosuch"], "No such image: nosuch"),
                      (["-f", "until=soon"], 'failed to parse value as time or duration: "soon"'),
                      (["--format", "{{.Nope}}"],
                       "can't evaluate field Nope in type *formatter.imageContext")]:
        r = hutch("images", *args, check=False)
        assert (r.returncode, r.stdout) == (1, ""), args
        assert r.stderr.startswith("Error: ") and r.stderr.endswith(err + "\n"), r.stderr
    hutch("rm", "c")


def test_history_format(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--name", "c", "--network", "none", "hbox:1", "sh", "-c", "head -c 5000 /dev/zero > /blob")
    top = hutch("commit", "-m", "the\tblob", "-c", "CMD [\"cat\", \"/blob\"]", "c", "hist:1").stdout.strip()
    lines = hutch("history", "--format", "{{.ID}}|{{.Size}}|{{.Comment}}|{{.CreatedBy}}",
                  "hist:1").stdout.splitlines()
    assert lines[0].startswith(f"{top[7:19]}|") and lines[-1].startswith("<missing>|")
    # the layer the container wrote is the top entry's: its size is the 5000 bytes (and the tar's)
    size = lines[0].split("|")[1]
    assert size.endswith("kB") and float(size[:-2]) >= 5.0, size
    assert hutch("history", "-H=false", "--format", "{{.Size}}", "hist:1").stdout.split()[0].isdigit()
    assert hutch("run", "--rm", "--network", "none", "hist:1").stdout == "\0" * 5000
    missing = ["<missing>"] * (len(lines) - 1)
    assert hutch("history", "-q", "hist:1").stdout.splitlines() == [top[7:19], *missing]
    assert hutch("history", "-q", "--no-trunc", "hist:1").stdout.splitlines()[0] == top
    head = hutch("history", "hist:1").stdout.splitlines()[0]
    assert head.split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    head = hutch("history", "--human=false", "hist:1").stdout.splitlines()
    assert head[0].split()[:3] == ["IMAGE", "CREATED", "AT"] and head[1].split()[1].endswith("Z")
    doc = json.loads(hutch("history", "--format", "json", "hist:1").stdout.splitlines()[0])
    assert sorted(doc) == ["Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size"]
    r = hutch("history", "--format", "{{.Nope}}", "hist:1", check=False)
    assert r.returncode == 1
    assert r.stderr.endswith("can't evaluate field Nope in type *image.historyContext\n")
    hutch("rm", "c")


def test_stats_format(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    cid = hutch("run", "-d", "--name", "busy", "--network", "none", "-m", "64m", "hbox:1",
                "sh", "-c", "sleep 1000 & sleep 1000 & wait").stdout.strip()
    out = hutch("stats", "--no-stream", "--format",
                "{{.Container}}|{{.Name}}|{{.ID}}|{{.PIDs}}|{{.MemUsage}}", "busy").stdout
    container, name, ident, pids, mem = out.strip().split("|")
    assert (container, name, ident) == ("busy", "busy", cid[:12])
    # from inside: the shell and its two sleeps are the container's processes
    inside = hutch("exec", "busy", "sh", "-c", "ls -d /proc/[0-9]* | wc -l").stdout.strip()
    assert int(pids) >= 3 and int(inside) >= 3
    assert mem.endswith(" / 64MiB"), mem
    table = hutch("stats", "--no-stream", "--format", "table {{.Name}}\t{{.CPUPerc}}\t{{.BlockIO}}").stdout
    head, row = table.splitlines()
    assert head == "NAME      CPU %     BLOCK I/O"
    assert row.split()[0] == "busy" and row.split()[1].endswith("%")
    default = hutch("stats", "--no-stream").stdout.splitlines()
    assert default[0].split()[:4] == ["CONTAINER", "ID", "NAME", "CPU"]
    assert hutch("stats", "--no-stream", "--no-trunc", "--format", "{{.ID}} {{.Container}}").stdout == \
        f"{cid} {cid[:12]}\n"
    doc = json.loads(hutch("stats", "--no-stream", "--format", "json").stdout)
    assert sorted(doc) == ["BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name", "NetIO",
                           "PIDs"]
    r = hutch("stats", "--no-stream", "--format", "{{.Nope}}", check=False)
    assert r.returncode == 1
    assert r.stderr.endswith("can't evaluate field Nope in type *container.statsContext\n")
    hutch("rm", "-f", "busy")


def test_stats_net_io(hutch: Hutch) -> None:  # noqa: F811
    """NET I/O: the counters of the container's interfaces (lo left out, as docker's), the same
    the kernel shows inside; 0B / 0B with --network none."""
    _import(hutch)
    hutch("run", "-d", "--name", "talker", "hbox:1", "sleep", "1000")  # (the default bridge)
    hutch("run", "-d", "--name", "quiet", "--network", "none", "hbox:1", "sleep", "1000")
    try:
        gw = json.loads(hutch("inspect", "talker").stdout)[0]["NetworkSettings"]["Gateway"]
        hutch("exec", "talker", "ping", "-c", "3", "-s", "2000", "-W", "2", gw)
        out = hutch("stats", "--no-stream", "--format", "{{.Name}} {{.NetIO}}", "talker", "quiet").stdout
        rows = dict(line.split(" ", 1) for line in out.splitlines())
        assert rows["quiet"] == "0B / 0B", rows
        rx, tx = rows["talker"].split(" / ")
        inside = hutch("exec", "talker", "cat", "/sys/class/net/eth0/statistics/rx_bytes",
                       "/sys/class/net/eth0/statistics/tx_bytes").stdout.split()
        assert all(int(n) > 6000 for n in inside), inside  # three 2 kB pings each way
        for shown, real in zip((rx, tx), inside, strict=True):
            assert shown.endswith("kB") and abs(float(shown[:-2]) * 1000 - int(real)) < 1000, (shown, real)
    finally:
        hutch("rm", "-f", "talker", "quiet")


def test_prune_filters(hutch: Hutch) -> None:  # noqa: F811
    """docker's prune --filter: until (created before a time or a duration ago), label, label!."""
    import time

    _import(hutch)

    def run(name: str, *labels: str) -> str:
        args = [a for k in labels for a in ("--label", k)]
        return hutch("run", "--name", name, "--network", "none", *args, "hbox:1", "sh", "-c",
                     f"echo {name} > /who").stdout

    run("old", "keep=yes")
    time.sleep(0.1)
    cut = f"{time.time():.3f}"
    time.sleep(0.1)
    run("mid", "tier=db")
    run("new")

    def names() -> list[str]:
        return sorted(hutch("ps", "-a", "--format", "{{.Names}}").stdout.split())

    out = hutch("container", "prune", "-f", "--filter", f"until={cut}", "--filter", "label!=keep").stdout
    assert "Deleted Containers" not in out and names() == ["mid", "new", "old"]
    out = hutch("container", "prune", "-f", "--filter", "until=1h").stdout  # (none is an hour old)
    assert names() == ["mid", "new", "old"] and "Deleted Containers" not in out
    out = hutch("container", "prune", "-f", "--filter", "label=tier=db").stdout
    assert names() == ["new", "old"] and out.startswith("Deleted Containers:\n")
    hutch("container", "prune", "-f", "--filter", "until=2099-01-01T00:00:00Z", "--filter", "label!=keep")
    assert names() == ["old"]
    # what the filter kept is the container it was: its file is still inside it
    assert hutch("cp", "old:/who", "-").returncode == 0
    hutch("start", "-a", "old")
    r = hutch("container", "prune", "-f", "--filter", "until=soon", check=False)
    assert (r.returncode, r.stderr) == (1, 'Error: failed to parse value as time or duration: "soon"\n')
    r = hutch("container", "prune", "-f", "--filter", "name=x", check=False)
    assert (r.returncode, r.stderr) == (1, "Error: invalid filter 'name'\n")
    assert names() == ["old"]

    # images: the committed (dangling) ones, by label and time
    hutch("commit", "-c", "LABEL kind=scratch", "old")
    hutch("commit", "old")
    dangling = ["images", "-q", "-f", "dangling=true"]
    assert len(hutch(*dangling).stdout.split()) == 2
    hutch("image", "prune", "-f", "--filter", "until=1h")
    assert len(hutch(*dangling).stdout.split()) == 2
    out = hutch("image", "prune", "-f", "--filter", "label=kind=scratch").stdout
    assert out.startswith("Deleted Images:\n") and len(hutch(*dangling).stdout.split()) == 1
    hutch("image", "prune", "-f", "--filter", "label!=kind")
    assert hutch(*dangling).stdout == ""
    r = hutch("image", "prune", "-f", "--filter", "reference=x", check=False)
    assert (r.returncode, r.stderr) == (1, "Error: invalid filter 'reference'\n")

    # volumes: by label (docker's volume prune takes no until)
    for name, label in (("v1", "env=dev"), ("v2", "env=prod"), ("v3", "other=1")):
        hutch("volume", "create", "--label", label, name)
    out = hutch("volume", "prune", "-f", "--filter", "all=true", "--filter", "label=env=dev").stdout
    assert out == "Deleted Volumes:\nv1\nTotal reclaimed volumes: 1\n"
    hutch("volume", "prune", "-f", "-a", "--filter", "label!=env")
    assert hutch("volume", "ls", "-q").stdout.split() == ["v2"]
    r = hutch("volume", "prune", "-f", "--filter", "until=1h", check=False)
    assert (r.returncode, r.stderr) == (1, "Error: invalid filter 'until'\n")
    hutch("volume", "rm", "v2")

    # networks: by label and time
    hutch("network", "create", "--label", "a=b", "n1")
    hutch("network", "create", "n2")
    assert hutch("network", "prune", "-f", "--filter", "until=1h").stdout == ""
    assert hutch("network", "prune", "-f", "--filter", "label=a=b").stdout == "Deleted Networks:\nn1\n"
    assert hutch("network", "prune", "-f", "--filter", "until=2099-01-01").stdout == "Deleted Networks:\nn2\n"

    # system prune: the same keys for its containers and images
    run("gone", "x=1")
    out = hutch("system", "prune", "-f", "--filter", "label=x=1").stdout
    assert out.startswith("Deleted Containers:\n") and names() == ["old"]
    hutch("rm", "old")


def test_ps_size(hutch: Hutch) -> None:  # noqa: F811
    """docker's ps -s: the writable layer's size and the virtual size (with the image's)."""
    _import(hutch)
    image = hutch("images", "--format", "{{.Size}}", "hbox:1").stdout.strip()
    hutch("run", "--name", "writer", "--network", "none", "hbox:1", "sh", "-c",
          "head -c 5000 /dev/zero > /blob; wc -c < /blob")
    hutch("run", "--name", "quiet", "--network", "none", "hbox:1", "true")
    # from inside: what the container wrote is what its writable layer holds
    assert hutch("start", "-a", "writer").stdout == "5000\n"
    rows = hutch("ps", "-a", "-s").stdout.splitlines()
    assert rows[0].split()[-2:] == ["NAMES", "SIZE"]
    sizes = dict(line.split(" ", 1) for line in
                 hutch("ps", "-a", "--format", "{{.Names}} {{.Size}}").stdout.splitlines())
    assert sizes.keys() == {"writer", "quiet"}, sizes
    wrote = sizes["writer"].split(" ")[0]
    assert wrote.endswith("kB") and 5.0 <= float(wrote[:-2]) < 6.0, sizes
    assert sizes["writer"] == f"{wrote} (virtual {sizes['writer'].split()[-1][:-1]})"
    assert sizes["quiet"].endswith(")") and float(image[:-2]) > 0
    assert [line.endswith("   " + sizes[line.split()[-4]]) for line in rows[1:]] == [True, True], rows
    both = hutch("inspect", "-s", "-f", "{{.SizeRw}} {{.SizeRootFs}}", "writer").stdout
    rw, rootfs = map(int, both.split())
    assert 5000 <= rw < 6000 and rootfs > rw
    doc = json.loads(hutch("container", "inspect", "--size", "writer").stdout)[0]
    assert (doc["SizeRw"], doc["SizeRootFs"]) == (rw, rootfs)
    doc = json.loads(hutch("ps", "-a", "-f", "name=writer", "--format", "json").stdout)
    assert doc["Size"] == "0B"  # (docker: no size was asked for: its zero)
    hutch("rm", "writer", "quiet")
