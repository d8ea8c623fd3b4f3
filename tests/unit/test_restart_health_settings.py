"""`--restart` and the `--health-*` flags parsed, and docker's restart decision and back-off
(moby restartmanager, daemon/commit.go merge of the image's Healthcheck)."""

from __future__ import annotations

import pytest

from hutch.engine import healthcheck, restartpolicy
from hutch.engine.request import CreateRequest
from hutch.errors import HutchError


@pytest.mark.parametrize("text, want", [
    ("no", ("no", 0)), ("", ("no", 0)), ("always", ("always", 0)), ("unless-stopped", ("unless-stopped", 0)),
    ("on-failure", ("on-failure", 0)), ("on-failure:5", ("on-failure", 5)),
])
def test_restart_policies(text: str, want: tuple[str, int]) -> None:
    assert restartpolicy.parse(text) == {"Name": want[0], "MaximumRetryCount": want[1]}


@pytest.mark.parametrize("text, words", [
    ("sometimes", "unknown policy 'sometimes'"), ("always:2", "can only be used with 'on-failure'"),
    ("on-failure:x", "must be an integer"), ("on-failure:-2", "cannot be negative"),
    (":3", "no policy provided before colon"),
])
def test_bad_restart_policies(text: str, words: str) -> None:
    with pytest.raises(HutchError, match=words):
        restartpolicy.parse(text)


def test_the_restart_decision() -> None:
    on3 = {"Name": "on-failure", "MaximumRetryCount": 3}
    assert restartpolicy.should_restart(on3, 1, False, 2)
    assert not restartpolicy.should_restart(on3, 1, False, 3)  # at most N restarts
    assert not restartpolicy.should_restart(on3, 0, False, 0)  # exit 0 is no failure
    assert restartpolicy.should_restart({"Name": "on-failure", "MaximumRetryCount": 0}, 1, False, 99)
    for name in ("always", "unless-stopped"):
        assert restartpolicy.should_restart({"Name": name}, 0, False, 10)
        assert not restartpolicy.should_restart({"Name": name}, 0, True, 0)  # stopped by the user
    assert not restartpolicy.should_restart({"Name": "no"}, 1, False, 0)
    assert not restartpolicy.should_restart(None, 1, False, 0)


def test_the_back_off() -> None:
    assert restartpolicy.next_delay(0, 0.1) == 0.1
    assert restartpolicy.next_delay(0.1, 0.1) == 0.2
    assert restartpolicy.next_delay(0.4, 9.9) == 0.8
    assert restartpolicy.next_delay(0.4, 10.0) == 0.1  # a run of 10 s starts it over
    assert restartpolicy.next_delay(40.0, 1.0) == 60.0  # at most a minute


def test_rm_and_restart_conflict() -> None:
    with pytest.raises(HutchError, match="Conflicting options: --restart and --rm"):
        CreateRequest.parse("img", remove=True, restart="always")
    assert CreateRequest.parse("img", remove=True, restart="no").restart["Name"] == "no"


@pytest.mark.parametrize("text, ns", [
    ("30s", 30 * 10**9), ("200ms", 200 * 10**6), ("1m30s", 90 * 10**9), ("0.5s", 5 * 10**8), ("0", 0),
    ("1h", 3600 * 10**9), ("10us", 10_000),
])
def test_durations(text: str, ns: int) -> None:
    assert healthcheck.parse_duration(text, "--health-interval") == ns


