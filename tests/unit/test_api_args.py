"""docker-py's run/create keyword arguments → CreateRequest.parse's (hutch.apiargs), and the
request they give: the forms docker-py documents (docker-py.readthedocs.io, "Containers":
ports, volumes, mounts, tmpfs, labels, extra_hosts, ulimits, log_config, restart_policy), and
its TypeError for a keyword it does not have (docker/errors.py create_unexpected_kwargs_error)."""

from __future__ import annotations

import pytest

import hutch
from hutch.api import args as apiargs
from hutch.api.types import LogConfig, Mount, Ulimit
from hutch.engine.request import CreateRequest
from hutch.errors import APIError, HutchError, InvalidArgument, NotFound, NotImplementedByHutch


def request(**kw: object) -> CreateRequest:
    apiargs.check_kwargs("create", kw)
    return CreateRequest.parse("box:1", **apiargs.to_parse_args(kw))


def test_unknown_keyword_is_a_type_error_as_docker_py() -> None:
    with pytest.raises(TypeError, match=r"create\(\) got an unexpected keyword argument 'colour'"):
        apiargs.check_kwargs("create", {"colour": "red"})
    with pytest.raises(NotImplementedByHutch, match="devices") as err:
        apiargs.check_kwargs("run", {"devices": ["/dev/fuse"]})
    assert err.value.status_code == 501
    apiargs.check_kwargs("run", {"devices": None, "detach": True}, apiargs.RUN_ONLY)  # "not set" is fine


def test_ports_every_docker_py_form() -> None:
    assert apiargs.ports({"80/tcp": 8080, "53/udp": ("127.0.0.1", 5353), 22: None, "9000": [9001, 9002],
                          "7/tcp": ("::1", 7007), "8/tcp": ("127.0.0.1",)}) == [
        "8080:80/tcp", "127.0.0.1:5353:53/udp", "22/tcp", "9001:9000/tcp", "9002:9000/tcp",
        "[::1]:7007:7/tcp", "127.0.0.1::8/tcp"]
    req = request(ports={"80/tcp": 8080, "53/udp": ("127.0.0.1", 5353), "22/tcp": None})
    got = {(p.container_port, p.protocol, p.host_ip, p.host_port) for p in req.ports}
    assert got == {(80, "tcp", "", 8080), (53, "udp", "127.0.0.1", 5353), (22, "tcp", "", 0)}


def test_volumes_list_and_dict_forms() -> None:
    """docker-py's dict form {src: {"bind": dst, "mode": "ro"}} (today's bug: its keys were taken
    as -v values) and the list of "src:dst[:mode]" strings give the same mounts."""
    as_dict = request(volumes={"/usr/share": {"bind": "/data", "mode": "ro"}, "cache": {"bind": "/cache"},
                               "/etc/hosts": "/h"})
    as_list = request(volumes=["/usr/share:/data:ro", "cache:/cache:rw", "/etc/hosts:/h"])
    assert as_dict.mounts == as_list.mounts
    by_target = {m.target: m for m in as_dict.mounts}
    assert by_target["/data"].readonly and by_target["/data"].source == "/usr/share"
    assert by_target["/cache"].kind == "volume" and not by_target["/cache"].readonly
    with pytest.raises(InvalidArgument, match="bind"):
        apiargs.volumes({"/x": {"mode": "ro"}})


def test_mounts_tmpfs_ulimits_log_config() -> None:
    req = request(mounts=[Mount("/m", "/usr", type="bind", read_only=True),
                          Mount("/t", None, type="tmpfs", tmpfs_size=1 << 20)],
                  tmpfs={"/run": "size=64k"}, ulimits=[Ulimit(name="nofile", soft=1024, hard=2048)],
                  log_config=LogConfig(type="json-file", config={"max-size": "1m", "max-file": "2"}))
    kinds = {m.target: (m.kind, m.source, m.readonly) for m in req.mounts}
    assert kinds["/m"] == ("bind", "/usr", True) and kinds["/t"][0] == "tmpfs" and kinds["/run"][0] == "tmpfs"
    assert [(u.kind, u.soft, u.hard) for u in req.ulimits] == [("RLIMIT_NOFILE", 1024, 2048)]
    assert (req.log.max_size, req.log.max_file) == (1 << 20, 2)


