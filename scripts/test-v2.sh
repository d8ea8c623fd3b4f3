#!/usr/bin/env bash
# The cgroup-v2 half of the tests: boots a throw-away cgroup-v2-only guest (tools/v2-guest:
# Debian's 6.1 kernel under QEMU, this machine's / shared read-only) and runs the tests whose
# subject is the cgroup there, with the same venv. Software emulation: ~20x slower than here.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
need=()
for p in qemu-system-x86 cpio kmod busybox-static; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
tests=(
    tests/integration/test_lifecycle.py
    tests/integration/test_cgroups_host.py
    tests/integration/test_cgroup_ops.py
    tests/integration/test_cgroup_ns.py
    tests/integration/test_cgroup_limits.py
    tests/integration/test_cgroup_devices.py
    "tests/integration/test_container.py::test_cgroup_mount_shows_the_container_cgroup"
    "tests/integration/test_bad_input.py::test_cgroups_path_escaping"
    # the engine on v2: limits, OOMKilled from memory.events, stats, the API's memory limit
    "tests/integration/test_engine.py::test_run_is_isolated"
    "tests/integration/test_engine_detached.py::test_rm_after_exit_and_oom"
    "tests/integration/test_engine_detached.py::test_exec"
    "tests/integration/test_api.py::test_detached_exec_logs_stop_and_cleanup"
    # docker's run flags whose cgroup files or defaults differ on v2
    "tests/integration/test_engine_runflags.py::test_resource_flags"
    "tests/integration/test_engine_runflags.py::test_oom_kill_disable_without_a_memory_limit_warns"
    "tests/integration/test_engine_runflags.py::test_memory_alone_gives_twice_as_much_memory_and_swap"
    "tests/integration/test_engine_runflags.py::test_host_namespaces"
    "tests/integration/test_engine_runflags.py::test_cgroup_parent"
    "tests/integration/test_engine_runflags.py::test_blkio_weight_without_bfq"
    "tests/integration/test_engine_verbs.py::test_update_a_running_containers_resources"
)
# About 10-14 minutes for this set on a quiet 2-core VM; twice that when the VM's host steals
# a third of its CPU time (seen here): the limit leaves room within CI's 90 minutes.
V2G_TIMEOUT=${V2G_TIMEOUT:-3000} tools/v2-guest/run-in-v2-guest.sh \
    "PYTHONDONTWRITEBYTECODE= .venv/bin/pytest -q --assert=plain -p no:cacheprovider ${tests[*]}"
