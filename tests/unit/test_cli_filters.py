"""docker's --filter (hutch.cli.filters), `network ls`'s keys, and Go's time.Time.String()."""

from __future__ import annotations

import pytest

from hutch.cli.engine.networks.ls import select
from hutch.cli.filters import Filters, parse
from hutch.cli.fmt import go_time
from hutch.errors import HutchError


def test_parse() -> None:
    assert parse(" Name = web ") == ("name", "web")
    assert parse("label=a=b") == ("label", "a=b")
    with pytest.raises(ValueError, match=r"^bad format of filter \(expected name=value\)$"):
        parse("name")


def test_filters() -> None:
    f = Filters([("name", "we"), ("name", "^db$"), ("label", "a"), ("label", "b=2"), ("driver", "bridge")])
    assert f.match("name", "web") and f.match("name", "db") and not f.match("name", "xdb")
    assert f.match("name", "anything") is False
    assert Filters([("name", "[")]).match("name", "[")  # (exact: a bad expression still matches itself)
    assert not Filters([("name", "[")]).match("name", "a[")
    assert f.labels("label", {"a": "x", "b": "2"}) and not f.labels("label", {"a": "x", "b": "3"})
    assert not f.labels("label", {"b": "2"})
    assert f.exact("driver", "bridge") and not f.exact("driver", "host") and f.exact("scope", "any")
    with pytest.raises(HutchError, match=r"^invalid filter 'nope'$"):
        Filters([("nope", "1")]).validate(["name"])
    assert Filters([("dangling", "1")]).boolean("dangling") is True
    assert Filters([("dangling", "false")]).boolean("dangling") is False
    assert Filters([]).boolean("dangling") is None
    with pytest.raises(HutchError, match="more than one value"):
        Filters([("dangling", "true"), ("dangling", "false")]).boolean("dangling")
    with pytest.raises(HutchError, match=r"^invalid value for filter 'dangling'"):
        Filters([("dangling", "yes")]).boolean("dangling")


def _net(name: str, driver: str = "bridge", **labels: str) -> dict[str, object]:
    return {"Name": name, "Id": f"{name:0<64}"[:64].replace("-", "0"), "Driver": driver, "Scope": "local",
            "Labels": labels}


NETS = [_net("bridge"), _net("host", "host"), _net("none", "null"), _net("front", env="prod"),
        _net("back", env="dev"), _net("idle")]


@pytest.mark.parametrize(("pairs", "want"), [
    ([("driver", "bridge")], ["bridge", "front", "back", "idle"]),
    ([("name", "o")], ["host", "none", "front"]),
    ([("id", "fro")], ["front"]),
    ([("label", "env")], ["front", "back"]),
    ([("label", "env=dev")], ["back"]),
    ([("type", "custom")], ["front", "back", "idle"]),
    ([("type", "builtin")], ["bridge", "host", "none"]),
    ([("dangling", "true")], ["back", "idle"]),  # front has a container
    ([("dangling", "false")], ["bridge", "host", "none", "front"]),
    ([("dangling", "true"), ("label", "env")], ["back"]),
])
def test_network_filters(pairs: list[tuple[str, str]], want: list[str]) -> None:
    on = {str(NETS[3]["Id"]): ["c1"]}
    assert [n["Name"] for n in select(NETS, pairs, on)] == want


def test_network_filter_errors() -> None:
    with pytest.raises(HutchError, match=r"^invalid filter 'until'$"):
        select(NETS, [("until", "1h")], {})
    with pytest.raises(HutchError, match=r"^invalid filter: 'type'='x'$"):
        select(NETS, [("type", "x")], {})


def test_go_time() -> None:
    assert go_time("2026-12-07T21:24:10.494801640Z") == "2026-12-07 21:24:10.49480164 +0000 UTC"
    assert go_time("2026-12-07T21:24:10.000Z") == "2026-12-07 21:24:10 +0000 UTC"
    assert go_time("2026-12-07T21:24:10.5Z", seconds=True) == "2026-12-07 21:24:10 +0000 UTC"
    assert go_time("2026-12-07T21:24:10+01:00") == "2026-12-07 21:24:10 +0100 +0100"
    assert go_time("yesterday") == "yesterday"


def _rec(name: str, status: str, exit_code: int = 0, **extra: object) -> dict[str, object]:
    started = "" if status == "created" else "2026-01-01T00:00:00Z"
    state = {"status": status, "exit_code": exit_code, "started_at": started}
    return {"id": f"{name:x<64}", "name": name, "image_id": "sha256:img", "labels": {}, "state": state,
            **extra}


