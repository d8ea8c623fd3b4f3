"""`hutch` with its store's supervisor: detached containers, logs, exec, the lifecycle
verbs, terminals, signals, OOM, and state that outlives the `hutch` process.

Each test has its own store and runtime state (the `hutch` fixture); at its end no
container, supervisor, mount or cgroup of it is left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.test_engine import HUTCH, Hutch, _import, hutch  # noqa: F401

pytestmark = pytest.mark.root

LOOP = "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"


def _until(cond: Callable[[], object], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _state(h: Hutch, ref: str) -> dict[str, object]:
    doc: dict[str, object] = json.loads(h("inspect", ref).stdout)[0]["State"]
    return doc


def _processes(word: bytes, root: Path | None = None) -> list[int]:
    """Pids of processes whose command line has ``word`` (and names the store ``root``)."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(word in c for c in cmd) and (root is None or any(str(root).encode() in c for c in cmd)):
            out.append(int(pid))
    return out


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return 0
    return int(stat[stat.rindex(b")") + 2:].split()[1])


def _monitors(root: Path) -> list[int]:
    """Pids of the supervisor of this store (one for all its containers): not its forks that
    have not exec'd yet (a container's init on its way, with the supervisor's command line)."""
    found = [p for p in _processes(b"hutch-supervisor", root) if _comm(p) != "hutch-keeper"]
    return [p for p in found if _ppid(p) not in found]


def _keepers(root: Path) -> list[int]:
    """Pids of its keeper (a fork of it, `hutch.engine.supervise.keeper`)."""
    return [p for p in _processes(b"hutch-supervisor", root) if _comm(p) == "hutch-keeper"]


