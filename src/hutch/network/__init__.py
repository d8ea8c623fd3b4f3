"""Container networks (docker's bridge driver): netlink, network namespaces, addresses, the
firewall. The engine prepares a container's network before the runtime runs and releases it
in the one teardown."""
