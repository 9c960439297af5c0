#!/usr/bin/env bash
# Issue #15, must-show 1: a sybil split k ways against its sybil_baseline twin (SPEC §6.6), on
# the generation example. Each run has 10 persons, 4 of them sybils (k accounts each, the
# stake and grant of one person split over them) and 6 honest, plus a sybil_baseline twin per
# sybil (one account with that whole stake, working the same way): 14 persons, at 3 times the
# example's volume so that each person meets about a hundred offers. One JSON file per run
# under results/, then the table (per k and seed, and the means over seeds).
#   bash bench/mechanism/sybil.sh                       # k = 2, 5, 10 × seeds 1–5, 2 at a time
#   KS="2" SEEDS="1 2" JOBS=1 bash bench/mechanism/sybil.sh
#   CROWDSET=... PYTHON=...                             # another crowdset command / interpreter
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/mechanism/results
mkdir -p "$out"
crowdset=${CROWDSET:-.venv/bin/crowdset}
python=${PYTHON:-.venv/bin/python}
jobs=${JOBS:-2}
for k in ${KS:-2 5 10}; do
    for seed in ${SEEDS:-1 2 3 4 5}; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
        $crowdset sim attack examples/smart-lights.yaml --mix sybil=0.4 --workers 10 \
            --sybil-k "$k" --scale 3 --seed "$seed" --no-baseline --format json \
            >"$out/sybil-k$k-$seed.json" &
    done
done
wait
$python bench/mechanism/sybil_table.py "$out"