def test_detached_container_outlives_hutch_and_logs(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    cid = hutch("run", "-d", "--name", "ticker", "hbox:1", "sh", "-c", LOOP).stdout.strip()
    assert len(cid) == 64
    _until(lambda: "tick 3" in hutch("logs", "ticker").stdout, what="output in the log")
    ps = hutch("ps").stdout.splitlines()
    assert len(ps) == 2 and ps[1].startswith(cid[:12]) and " Up " in ps[1] and ps[1].endswith("ticker")
    # the supervisor is nobody's child but init's (or a subreaper's): `hutch run -d` has exited;
    # it is single-threaded, and no per-container monitor or runtime process is left
    [mon] = _monitors(hutch.root)
    status = Path(f"/proc/{mon}/status").read_text()
    assert status.count(f"PPid:\t{os.getpid()}\n") == 0 and "Threads:\t1\n" in status
    assert _processes(b"hutch.engine.monitor") == [] and _processes(b"hutch-runtime", hutch.root) == []
    state = _state(hutch, "ticker")
    assert state["Running"] is True and state["Status"] == "running" and int(state["Pid"]) > 0  # type: ignore[call-overload]
    # the log is docker's json-file
    log = hutch.root / "containers" / cid / f"{cid}-json.log"
    first = json.loads(log.read_text().splitlines()[0])
    assert first["log"] == "tick 0\n" and first["stream"] == "stdout" and first["time"].endswith("Z")
    assert json.loads(hutch("inspect", cid[:8]).stdout)[0]["LogPath"] == str(log)
    tail = hutch("logs", "--tail", "2", "ticker").stdout.splitlines()
    assert len(tail) == 2 and all(t.startswith("tick ") for t in tail)
    stamped = hutch("logs", "-t", "--tail", "1", "ticker").stdout.split()
    assert stamped[0].endswith("Z") and stamped[1] == "tick"
    hutch("stop", "-t", "1", "ticker")
    state = _state(hutch, "ticker")
    assert state["Status"] == "exited" and state["ExitCode"] == 137  # sh as pid 1 ignores SIGTERM
    _until(lambda: _monitors(hutch.root) == _keepers(hutch.root) == [],
           what="the supervisor to go after its last container")


def test_stop_signal_timeout_kill_wait(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    trap = "trap 'echo got-$1; exit $2' {}; echo ready; while true; do sleep 0.1; done"
    hutch("run", "-d", "--name", "t", "hbox:1", "sh", "-c", trap.format("TERM"), "-", "TERM", "3")
    _until(lambda: "ready" in hutch("logs", "t").stdout)
    hutch("stop", "t")
    assert hutch("wait", "t").stdout == "3\n"
    assert "got-TERM" in hutch("logs", "t").stdout
    # --stop-signal, and --stop-timeout for a container that ignores it
    hutch("run", "-d", "--name", "u", "--stop-signal", "USR1", "hbox:1", "sh", "-c", trap.format("USR1"),
          "-", "USR1", "4")
    _until(lambda: "ready" in hutch("logs", "u").stdout)
    hutch("stop", "u")
    assert hutch("wait", "u").stdout == "4\n"
    hutch("run", "-d", "--name", "v", "--stop-timeout", "1", "hbox:1", "sh", "-c", "sleep 1000")
    t0 = time.monotonic()
    hutch("stop", "v")
    assert time.monotonic() - t0 < 8 and hutch("wait", "v").stdout == "137\n"
    # kill -s: the signal reaches the container's init, which handles it
    hutch("start", "t")
    _until(lambda: hutch("logs", "t").stdout.count("ready") == 2)
    hutch("kill", "-s", "SIGTERM", "t")
    assert hutch("wait", "t").stdout == "3\n"
    r = hutch("kill", "-s", "NOPE", "t", check=False)
    assert r.returncode == 1 and "invalid signal: NOPE" in r.stderr
    r = hutch("kill", "t", check=False)
    assert r.returncode == 1 and "is not running" in r.stderr


def test_start_restart_keeps_the_writable_layer_and_log(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "--name", "c", "hbox:1", "sh", "-c", "echo run >> /count; cat /count | wc -l")
    assert hutch("logs", "c").stdout.split() == ["1"]  # a foreground container is logged too
    hutch("start", "c")
    assert hutch("wait", "c").stdout == "0\n"
    r = hutch("start", "-a", "c")
    assert r.stdout.split() == ["3"]
    assert hutch("logs", "c").stdout.split() == ["1", "2", "3"]
    hutch("create", "--name", "made", "hbox:1", "sh", "-c", LOOP)
    assert "Created" in hutch("ps", "-a").stdout
    hutch("start", "made")
    _until(lambda: "tick 1" in hutch("logs", "made").stdout)
    before = _state(hutch, "made")["Pid"]
    hutch("restart", "-t", "0", "made")
    after = _state(hutch, "made")
    assert after["Running"] is True and after["Pid"] != before
    hutch("rm", "-f", "made")


def test_exec(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--name", "e", "-e", "FROM_RUN=1", "hbox:1", "sleep", "1000")
    r = hutch("exec", "-e", "X=y", "-w", "/tmp", "-u", "1000:1000", "e", "sh", "-c",
              "echo $X $FROM_RUN; pwd; id -u; id -g; exit 5", check=False)
    assert r.returncode == 5 and r.stdout.split() == ["y", "1", "/tmp", "1000", "1000"], r.stderr
    assert hutch("exec", "-u", "nobody", "e", "id", "-u").stdout == "65534\n"  # a name, from its passwd
    r = hutch("exec", "-u", "hutchnosuch", "e", "true", check=False)
    assert r.returncode == 125 and "no user 'hutchnosuch'" in r.stderr
    r = hutch("exec", "-i", "e", "sh", "-c", "tr a-z A-Z", input=b"from stdin\n")
    assert r.stdout == "FROM STDIN\n"
    assert hutch("exec", "e", "sh", "-c", "cat; echo done", input=b"ignored\n").stdout == "done\n"  # no -i
    hutch("exec", "-d", "e", "sh", "-c", "echo bg > /bg; sleep 1000")
    _until(lambda: hutch("exec", "e", "cat", "/bg", check=False).stdout == "bg\n")
    r = hutch("exec", "e", "nosuchcmd", check=False)
    assert r.returncode == 127, r.stderr
    top = hutch("top", "e").stdout.splitlines()
    assert top[0].split()[:3] == ["UID", "PID", "PPID"] and any("sleep 1000" in line for line in top[1:])
    stats = hutch("stats", "--no-stream", "e").stdout.splitlines()
    assert stats[0].startswith("CONTAINER ID") and stats[1].split()[1] == "e"
    assert int(stats[1].split()[-1]) >= 2  # pids: the init and the exec'd sleep
    hutch("stop", "-t", "0", "e")
    r = hutch("exec", "e", "true", check=False)
    assert r.returncode == 126 and "is not running" in r.stderr


def test_pause_unpause_rename_port_ps_format(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    cid = hutch("run", "-d", "--name", "p", "hbox:1", "sh", "-c", LOOP).stdout.strip()
    _until(lambda: "tick 1" in hutch("logs", "p").stdout)
    hutch("pause", "p")
    assert _state(hutch, "p")["Paused"] is True and "(Paused)" in hutch("ps").stdout
    n = len(hutch("logs", "p").stdout.splitlines())
    time.sleep(0.5)
    assert len(hutch("logs", "p").stdout.splitlines()) == n  # frozen
    assert "already paused" in hutch("pause", "p", check=False).stderr
    r = hutch("exec", "p", "true", check=False)
    assert "container p is paused, unpause the container first" in r.stderr, r  # docker's words
    hutch("unpause", "p")
    _until(lambda: len(hutch("logs", "p").stdout.splitlines()) > n, what="ticks after unpause")
    hutch("run", "-d", "--name", "frozen", "hbox:1", "sleep", "1000")
    hutch("pause", "frozen")
    t0 = time.monotonic()
    hutch("rm", "-f", "frozen")  # thawed, killed, removed: no 10 s wait for a frozen process
    assert time.monotonic() - t0 < 8 and "frozen" not in hutch("ps", "-a").stdout
    hutch("rename", "p", "q")
    assert hutch("ps", "--format", "{{.Names}} {{.State}}").stdout == "q running\n"
    doc = json.loads(hutch("ps", "--format", "json").stdout)
    assert doc["ID"] == cid[:12] and doc["Names"] == "q"
    assert hutch("ps", "-q", "--no-trunc").stdout == cid + "\n"
    assert hutch("ps", "--format", "table {{.ID}}\t{{.Names}}").stdout.splitlines()[0].split() == \
        ["CONTAINER", "ID", "NAMES"]
    assert hutch("port", "q").stdout == ""
    hutch("run", "-d", "--name", "other", "hbox:1", "sleep", "1000")
    r = hutch("rename", "q", "other", check=False)
    assert r.returncode == 1 and 'name "/other" is already in use' in r.stderr


def test_rm_after_exit_and_oom(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--rm", "--name", "gone", "hbox:1", "sh", "-c", "exit 0")
    _until(lambda: hutch("ps", "-a", "-q").stdout == "", what="--rm to remove the container")
    r = hutch("run", "--name", "hog", "-m", "8m", "--memory-swap", "8m", "hbox:1", "sh", "-c",
              "x=a; while true; do x=$x$x; done", check=False)
    assert r.returncode == 137
    state = _state(hutch, "hog")
    assert state["OOMKilled"] is True and state["ExitCode"] == 137


def test_terminal_and_stdin(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    cmd = (f"stty rows 33 cols 101; {HUTCH} --root {hutch.root} --runroot {hutch.runroot} "
           f"run -it --rm hbox:1 sh -c 'tty; stty size; exit 6'")
    with subprocess.Popen(["sleep", "5"], stdout=subprocess.PIPE) as feeder:
        r = subprocess.run(["script", "-eqc", cmd, "/dev/null"], stdin=feeder.stdout, capture_output=True,
                           timeout=60, check=False)
        feeder.kill()
    assert r.returncode == 6, r.stdout
    assert r.stdout.split() == [b"/dev/pts/0", b"33", b"101"], r.stdout
    # typed input reaches a shell on the container's terminal
    cmd = f"{HUTCH} --root {hutch.root} --runroot {hutch.runroot} run -it --rm hbox:1 sh"
    r = subprocess.run(["script", "-eqc", cmd, "/dev/null"], input=b"echo hi-$((6*7))\nexit 9\n",
                       capture_output=True, timeout=60, check=False)
    assert r.returncode == 9 and b"hi-42" in r.stdout, r.stdout
    # -i without a terminal: stdin is a pipe, closed at our EOF
    assert hutch("run", "-i", "--rm", "hbox:1", "sh", "-c", "wc -l", input=b"a\nb\n").stdout.strip() == "2"
    # -t without -i: output through the pty, no stdin
    assert hutch("run", "-t", "--rm", "hbox:1", "tty").stdout.strip() == "/dev/pts/0"
    r = hutch("run", "-it", "--rm", "hbox:1", "true", check=False)
    assert r.returncode == 125 and "not a TTY" in r.stderr


def test_signals_reach_the_container_from_a_foreground_run(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    argv = [str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "run", "--rm", "hbox:1",
            "sh", "-c", "trap 'echo got-int; exit 42' INT; echo ready; while true; do sleep 0.1; done"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
        assert p.stdout is not None
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(signal.SIGINT)
        out, _err = p.communicate(timeout=30)
    assert p.returncode == 42 and out == b"got-int\n"


def test_logs_since_until_details(hutch: Hutch) -> None:  # noqa: F811
    """docker's --since/--until (its time forms: RFC 3339, Unix seconds, a duration ago) and
    --details (the log's attributes, none here: a space), on a container's real log."""
    _import(hutch)
    hutch("run", "--name", "lg", "hbox:1", "sh", "-c", "echo one; sleep 1.1; echo two; sleep 1.1; echo three")
    stamped = hutch("logs", "-t", "lg").stdout.splitlines()
    times = [line.split(" ", 1)[0] for line in stamped]
    assert [line.split(" ", 1)[1] for line in stamped] == ["one", "two", "three"]
    assert hutch("logs", "--since", times[1], "lg").stdout == "two\nthree\n"
    assert hutch("logs", "--until", times[1], "lg").stdout == "one\ntwo\n"
    assert hutch("logs", "--since", times[1], "--until", times[1], "lg").stdout == "two\n"
    from hutch.util.timefmt import parse_ns

    ns = parse_ns(times[2])
    unix = f"{ns // 10**9}.{ns % 10**9:09d}"  # (docker's SECONDS.NANOSECONDS)
    assert hutch("logs", "--since", unix, "lg").stdout == "three\n"
    assert hutch("logs", "--since", "1h", "lg").stdout == "one\ntwo\nthree\n"
    assert hutch("logs", "--until", "1h", "lg").stdout == ""
    assert hutch("logs", "--details", "--tail", "1", "lg").stdout == " three\n"
    r = hutch("logs", "--since", "soon", "lg", check=False)
    want = 'Error: invalid value for --since: failed to parse value as time or duration: "soon"\n'
    assert r.returncode == 1 and r.stderr == want, r


def test_log_rotation(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    cid = hutch("run", "--name", "l", "--log-opt", "max-size=2k", "--log-opt", "max-file=3", "hbox:1", "sh",
                "-c", "i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done").stdout
    assert cid.splitlines()[-1] == "line-299"
    d = hutch.root / "containers" / json.loads(hutch("inspect", "l").stdout)[0]["Id"]
    logs = sorted(p.name for p in d.glob("*-json.log*"))
    assert len(logs) == 3 and all((d / n).stat().st_size <= 2048 for n in logs), logs
    kept = hutch("logs", "l").stdout.splitlines()
    assert kept[-1] == "line-299" and 0 < len(kept) < 300
    assert kept == [f"line-{i}" for i in range(300 - len(kept), 300)]  # oldest dropped, in order
    for bad, words in ((["--log-opt", "max-file=x", "--log-opt", "max-size=1k"], "max-file"),
                       (["--log-opt", "colour=red"], "unknown log option"),
                       (["--log-opt", "max-size=lots"], "max-size")):
        r = hutch("run", "--rm", *bad, "hbox:1", "true", check=False)
        assert r.returncode == 125 and words in r.stderr and "Traceback" not in r.stderr
    assert hutch("ps", "-a", "-q").stdout.split() == [json.loads(hutch("inspect", "l").stdout)[0]["Id"][:12]]


def test_follow(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--name", "f", "hbox:1", "sh", "-c",
          "for i in 1 2 3 4 5; do echo n$i; sleep 0.2; done")
    r = hutch("logs", "-f", "f")
    assert r.stdout.split() == ["n1", "n2", "n3", "n4", "n5"]


def test_lost_monitor_and_concurrent_runs(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--name", "orphan", "hbox:1", "sleep", "1000")
    init_pid = int(_state(hutch, "orphan")["Pid"])  # type: ignore[call-overload]
    # the supervisor and its keeper both gone (the keeper stopped first, so it cannot hand over)
    [mon], [keeper] = _monitors(hutch.root), _keepers(hutch.root)
    os.kill(keeper, signal.SIGSTOP)
    os.kill(mon, signal.SIGKILL)
    os.kill(keeper, signal.SIGKILL)
    _until(lambda: not Path(f"/proc/{mon}").exists()
           or Path(f"/proc/{mon}/stat").read_text().split()[2] == "Z")
    ps = hutch("ps", "-a").stdout
    assert "Exited (255)" in ps, ps
    _until(lambda: not Path(f"/proc/{init_pid}").exists()
           or Path(f"/proc/{init_pid}/stat").read_text().split()[2] == "Z", what="the orphan to be killed")
    # two runs of one name at once: one wins; five runs at once: five intact records
    base = [str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot]
    procs = [subprocess.Popen([*base, "run", "-d", "--name", "same", "hbox:1", "sleep", "1000"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    procs += [subprocess.Popen([*base, "run", "-d", "hbox:1", "sleep", "1000"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(5)]
    results = [(p.wait(timeout=60), p.stderr.read() if p.stderr else b"") for p in procs]
    for p in procs:
        for f in (p.stdout, p.stderr):
            if f:
                f.close()
    assert sorted(code for code, _ in results[:2]) == [0, 125]
    assert all(code == 0 for code, _ in results[2:]), results
    running = hutch("ps", "-q").stdout.split()
    assert len(running) == 6


def test_bad_input_leaves_nothing(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    for verb in (["start"], ["stop"], ["restart"], ["kill"], ["wait"], ["pause"], ["unpause"], ["logs"],
                 ["exec", "-x"], ["top"], ["port"], ["rename", "-x"], ["attach"]):
        argv = [verb[0], "nosuch", *verb[1:]] if verb[0] != "exec" else ["exec", "nosuch", "true"]
        if verb[0] == "rename":
            argv = ["rename", "nosuch", "x"]
        r = hutch(*argv, check=False)
        assert r.returncode != 0 and "No such container: nosuch" in r.stderr, (argv, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = hutch("run", "-d", "--stop-signal", "BOGUS", "hbox:1", "true", check=False)
    assert r.returncode == 125 and "invalid signal" in r.stderr
    hutch("run", "-d", "--name", "x", "hbox:1", "sleep", "1000")
    r = hutch("exec", "-d", "-t", "x", "true", check=False)
    assert r.returncode == 125 and "not supported" in r.stderr
    r = hutch("run", "-d", "hbox:1", "nosuchcommand", check=False)
    assert r.returncode == 127, r.stderr
    assert len(hutch("ps", "-a", "-q").stdout.split()) == 2  # x, and the failed one (as docker: created)


def test_window_size_changes_reach_the_terminal(hutch: Hutch) -> None:  # noqa: F811
    """What `hutch run -t`/`attach` send on SIGWINCH: a RESIZE frame on the monitor's socket."""
    from hutch.engine import attach

    _import(hutch)
    cid = hutch("run", "-d", "-t", "--name", "w", "hbox:1", "sh", "-c",
                "while true; do stty size; sleep 0.1; done").stdout.strip()
    _until(lambda: "stty" in hutch("logs", "w").stdout, what="the first try")  # 0x0: busybox fails
    sock = attach.connect(str(hutch.root / "containers" / cid / "attach"))
    try:
        sock.sendall(attach.frame(attach.RESIZE, attach.resize_payload(44, 132)))
        _until(lambda: "44 132" in hutch("logs", "w").stdout, what="the new size")
    finally:
        sock.close()
    # exec -t gets a terminal of its own
    cmd = f"{HUTCH} --root {hutch.root} --runroot {hutch.runroot} exec -it w sh -c 'tty; exit 3'"
    r = subprocess.run(["script", "-eqc", cmd, "/dev/null"], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=60, check=False)
    assert r.returncode == 3 and b"/dev/pts/" in r.stdout, r.stdout  # (script echoes its EOF as ^@)


@pytest.mark.parametrize(("spec", "words"), [
    ("80:80:80:80", "use [IP:]"), ("x:80", "host port 'x'"), ("8080:99999", "not in 1-65535"),
    ("80/icmp", "protocol 'icmp'"), ("1.2.3:80:80", "not an IP address"), ("1-3:5-6", "differ in length"),
    ("8080:80", "needs a bridge network"),
])
def test_bad_publish_values(hutch: Hutch, spec: str, words: str) -> None:  # noqa: F811
    _import(hutch)
    r = hutch("run", "--rm", "--network", "none", "-p", spec, "hbox:1", "true", check=False)
    assert r.returncode == 125 and words in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
    assert hutch("ps", "-a", "-q").stdout == ""
    r = hutch("run", "--rm", "--network", "host", "-p", "127.0.0.1:8080:80/udp", "hbox:1", "true",
              check=False)
    assert r.returncode == 0 and "discarded" in r.stderr


def test_run_runtime_flag_and_detached_runc(hutch: Hutch) -> None:  # noqa: F811
    import shutil

    if not shutil.which("runc"):
        pytest.skip("runc is not installed")
    _import(hutch)
    hutch("run", "-d", "--runtime", "runc", "--name", "r", "hbox:1", "sh", "-c", "echo up; sleep 1000")
    assert json.loads(hutch("inspect", "r").stdout)[0]["HostConfig"]["Runtime"].endswith("runc")
    _until(lambda: hutch("logs", "r").stdout == "up\n")
    assert hutch("exec", "r", "sh", "-c", "echo $$").stdout.strip() != "1"
    hutch("stop", "-t", "0", "r")
    assert hutch("wait", "r").stdout == "137\n"


def test_image_config_is_honoured(hutch: Hutch) -> None:  # noqa: F811
    changes = ["ENV A=1 B=two", "WORKDIR /tmp", "USER 1000", 'ENTRYPOINT ["sh", "-c"]',
               'CMD ["echo $A $B; pwd; id -u"]', "STOPSIGNAL SIGUSR1", "EXPOSE 80/tcp", "LABEL k=v",
               "VOLUME /data"]
    hutch("import", *(x for c in changes for x in ("-c", c)), "-m", "with a config",
          str(hutch.tarball), "cfg:1")  # type: ignore[attr-defined]
    assert hutch("run", "--rm", "cfg:1").stdout.split() == ["1", "two", "/tmp", "1000"]
    assert hutch("run", "--rm", "-e", "A=cli", "cfg:1", "echo $A").stdout == "cli\n"  # args replace CMD
    assert hutch("run", "--rm", "--entrypoint", "echo", "cfg:1", "hi").stdout == "hi\n"
    assert "with a config" in hutch("history", "cfg:1").stdout
    hutch("run", "-d", "--name", "s", "-u", "0", "cfg:1",
          "trap 'exit 5' USR1; echo ready; while true; do sleep 0.1; done")
    _until(lambda: "ready" in hutch("logs", "s").stdout)
    cfg = json.loads(hutch("inspect", "s").stdout)[0]["Config"]
    assert cfg["Labels"] == {"k": "v"} and cfg["ExposedPorts"] == {"80/tcp": {}} and "/data" in cfg["Volumes"]
    assert cfg["StopSignal"] == "SIGUSR1"
    hutch("stop", "s")  # the image's STOPSIGNAL: the trap exits 5
    assert hutch("wait", "s").stdout == "5\n"
    r = hutch("import", "-c", "FROM scratch", str(hutch.tarball), "bad:1", check=False)  # type: ignore[attr-defined]
    assert r.returncode == 1 and "FROM is not one of" in r.stderr and "bad" not in hutch("images").stdout


def test_hostname_read_only_network_and_name_flags(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    r = hutch("run", "--rm", "-h", "box7", "--read-only", "hbox:1", "sh", "-c",
              "hostname; touch /x 2>&1; touch /tmp/x 2>&1 || true", check=False)
    assert r.stdout.splitlines()[0] == "box7" and "Read-only file system" in r.stdout
    # docker's /etc/hostname, /etc/hosts and /etc/resolv.conf, the container's own (and writable)
    r = hutch("run", "--rm", "-h", "box8", "--read-only", "hbox:1", "sh", "-c",
              "cat /etc/hostname; grep -c box8 /etc/hosts; grep -c localhost /etc/hosts; "
              "echo '10.0.0.1 x' >> /etc/hosts && echo ok")
    assert r.stdout.split() == ["box8", "1", "2", "ok"], r.stdout + r.stderr
    with open("/etc/resolv.conf") as f:
        host_resolv = f.read()
    r = hutch("run", "--rm", "--network", "host", "hbox:1", "cat", "/etc/resolv.conf")
    assert r.stdout == host_resolv
    host_net = os.readlink("/proc/self/ns/net")
    r = hutch("run", "--rm", "--network", "host", "hbox:1", "readlink", "/proc/self/ns/net")
    assert r.stdout.strip() == host_net
    links = "readlink /proc/self/ns/net; ls /sys/class/net"
    r = hutch("run", "--rm", "--network", "none", "hbox:1", "sh", "-c", links)
    assert r.stdout.split()[0] != host_net and r.stdout.split()[1:] == ["lo"]
    r = hutch("run", "--rm", "hbox:1", "sh", "-c", links)  # the default network: a bridge
    assert r.stdout.split()[0] != host_net and r.stdout.split()[1:] == ["eth0", "lo"]
    # a working directory the image lacks is made, as docker does; a symlink cannot lead it out
    assert hutch("run", "--rm", "-w", "/made/here", "hbox:1", "pwd").stdout == "/made/here\n"
    hutch("run", "--name", "lnk", "hbox:1", "ln", "-s", "/", "/up")
    hutch("commit", "lnk", "lnk:1")
    r = hutch("run", "--rm", "-w", "/up/hutch-escape", "lnk:1", "pwd")
    assert r.stdout == "/hutch-escape\n"  # made in its own /
    assert not os.path.exists("/hutch-escape")
    hutch("run", "--name", "taken", "hbox:1", "true")
    r = hutch("run", "--name", "taken", "hbox:1", "true", check=False)
    assert r.returncode == 125 and 'name "/taken" is already in use' in r.stderr


def test_attach(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("run", "-d", "--name", "a", "hbox:1", "sh", "-c", LOOP)
    argv = [str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "attach", "--no-stdin", "a"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
        assert p.stdout is not None
        assert p.stdout.readline().startswith(b"tick ")  # what the container writes from now on
        hutch("stop", "-t", "0", "a")
        p.communicate(timeout=30)
    assert p.returncode == 137
    r = hutch("attach", "a", check=False)
    assert r.returncode == 1 and "stopped container" in r.stderr


def test_start_attached_with_stdin_and_no_sig_proxy(hutch: Hutch) -> None:  # noqa: F811
    _import(hutch)
    hutch("create", "-i", "--name", "c", "hbox:1", "sh", "-c", "tr a-z A-Z")
    assert hutch("start", "-a", "-i", "c", input=b"piped in\n").stdout == "PIPED IN\n"
    assert hutch("wait", "c").stdout == "0\n"
    # --sig-proxy=false: a signal to `hutch run` is not passed on (docker's meaning)
    argv = [str(HUTCH), "--root", str(hutch.root), "--runroot", hutch.runroot, "run", "--name", "np",
            "--sig-proxy=false", "hbox:1", "sh", "-c",
            "trap 'echo got-usr1' USR1; echo ready; i=0; while [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
        assert p.stdout is not None
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(signal.SIGUSR1)  # hutch itself dies of it (its default action) ...
        p.communicate(timeout=30)
    hutch("wait", "np")  # ... and the container runs on to its end, untouched
    assert "got-usr1" not in hutch("logs", "np").stdout


def test_one_supervisor_runs_containers_in_process(hutch: Hutch) -> None:  # noqa: F811
    """The store's one supervisor forks every container (hutch's runtime in-process): a
    container sees only its own stdio, however many others the supervisor holds; the
    runtime's state dir is the one `hutch-runtime --root RUNROOT/runtime` reads."""
    _import(hutch)
    cid = hutch("run", "-d", "--name", "a", "hbox:1", "sh", "-c", LOOP).stdout.strip()
    hutch("run", "-d", "--name", "b", "hbox:1", "sleep", "1000")
    [sup] = _monitors(hutch.root)
    assert "Threads:\t1\n" in Path(f"/proc/{sup}/status").read_text()
    assert hutch("run", "--rm", "hbox:1", "sh", "-c", "ls /proc/1/fd; true").stdout.split() == ["0", "1", "2"]
    assert hutch("exec", "b", "ls", "/proc/1/fd").stdout.split() == ["0", "1", "2"]
    fds = hutch("exec", "b", "sh", "-c", "ls /proc/$$/fd; true").stdout.split()
    assert fds == ["0", "1", "2"], fds
    assert _monitors(hutch.root) == [sup] and _processes(b"hutch-runtime", hutch.root) == []
    assert len(_keepers(hutch.root)) == 1
    runtime = [str(HUTCH.parent / "hutch-runtime"), "--root", f"{hutch.runroot}/runtime"]
    listed = subprocess.run([*runtime, "list", "-q"], capture_output=True, text=True,
                            check=True).stdout.split()
    assert cid in listed and len(listed) == 2
    state = json.loads(subprocess.run([*runtime, "state", cid], capture_output=True, text=True,
                                      check=True).stdout)
    assert state["status"] == "running" and state["pid"] == _state(hutch, "a")["Pid"]
    subprocess.run([*runtime, "kill", cid, "KILL"], check=True)
    assert hutch("wait", "a").stdout == "137\n"
    assert "Exited (137)" in hutch("ps", "-a").stdout
    # exec: the process's status, docker's 127, stdin and output through the supervisor
    assert hutch("exec", "b", "sh", "-c", "exit 9", check=False).returncode == 9
    r = hutch("exec", "b", "nosuch", check=False)
    assert r.returncode == 127 and "exec failed" in r.stderr
    assert hutch("exec", "-i", "b", "sh", "-c", "cat; echo err >&2", input=b"in\n").stdout == "in\n"
    hutch("rm", "-f", "b")
    _until(lambda: _monitors(hutch.root) == _keepers(hutch.root) == [],
           what="the supervisor to go after its last container")
