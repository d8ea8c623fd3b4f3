"""hutch.build.steps: the config instructions on a stage's state, docker's (buildkit's) rules."""

from __future__ import annotations

import pytest

from hutch.build import steps
from hutch.build.dockerfile import parse
from hutch.build.steps import State
from hutch.errors import HutchError


def _run(lines: str, build_args: dict[str, str] | None = None,
         base: dict[str, object] | None = None) -> tuple[State, list[str]]:
    df = parse("FROM scratch\n" + lines)
    state = State({"config": dict(base or {})}, [])
    shown = [steps.apply(state, ins, df.escape, build_args or {}) for ins in df.stages[0].instructions]
    return state, shown


def test_env_label_and_their_expansion() -> None:
    state, shown = _run('ENV A=1 B="two words"\nENV C ${A}-$B\nLABEL "k"="$C" other=x\n')
    assert state.inner["Env"] == ["A=1", "B=two words", "C=1-two words"]
    assert state.inner["Labels"] == {"k": "1-two words", "other": "x"}
    assert shown[0] == "ENV A=1 B=two words"


def test_arg_build_args_and_env_wins() -> None:
    state, _ = _run("ARG V=default\nARG W\nENV X=$V-$W\n", {"V": "given"})
    assert state.args == {"V": "given"} and state.inner["Env"] == ["X=given-"]
    assert state.used_args == {"V", "W"}
    state, _ = _run("ARG A=arg\nENV A=env\nENV B=$A\n")  # docker: ENV wins over ARG of the same name
    assert "B=env" in state.inner["Env"]
    assert state.run_env() == ["A=env", "B=env"]


def test_cmd_entrypoint_shell() -> None:
    state, _ = _run('ENTRYPOINT ["/e"]\n', base={"Cmd": ["from", "base"]})
    assert state.inner["Entrypoint"] == ["/e"] and "Cmd" not in state.inner  # (docker resets the base's CMD)
    state, _ = _run('CMD ["c"]\nENTRYPOINT e x\n')
    assert state.inner["Cmd"] == ["c"] and state.inner["Entrypoint"] == ["/bin/sh", "-c", "e x"]
    state, _ = _run('SHELL ["/bin/bash", "-ec"]\nCMD run it\n')
    assert state.inner["Cmd"] == ["/bin/bash", "-ec", "run it"]
    assert state.inner["Shell"] == ["/bin/bash", "-ec"]
    with pytest.raises(HutchError, match="JSON form"):
        _run("SHELL /bin/bash\n")


def test_workdir_user_expose_volume_stopsignal_healthcheck_onbuild() -> None:
    state, _ = _run("ENV D=/srv\nWORKDIR $D\nWORKDIR app\nUSER 1000:1000\nEXPOSE 80 53/UDP\n"
                    'VOLUME ["/v1"]\nVOLUME /v2 /v3\nSTOPSIGNAL SIGINT\n'
                    "HEALTHCHECK --interval=5s CMD true\nONBUILD RUN echo hi\nMAINTAINER me\n")
    inner = state.inner
    assert inner["WorkingDir"] == "/srv/app" and inner["User"] == "1000:1000"
    assert inner["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert inner["Volumes"] == {"/v1": {}, "/v2": {}, "/v3": {}} and inner["StopSignal"] == "SIGINT"
    assert inner["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000}
    assert inner["OnBuild"] == ["RUN echo hi"] and state.config["author"] == "me"
    with pytest.raises(HutchError, match="invalid containerPort: http"):
        _run("EXPOSE http\n")
