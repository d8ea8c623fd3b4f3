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
