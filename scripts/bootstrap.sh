#!/usr/bin/env bash
# Install what cxkit needs and build the Python package into .venv. Idempotent and fast when
# everything is already there:
#   1. Debian packages (Eigen, Boost headers, doctest, Google Benchmark; compilers/tools only
#      when their commands are missing)          -> apt-get only if something is missing
#   2. .venv (python3 -m venv)                    -> only if missing
#   3. build + test/bench Python requirements     -> skipped while .venv/.cxkit-deps-<sha> exists
#   4. cxkit itself (pip, persistent build dir build/python, so rebuilds are incremental)
#                                                 -> skipped while the sources are unchanged
# Environment: PYTHON (interpreter for the venv, default python3), CXKIT_REBUILD=1 (force step 4).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
PY="$VENV/bin/python"
PYTHON="${PYTHON:-python3}"

say() { printf '[bootstrap] %s\n' "$*"; }
# pip, quiet, without the noise of unreachable extra index locations in the machine's pip config.
pip_q() {
    local log rc=0
    log="$(mktemp)"
    "$PY" -m pip --disable-pip-version-check -q "$@" >"$log" 2>&1 || rc=$?
    grep -v "is ignored: it is neither a file nor a directory" "$log" || true
    rm -f "$log"
    return "$rc"
}
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages ----------------------------------------------------------------------
apt_missing=()
for pkg in libeigen3-dev libboost-dev doctest-dev libbenchmark-dev; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        apt_missing+=("$pkg")
    fi
done
command -v cmake >/dev/null 2>&1 || apt_missing+=(cmake)
command -v g++ >/dev/null 2>&1 || apt_missing+=(g++)
command -v make >/dev/null 2>&1 || apt_missing+=(make)
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    [ "$PYTHON" = python3 ] || die "PYTHON=$PYTHON not found"
    apt_missing+=(python3 python3-venv python3-dev)
else
    "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 || apt_missing+=(python3-venv)
    # The module build needs Python.h (Debian's python3 ships it in python3-dev).
    "$PYTHON" - <<'EOF' >/dev/null 2>&1 || apt_missing+=(python3-dev)
import os, sysconfig, sys
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)
EOF
fi

if [ "${#apt_missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${apt_missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install ${apt_missing[*]} by hand"
        SUDO="sudo"
    fi
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
    say "Debian packages installed"
else
    say "Debian packages: ok"
fi

# --- 2. virtual environment ------------------------------------------------------------------
if [ ! -x "$PY" ]; then
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
        || die "$PYTHON is older than 3.9"
    say "creating .venv with $("$PYTHON" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
    "$PYTHON" -m venv "$VENV"
else
    say ".venv: ok ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"
fi
export PATH="$VENV/bin:$PATH"

# --- 3. Python requirements (build backend + runtime + test/bench extras) ---------------------
deps_sha="$(sha256sum pyproject.toml | cut -c1-16)"
deps_stamp="$VENV/.cxkit-deps-$deps_sha"
if [ ! -f "$deps_stamp" ]; then
    say "installing Python requirements (pyproject.toml changed or first run)"
    pip_q install --upgrade pip
    "$PY" -c 'import tomllib' 2>/dev/null || pip_q install tomli
    mapfile -t reqs < <("$PY" - <<'EOF'
try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib
with open("pyproject.toml", "rb") as f:
    meta = tomllib.load(f)
reqs = list(meta["build-system"]["requires"])
reqs += meta["project"].get("dependencies", [])
extras = meta["project"].get("optional-dependencies", {})
for extra in ("test", "bench", "polars"):
    reqs += extras.get(extra, [])
reqs += ["cmake>=3.21", "ninja"]  # --no-build-isolation builds with the venv's tools
seen = set()
for r in reqs:
    if r not in seen:
        seen.add(r)
        print(r)
EOF
)
    pip_q install "${reqs[@]}"
    rm -f "$VENV"/.cxkit-deps-*
    touch "$deps_stamp"
    say "Python requirements installed (${#reqs[@]} requirements)"
else
    say "Python requirements: ok"
fi

# --- 4. build + install cxkit into the venv ----------------------------------------------------
# Fingerprint of everything that goes into the wheel: path, size and mtime of each file.
fingerprint="$(
    { find include src python cmake CMakeLists.txt pyproject.toml \
        \( -name __pycache__ -o -name '*.pyc' -o -name '*.so' \) -prune -o -type f \
        -printf '%p %s %T@\n' 2>/dev/null || true; } | LC_ALL=C sort | sha256sum | cut -c1-32
)"
build_stamp="$VENV/.cxkit-build"
if [ "${CXKIT_REBUILD:-0}" != "1" ] && [ -f "$build_stamp" ] \
    && [ "$(cat "$build_stamp")" = "$fingerprint" ] \
    && "$PY" -c 'import importlib.metadata as m; m.version("cxkit")' >/dev/null 2>&1; then
    say "cxkit $("$PY" -c 'import importlib.metadata as m; print(m.version("cxkit"))'): up to date"
else
    say "building cxkit into .venv (build dir build/python, incremental)"
    start=$SECONDS
    rm -f "$build_stamp"
    pip_q install --no-build-isolation --no-deps --force-reinstall -Cbuild-dir=build/python .
    echo "$fingerprint" > "$build_stamp"
    say "cxkit $("$PY" -c 'import importlib.metadata as m; print(m.version("cxkit"))') installed in $((SECONDS - start)) s"
fi