RECORDS = [  # newest first, as the engine lists them
    _rec("web", "running", labels={"tier": "front"}, volumes=[{"Name": "data", "Destination": "/d"}],
         network="app", networks={"f00d" + "0" * 60: {"name": "app"}}, exposed=["80/tcp"],
         ports={"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}),
    _rec("job", "exited", 3, labels={"tier": "back"}, network="none"),
    _rec("new", "created", network="none"),
    _rec("old", "exited", 0, image_id="sha256:other", network="bridge"),
]


@pytest.mark.parametrize(("pairs", "want", "stopped_too"), [
    ([("name", "web")], ["web"], False),
    ([("name", "^/[jn]")], ["job", "new"], False),
    ([("id", "jobx")], ["job"], False),
    ([("label", "tier")], ["web", "job"], False),
    ([("label", "tier=back")], ["job"], False),
    ([("status", "exited")], ["job", "old"], True),
    ([("status", "created"), ("status", "running")], ["web", "new"], True),
    ([("exited", "3")], ["job"], False),
    ([("exited", "0")], ["old"], False),
    ([("ancestor", "box")], ["web", "job", "new"], False),
    ([("ancestor", "nosuch")], [], False),
    ([("before", "job")], ["new", "old"], False),
    ([("since", "new")], ["web", "job"], False),
    ([("volume", "data")], ["web"], False),
    ([("volume", "/d")], ["web"], False),
    ([("network", "app")], ["web"], False),
    ([("network", "f00d")], ["web"], False),
    ([("network", "none")], ["job", "new"], False),
    ([("publish", "8080")], ["web"], False),
    ([("publish", "80")], [], False),
    ([("expose", "80/tcp")], ["web"], False),
    ([("expose", "70-90")], ["web"], False),
    ([("health", "none"), ("isolation", "default"), ("is-task", "false")], ["web", "job", "new", "old"],
     False),
    ([("health", "healthy")], [], False),
    ([("is-task", "true")], [], False),
])
def test_ps_filters(pairs: list[tuple[str, str]], want: list[str], stopped_too: bool) -> None:
    from hutch.cli.engine.containers.psfilter import select

    out, by_status = select(RECORDS, pairs, lambda ref: "sha256:img" if ref == "box" else None)
    assert [r["name"] for r in out] == want and by_status == stopped_too


@pytest.mark.parametrize(("pairs", "message"), [
    ([("color", "red")], "invalid filter 'color'"),
    ([("status", "up")], "invalid filter 'status=up'"),
    ([("exited", "x")], "invalid filter 'exited=x': strconv.Atoi: parsing \"x\": invalid syntax"),
    ([("is-task", "maybe")], "invalid filter 'is-task=maybe'"),
    ([("health", "fine")], "unrecognized filter value for health: fine"),
    ([("before", "nosuch")], "No such container: nosuch"),
    ([("publish", "1:2")], "filter for 'publish' should not contain ':': 1:2"),
])
def test_ps_filter_errors(pairs: list[tuple[str, str]], message: str) -> None:
    from hutch.cli.engine.containers.psfilter import select

    with pytest.raises(HutchError) as err:
        select(RECORDS, pairs, lambda ref: None)
    assert str(err.value) == message


@pytest.mark.parametrize(("pattern", "name", "ok"), [
    ("busybox", "busybox", True), ("busy*", "busybox", True), ("*", "team/app", False),
    ("*/*", "team/app", True), ("team/ap?", "team/app", True), ("[a-c]ox", "box", True),
    ("[^a-c]ox", "box", False), ("b\\*x", "b*x", True), ("b\\*x", "box", False), ("*:1", "hbox:1", True),
])
def test_path_match_is_gos(pattern: str, name: str, ok: bool) -> None:
    """docker's reference= filter: Go's path.Match (* and ? stop at /)."""
    from hutch.cli.filters import path_match

    assert path_match(pattern, name) is ok


def test_path_match_bad_pattern() -> None:
    from hutch.cli.filters import path_match

    with pytest.raises(HutchError, match="syntax error in pattern"):
        path_match("[abc", "a")


def test_prune_until_and_label_not() -> None:
    from hutch.cli.filters import Filters, not_labels, until_ns

    now = 1_000_000 * 10**9
    assert until_ns(Filters([]), now) is None
    assert until_ns(Filters([("until", "10m")]), now) == now - 600 * 10**9
    assert until_ns(Filters([("until", "1700000000")]), now) == 1700000000 * 10**9
    with pytest.raises(HutchError, match="more than one until filter specified"):
        until_ns(Filters([("until", "1m"), ("until", "2m")]), now)
    with pytest.raises(HutchError, match='failed to parse value as time or duration: "x"'):
        until_ns(Filters([("until", "x")]), now)
    f = Filters([("label!", "keep"), ("label!", "tier=db")])
    assert not_labels(f, {"a": "b", "tier": "web"})
    assert not not_labels(f, {"keep": ""}) and not not_labels(f, {"tier": "db"})


def test_prune_filter_predicate() -> None:
    """docker's prune filters: until compares the creation time; label and label! the labels."""
    from hutch.cli.filters import prune_filter

    now = 1796626688 * 10**9  # 2026-12-07T06:58:08Z
    wanted = prune_filter([("until", "1h"), ("label!", "keep")], ("until", "label", "label!"), now)
    assert wanted({}, "2026-12-07T05:00:00Z") and not wanted({}, "2026-12-07T06:30:00Z")
    assert not wanted({"keep": "1"}, "2026-12-07T05:00:00Z") and not wanted({}, "not a time")
    assert prune_filter([("label", "a=b")], ("label",), now)({"a": "b"}, "")
    with pytest.raises(HutchError, match="invalid filter 'until'"):
        prune_filter([("until", "1h")], ("label",), now)
