#!/usr/bin/env bash
# Build the benchmark's own virtual environment: crowdset plus sklearn-crfsuite 0.5.0 (the CRF
# slot filler of models.py). sklearn-crfsuite is never installed into the project's .venv.
# Usage: bash bench/snips_replay/setup.sh   (from anywhere; idempotent)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${BENCH_VENV:-$root/.bench-venv-snips}"   # gitignored via `.bench-venv*/`
if ! "$venv/bin/python" -c "import crowdset, sklearn_crfsuite" 2>/dev/null; then
    python3.11 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -e "$root" "sklearn-crfsuite==0.5.0"
fi
"$venv/bin/python" - <<'PY'
import importlib.metadata as md
print("sklearn-crfsuite", md.version("sklearn-crfsuite"), "| python-crfsuite",
      md.version("python-crfsuite"), "| scikit-learn", md.version("scikit-learn"),
      "| crowdset", md.version("crowdset"))
PY