def test_scalars_and_lists() -> None:
    req = request(command="sh -c 'echo a b'", entrypoint="/bin/env -i", environment={"A": "1"},
                  working_dir="/tmp", user="1:2", hostname="h", name="n1", tty=True, stdin_open=True,
                  auto_remove=True, mem_limit="64m", memswap_limit=128 << 20, nano_cpus=500_000_000,
                  cpu_shares=512, cpuset_cpus="0", pids_limit=50, read_only=True, cap_add=["NET_ADMIN"],
                  cap_drop=["CHOWN"], labels={"a": "1"}, dns=["1.1.1.1"], dns_search=["x.test"],
                  extra_hosts={"db": "10.0.0.2"}, stop_signal="SIGTERM", security_opt=["no-new-privileges"])
    assert req.command == ["sh", "-c", "echo a b"] and req.entrypoint == ["/bin/env", "-i"]
    assert req.env == {"A": "1"}
    assert (req.workdir, req.user, req.hostname, req.name) == ("/tmp", "1:2", "h", "n1")
    assert req.tty and req.stdin and req.remove and req.read_only
    r = req.resources
    assert (r.memory, r.memory_swap, r.cpus, r.cpu_shares, r.cpuset_cpus, r.pids_limit) == \
        (64 << 20, 128 << 20, 0.5, 512, "0", 50)
    assert "CAP_NET_ADMIN" in req.capabilities and "CAP_CHOWN" not in req.capabilities
    assert req.labels == {"a": "1"} and req.network.dns == ["1.1.1.1"]
    assert req.network.dns_search == ["x.test"]
    assert req.network.add_hosts == ["db:10.0.0.2"] and req.stop_signal == "SIGTERM"
    assert request(labels=["solo", "k=v"]).labels == {"solo": "", "k": "v"}
    assert request(environment={"E": None, "F": 1}).env == {"E": "", "F": "1"}
    assert request(extra_hosts=["db:10.0.0.3"]).network.add_hosts == ["db:10.0.0.3"]
    assert request(privileged=True).privileged


def test_network_and_network_mode() -> None:
    assert request().network.mode == "bridge" and request().network.name == "bridge"
    assert request(network_mode="host").network.mode == "host"
    assert request(network="none").network.mode == "none"
    assert request(network_mode="container:other").network.container == "other"
    assert request(network="mynet").network.name == "mynet"
    assert request(network_disabled=True).network.mode == "none"
    assert request(network_mode="bridge", mac_address="02:42:ac:11:00:09").network.mac == "02:42:ac:11:00:09"
    with pytest.raises(InvalidArgument, match="incompatible"):
        apiargs.network({"network": "a", "network_mode": "host"})


def test_restart_policy_needs_the_engine() -> None:
    assert apiargs.restart_policy({"Name": "on-failure", "MaximumRetryCount": 3}) == "on-failure:3"
    assert apiargs.restart_policy({"Name": "always"}) == "always"
    assert apiargs.to_parse_args({"restart_policy": {"Name": "no"}}) == {"network": "bridge"}
    with pytest.raises(NotImplementedByHutch, match="restart policies"):
        apiargs.to_parse_args({"restart_policy": {"Name": "always"}})
    assert apiargs.to_parse_args({"restart_policy": {"Name": "always"}}, restart_supported=True)["restart"] \
        == "always"


def test_errors_are_docker_py_and_hutch_ones() -> None:
    """docker.errors' names (docker-py 7's errors.py): NotFound is an APIError with status 404, all
    are HutchErrors, and hutch's own not-found errors are NotFounds."""
    from hutch.engine.registry import ContainerNotFound
    from hutch.engine.volumes import VolumeNotFound
    from hutch.image.store import ImageNotFound
    from hutch.network.store import NetworkNotFound

    assert hutch.errors.DockerException is HutchError and hutch.DockerException is HutchError
    assert issubclass(hutch.errors.ImageNotFound, NotFound) and issubclass(NotFound, APIError)
    for cls in (ContainerNotFound, VolumeNotFound, NetworkNotFound):
        err = cls("x")
        assert isinstance(err, hutch.errors.NotFound) and err.status_code == 404 and err.is_client_error()
        assert "x" in str(err) and err.explanation == str(err)
    assert isinstance(ImageNotFound("x"), hutch.errors.ImageNotFound)
    e = hutch.errors.APIError("boom")
    assert (e.status_code, e.explanation, e.response, str(e)) == (500, "boom", None, "boom")
    ce = hutch.errors.ContainerError("c", 3, "false", "box:1", b"bad\n")
    assert (ce.exit_status, ce.command, ce.image, ce.stderr) == (3, "false", "box:1", b"bad\n")
    assert isinstance(ce, hutch.DockerException) and "returned non-zero exit status 3: bad" in str(ce)
    assert hutch.from_env is hutch.api.from_env and hutch.DockerClient is hutch.Client


def test_engine_refusals_are_docker_answers() -> None:
    """An engine error that is not already docker's becomes an APIError with the status docker's
    daemon answers with (409 conflict, 400 bad value, 500 else), message and cause kept."""
    from hutch.api.answers import answered

    cases = [(HutchError('the container name "x" is already in use'), 409),
             (HutchError("container x is not running"), 409),
             (InvalidArgument("invalid --memory 'lots'"), 400), (HutchError("disk on fire"), 500)]
    for err, status in cases:
        with pytest.raises(APIError) as got, answered():
            raise err
        assert got.value.status_code == status and str(got.value) == str(err) and got.value.__cause__ is err
    with pytest.raises(NotFound), answered():
        raise NotFound("No such container: x")  # already docker's: as it is
    with pytest.raises(hutch.errors.ContainerError), answered():
        raise hutch.errors.ContainerError(None, 1, "false", "box:1", b"")