@pytest.mark.parametrize("text", ["30", "abc", "1x", "", "s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(HutchError, match='for "--health-interval" flag'):
        healthcheck.parse_duration(text, "--health-interval")


def test_health_flags() -> None:
    assert healthcheck.from_flags() is None
    assert healthcheck.from_flags(disable=True) == {"Test": ["NONE"]}
    check = healthcheck.from_flags("true", "200ms", "1s", "", 2)
    assert check == {"Test": ["CMD-SHELL", "true"], "Interval": 200 * 10**6, "Timeout": 10**9,
                     "StartPeriod": 0, "Retries": 2}
    with pytest.raises(HutchError, match="--no-healthcheck conflicts with --health-\\* options"):
        healthcheck.from_flags("true", disable=True)
    with pytest.raises(HutchError, match="--health-interval cannot be negative"):
        healthcheck.from_flags("true", "-1s")
    with pytest.raises(HutchError, match="--health-retries cannot be negative"):
        healthcheck.from_flags("true", retries=-1)
    with pytest.raises(HutchError, match="Interval in Healthcheck cannot be less than 1ms"):
        healthcheck.from_flags("true", "10us")


def test_health_merge_with_the_image() -> None:
    image = {"Test": ["CMD", "/bin/check"], "Interval": 5 * 10**9, "Retries": 7}
    assert healthcheck.merge(None, image) == image
    flags = healthcheck.from_flags(interval="1s")
    assert healthcheck.merge(flags, image) == {"Test": ["CMD", "/bin/check"], "Interval": 10**9,
                                               "Timeout": 0, "StartPeriod": 0, "Retries": 7}
    assert healthcheck.merge({"Test": ["NONE"]}, image)["Test"] == ["NONE"]  # type: ignore[index]
    assert not healthcheck.enabled({"Test": ["NONE"]})
    assert healthcheck.argv({"Test": ["CMD-SHELL", "a && b"]}) == ["/bin/sh", "-c", "a && b"]
    assert healthcheck.argv({"Test": ["CMD", "a", "b"]}) == ["a", "b"]
    assert healthcheck.settings({"Test": ["CMD", "x"]}) == (30.0, 30.0, 0.0, 3)  # docker's defaults


def test_status_suffix() -> None:
    assert healthcheck.status_suffix({"Status": "starting"}) == " (health: starting)"
    assert healthcheck.status_suffix({"Status": "healthy"}) == " (healthy)"
    assert healthcheck.status_suffix(None) == ""


@pytest.mark.parametrize("change, want", [
    ("HEALTHCHECK CMD test -f /ok", {"Test": ["CMD-SHELL", "test -f /ok"]}),
    ('HEALTHCHECK --interval=5s --retries=2 CMD ["/bin/check", "-q"]',
     {"Test": ["CMD", "/bin/check", "-q"], "Interval": 5 * 10**9, "Retries": 2}),
    ("HEALTHCHECK --timeout=1m --start-period=500ms CMD true",
     {"Test": ["CMD-SHELL", "true"], "Timeout": 60 * 10**9, "StartPeriod": 5 * 10**8}),
    ("HEALTHCHECK NONE", {"Test": ["NONE"]}),
])
def test_the_healthcheck_change(change: str, want: dict[str, object]) -> None:
    from hutch.image.commit import apply_change

    config: dict[str, object] = {}
    apply_change(config, change)
    assert config == {"Healthcheck": want}


@pytest.mark.parametrize("change", ["HEALTHCHECK --every=5s CMD true", "HEALTHCHECK --interval=5 CMD true",
                                    "HEALTHCHECK CMD", "HEALTHCHECK RUN true"])
def test_bad_healthcheck_changes(change: str) -> None:
    from hutch.image.commit import ChangeError, apply_change

    with pytest.raises(ChangeError, match=r"HEALTHCHECK|--every|--interval"):
        apply_change({}, change)


def test_the_apis_healthcheck() -> None:
    """docker-py's healthcheck (docker.types.Healthcheck's keys) as docker's, checked as the flags."""
    from hutch.api import args as apiargs

    got = apiargs.healthcheck({"test": "curl -f localhost", "interval": 10**9, "retries": 2})
    assert got == {"Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 10**9, "Timeout": 0,
                   "StartPeriod": 0, "Retries": 2}
    assert apiargs.to_parse_args({"healthcheck": {"test": ["CMD", "true"]}})["healthcheck"]["Test"] == \
        ["CMD", "true"]
    req = CreateRequest.parse("img", healthcheck=got)
    assert req.healthcheck == got
    with pytest.raises(HutchError, match="Interval in Healthcheck cannot be less than 1ms"):
        CreateRequest.parse("img", healthcheck={"Test": ["CMD", "true"], "Interval": 5})
    with pytest.raises(HutchError, match="Test must start with NONE, CMD or CMD-SHELL"):
        healthcheck.checked({"Test": ["RUN", "x"]})
    assert restartpolicy.text({"Name": "on-failure", "MaximumRetryCount": 2}) == "on-failure:2"
