#!/usr/bin/env bash
# Set up hutch on a fresh Debian 12 machine (as root): the Debian packages the tests and
# benchmarks use, and a virtualenv at <repo>/.venv with hutch installed (editable) into it.
# Idempotent: a second run only checks.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(busybox-static runc libseccomp2 uidmap iproute2 procps util-linux)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null || {
        apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null
    }
fi

python=""
for cand in /usr/bin/python3 /usr/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.11; do
    if [ -x "$cand" ] && "$cand" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python=$cand
        break
    fi
done
if [ -z "$python" ]; then
    echo "setup: no Python 3.11+ with venv found (apt-get install python3-venv)" >&2
    exit 1
fi
if [ ! -x "$repo/.venv/bin/python" ]; then
    echo "setup: creating $repo/.venv with $python"
    "$python" -m venv "$repo/.venv"
fi
if ! "$repo/.venv/bin/python" -c 'import hutch, msgspec, pytest, ruff, mypy' 2>/dev/null \
   || [ "$repo/pyproject.toml" -nt "$repo/.venv/.hutch-installed" ]; then
    echo "setup: installing hutch and its dev tools into .venv"
    "$repo/.venv/bin/pip" install -q --disable-pip-version-check -e "$repo[dev]"
    touch "$repo/.venv/.hutch-installed"
fi
echo "setup: ready: $repo/.venv/bin/hutch-runtime"
