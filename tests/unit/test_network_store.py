"""hutch.network.store: docker's network objects, without the kernel (release_kernel is the
integration tests')."""

from __future__ import annotations

from pathlib import Path

import pytest

from hutch.errors import HutchError
from hutch.network import store
from hutch.network.store import Networks


@pytest.fixture
def nets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Networks:
    released: list[str] = []
    monkeypatch.setattr(store, "release_kernel", lambda net: released.append(net["Name"]))
    monkeypatch.setattr(store, "host_routes", lambda: [store.Subnet("10.89.0.0/24")])  # as if the host had it
    from hutch.network import firewall

    monkeypatch.setattr(firewall, "remove_table", lambda: released.append("<table>"))
    n = Networks(str(tmp_path))
    n.released = released  # type: ignore[attr-defined]
    return n


def test_create_chooses_free_subnets_and_bridges(nets: Networks) -> None:
    a = nets.create("front")
    b = nets.create("back", labels={"k": "v"})
    assert a["IPAM"]["Config"] == [{"Subnet": "10.89.1.0/24", "Gateway": "10.89.1.1"}]  # .0 is the host's
    assert b["IPAM"]["Config"][0]["Subnet"] == "10.89.2.0/24" and b["Labels"] == {"k": "v"}
    bridges = [a["Options"][store.BRIDGE_NAME_OPTION], b["Options"][store.BRIDGE_NAME_OPTION]]
    assert bridges == ["hutch1", "hutch2"]
    assert len(a["Id"]) == 64 and a["Driver"] == "bridge" and a["Scope"] == "local"
    assert [n["Name"] for n in nets.all()] == ["front", "back"]
    assert nets.get("front") == a and nets.get(a["Id"][:12]) == a
    d = nets.get("bridge")  # docker's default: made on first use
    assert d["Options"][store.BRIDGE_NAME_OPTION] == "hutch0"
    assert d["IPAM"]["Config"][0]["Subnet"] == "10.88.0.0/16"


def test_create_checks(nets: Networks) -> None:
    c = nets.create("c", subnet="10.50.0.0/16", gateway="10.50.0.254", ip_range="10.50.7.0/24", internal=True,
                    options={"com.docker.network.bridge.name": "hutch-c", "mtu": "1400"})
    assert c["IPAM"]["Config"] == [{"Subnet": "10.50.0.0/16", "Gateway": "10.50.0.254",
                                    "IPRange": "10.50.7.0/24"}]
    assert c["Internal"] and c["Options"] == {"com.docker.network.bridge.name": "hutch-c",
                                              "com.docker.network.driver.mtu": "1400"}
    for kwargs, words in (
        ({"name": "c"}, "network with name c already exists"),
        ({"name": "bridge"}, "pre-defined network"),
        ({"name": "-x"}, "invalid network name"),
        ({"name": "d", "subnet": "10.50.3.0/24"}, "Pool overlaps with other one on this address space "
                                                    r"\(network c, 10.50.0.0/16\)"),
        ({"name": "d", "subnet": "10.89.0.0/24"}, r"overlaps .*\(a route of the host, 10.89.0.0/24\)"),
        ({"name": "d", "subnet": "10.60.0.0/16", "gateway": "10.61.0.1"}, "no matching subnet for gateway"),
        ({"name": "d", "subnet": "10.60.0.0/16", "ip_range": "10.61.0.0/24"}, "no matching subnet for range"),
        ({"name": "d", "gateway": "10.60.0.1"}, "need --subnet"),
        ({"name": "d", "options": {"com.docker.network.bridge.name": "hutch-c"}}, "used by another network"),
        ({"name": "d", "options": {"mtu": "9"}}, "invalid MTU"),
        ({"name": "d", "options": {"colour": "red"}}, "unknown option 'colour'"),
        ({"name": "d", "driver": "macvlan"}, "only bridge"),
    ):
        with pytest.raises(HutchError, match=words):
            nets.create(**kwargs)  # type: ignore[arg-type]


