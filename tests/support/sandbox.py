"""The test session's own network and mount namespaces.

hutch's default network is a bridge (as docker's), so nearly every container a test runs makes
a bridge, a veth pair, an nftables table and a network namespace file. None of that may touch the
machine: before the first test, `enter` moves pytest itself (and so every process a test starts)
into a new network namespace, with only ``lo`` up, and a new mount namespace.

The mount namespace is cut from the machine's (every mount made private), then made shared again
inside: mounts a test makes (the netns files under a runroot, overlays, volumes) never reach the
machine and die with the session, while containers cloned from it still see propagation as they
would on a host (``-v ...:rslave`` tests).

A session already in a network namespace other than pid 1's (a wrapper made one) is left as it is.
"""

from __future__ import annotations

import os

from hutch._sys import consts as C
from hutch._sys import mount as _mount
from hutch._sys import ns as _ns
from hutch.engine.netattach import machines_netns


def enter() -> bool:
    """Unshare the network and mount namespaces (see the module's doc); whether it did."""
    if os.geteuid() != 0 or os.readlink("/proc/self/ns/net") != machines_netns():
        return False
    _ns.unshare(C.CLONE_NEWNET | C.CLONE_NEWNS)
    _mount.mount(None, "/", None, C.MS_REC | C.MS_PRIVATE)
    _mount.mount(None, "/", None, C.MS_REC | C.MS_SHARED)
    from hutch.network.netlink import Netlink

    with Netlink() as nl:
        nl.set_up(nl.index("lo"))
    return True
