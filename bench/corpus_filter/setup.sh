#!/usr/bin/env bash
# Creates the OpusFilter environment the speed benchmark compares against.
# OpusFilter lives in its own venv so that its pins never touch crowdset's.
# py3langid is pinned below 0.4: OpusFilter 3.3.1's LangidFilter crashes with 0.4.0.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${BENCH_VENV:-$ROOT/.bench-venv-opusfilter}"
if [[ ! -x "$VENV/bin/opusfilter" ]]; then
    python3.11 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "opusfilter==3.3.1" "py3langid<0.4"
fi
"$VENV/bin/pip" show opusfilter | head -2