def test_remove(nets: Networks) -> None:
    a = nets.create("a")
    with pytest.raises(HutchError, match=r"network a id .* has active endpoints \(web\)"):
        nets.remove("a", lambda nid: ["web"] if nid == a["Id"] else [])
    assert nets.remove("a", lambda nid: [])["Id"] == a["Id"]
    assert nets.all() == [] and nets.released == ["a", "<table>"]  # type: ignore[attr-defined]
    for ref, words in (("a", "network a not found"), ("host", "pre-defined"),
                       ("bridge", "network bridge not found")):
        with pytest.raises(HutchError, match=words):
            nets.remove(ref, lambda nid: [])


def test_create_with_ipv6(nets: Networks) -> None:
    a = nets.create("a", ipv6=True)
    ula = store.ula_subnet(a["Id"])
    assert a["EnableIPv6"] is True and str(ula).startswith("fd") and str(ula).endswith("::/64")
    assert a["IPAM"]["Config"] == [{"Subnet": "10.89.1.0/24", "Gateway": "10.89.1.1"},
                                   {"Subnet": str(ula), "Gateway": ula.nth(1)}]
    assert str(store.subnet_of(a)[0]) == "10.89.1.0/24"
    six = store.subnet6_of(a)
    assert six is not None and (str(six[0]), six[1], six[2]) == (str(ula), ula.nth(1), None)
    assert nets.create("b")["EnableIPv6"] is False and store.subnet6_of(nets.get("b")) is None
    assert nets.get("bridge")["EnableIPv6"] is False and len(nets.get("bridge")["IPAM"]["Config"]) == 1
    # given per family, as the CLI passes --subnet twice; an IPv6 one in `subnet` counts as IPv6
    c = nets.create("c", ipv6=True, subnet="10.50.0.0/24", subnet6="fd00:50::/64", gateway6="fd00:50::FE",
                    ip_range6="fd00:50::100/120")
    assert c["IPAM"]["Config"][1] == {"Subnet": "fd00:50::/64", "Gateway": "fd00:50::fe",
                                      "IPRange": "fd00:50::100/120"}
    d = nets.create("d", ipv6=True, subnet="fd00:51::/64")
    assert d["IPAM"]["Config"][0]["Subnet"].startswith("10.89.") and \
        d["IPAM"]["Config"][1]["Subnet"] == "fd00:51::/64"
    store.check_addresses(c, "10.50.0.9", "fd00:50::9")
    for kwargs, words in (
        ({"subnet": "fd00:60::/64"}, r"IPv6 --subnet, --gateway or --ip-range \(fd00:60::/64\) needs --ipv6"),
        ({"subnet6": "fd00:60::/64"}, "needs --ipv6"),
        ({"ipv6": True, "subnet6": "fd00:50:0:0:1::/80"}, r"overlaps .*\(network c, fd00:50::/64\)"),
        ({"ipv6": True, "subnet6": "fd00:60::/64", "gateway6": "fd00:61::1"}, "matching subnet for gateway"),
        ({"ipv6": True, "subnet6": "fd00:60::/64", "ip_range6": "10.1.0.0/24"}, "matching subnet for range"),
        ({"ipv6": True, "gateway6": "fd00:60::1"}, "needs an IPv6 --subnet"),
        ({"ipv6": True, "subnet6": "fd00:60::/127"}, "a /126 at most"),
        ({"ipv6": True, "subnet6": "10.60.0.0/24"}, "invalid IPv6 subnet"),
    ):
        with pytest.raises(HutchError, match=words):
            nets.create("e", **kwargs)  # type: ignore[arg-type]
    assert [n["Name"] for n in nets.all()] == ["a", "b", "bridge", "c", "d"]
    for ip, ip6, words in (("10.51.0.9", "", r"--ip 10.51.0.9: the address is not in network c's subnet"),
                           ("", "fd00:51::9", r"--ip6 fd00:51::9: the address is not in network c's subnet"),
                           ("", "junk", "not in network c's subnet")):
        with pytest.raises(HutchError, match=words):
            store.check_addresses(c, ip, ip6)
    with pytest.raises(HutchError, match="network b has no IPv6"):
        store.check_addresses(nets.get("b"), "", "fd00::2")
