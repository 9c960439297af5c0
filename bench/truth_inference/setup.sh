#!/usr/bin/env bash
# Build the benchmark's own virtual environment with crowd-kit 1.4.2 beside crowdset.
# crowd-kit is never installed into the project's .venv: it pulls in transformers, nltk and more.
# Usage: bash bench/truth_inference/setup.sh   (from anywhere; idempotent)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${BENCH_VENV:-$root/.bench-venv-crowdkit}"   # gitignored via `.bench-venv*/`
if [ ! -x "$venv/bin/python" ]; then
    python3.11 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e "$root" "crowd-kit==1.4.2"
"$venv/bin/python" - <<'PY'
import importlib.metadata as md
print("crowd-kit", md.version("crowd-kit"), "| crowdset", md.version("crowdset"),
      "| numpy", md.version("numpy"), "| pandas", md.version("pandas"))
PY
