#!/usr/bin/env bash
# Creates the OpusFilter environment the speed benchmark compares against.
# OpusFilter lives in its own venv so that its pins never touch crowdset's.
# py3langid is pinned below 0.4: OpusFilter 3.3.1's LangidFilter crashes with 0.4.0.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${BENCH_VENV:-$ROOT/.bench-venv-opusfilter}"
if ! "$VENV/bin/python" -c "import opusfilter, pycld2" 2>/dev/null; then
    python3.11 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    # pycld2 is an optional extra of OpusFilter; pinned to the version crowdset uses, so both
    # tools call the same language identifier
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "opusfilter==3.3.1" "py3langid<0.4" \
        "pycld2==0.42"
fi
"$VENV/bin/pip" show opusfilter | head -2
