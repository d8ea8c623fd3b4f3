#!/usr/bin/env bash
# Set up hutch on a fresh Debian 12 machine (as root), from any directory:
#   - the Debian packages the tests and benchmarks use (apt is skipped when all are there);
#   - a virtualenv at <repo>/.venv with hutch (editable) and its dev tools (pytest, ruff, mypy).
# Idempotent: a second run only checks, and takes well under a second.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/.venv"

# busybox-static: test root filesystems; runc: side-by-side benchmarks; uidmap, iproute2,
# procps, util-linux (unshare, nsenter): user namespaces and looking inside containers;
# tini, catatonit: the init of `hutch run --init` (/usr/bin/docker-init, else catatonit);
# docker-registry, skopeo, apache2-utils (htpasswd): local registries and an independent
# client for the registry tests (tests/support/registry.py).
packages=(busybox-static runc libseccomp2 uidmap iproute2 procps util-linux python3-venv podman containerd docker.io tini catatonit docker-registry skopeo apache2-utils)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing Debian packages ${missing[*]}: run this script as root" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # a fresh machine may have no package lists yet: update only when the install needs it
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
        apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null
    }
    # docker-registry's package starts a service on :5000 of every interface where services may
    # start (no policy-rc.d denying it): the tests run registries of their own on 127.0.0.1 only
    if [[ " ${missing[*]} " == *" docker-registry "* ]]; then
        if [ -d /run/systemd/system ]; then
            systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
        else
            invoke-rc.d docker-registry stop >/dev/null 2>&1 || true
            update-rc.d docker-registry disable >/dev/null 2>&1 || true
        fi
    fi
fi

# Python 3.11+ with venv: Debian's own first (the one on PATH may be a slow pyenv shim),
# else the newest one found.
usable() { [ -x "$1" ] && "$1" -I -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
python=""
if usable /usr/bin/python3; then
    python=/usr/bin/python3
else
    for minor in 14 13 12 11; do
        for cand in /usr/bin/python3.$minor /usr/local/bin/python3.$minor "$(command -v python3.$minor || true)"; do
            if [ -n "$cand" ] && usable "$cand"; then python=$cand; break 2; fi
        done
    done
fi
if [ ! -x "$venv/bin/python" ]; then
    if [ -z "$python" ]; then
        echo "setup: no Python 3.11+ with venv found (apt-get install python3-venv)" >&2
        exit 1
    fi
    echo "setup: creating $venv with $python"
    "$python" -m venv "$venv"
fi

# (re)install when something is missing, the venv's hutch is another checkout's, or
# pyproject.toml changed since the last install
stamp="$venv/.hutch-installed"
if ! "$venv/bin/python" -I -c '
import sys, hutch, msgspec, pytest, ruff, mypy, cryptography, jwt
sys.exit(not hutch.__file__.startswith(sys.argv[1]))' "$repo/src/" 2>/dev/null \
   || [ ! -x "$venv/bin/hutch-runtime" ] || [ ! -f "$stamp" ] || [ "$repo/pyproject.toml" -nt "$stamp" ]; then
    echo "setup: installing hutch and its dev tools into $venv"
    (cd "$repo" && "$venv/bin/pip" install -q --disable-pip-version-check -e '.[dev]')
    touch "$stamp"
fi

# pip's console scripts run site and import `re` before hutch's first line (~8 ms a call), and
# start the writable interpreter. Replace them with hutch's launchers (hutch/process/launcher.py:
# isolated, no site) and make the read-only interpreter they run (/run/hutch-py/..., for
# CVE-2019-5736: hutch/process/exeseal.py); without it they fall back to the plain interpreter.
"$venv/bin/python" -I -m hutch.process.launcher "$venv" >/dev/null
# bytecode now, so that a PYTHONDONTWRITEBYTECODE environment does not compile hutch on every call
"$venv/bin/python" -m compileall -q "$repo/src" >/dev/null

echo "setup: ready"
echo "  repository:    $repo"
echo "  venv:          $venv ($("$venv/bin/python" -c 'import platform; print(platform.python_version())'))"
echo "  hutch-runtime: $venv/bin/hutch-runtime"
echo "  tests:         cd $repo && $venv/bin/pytest -q"
echo "  busybox:       $(command -v busybox || echo missing)"
echo "  runc:          $(command -v runc || echo missing)"
