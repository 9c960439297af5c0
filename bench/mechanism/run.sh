#!/usr/bin/env bash
# Issue #14, must-show 1: the mechanism dry-run (`crowdset sim attack`, SPEC §6.9) on the shipped
# examples with the default mix, seeds 1–5; the ring at a third of the crowd against the same
# crowd all honest. One JSON file per run under results/, then the table of means.
#   bash bench/mechanism/run.sh            # all four runs × 5 seeds
#   SEEDS="1 2" bash bench/mechanism/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/mechanism/results
mkdir -p "$out"
crowdset=.venv/bin/crowdset
for seed in ${SEEDS:-1 2 3 4 5}; do
    $crowdset sim attack examples/smart-lights.yaml --seed "$seed" --no-baseline \
        --format json >"$out/generation-$seed.json"
    $crowdset sim attack examples/smart-lights.yaml --mix ring=0.33 --workers 12 --seed "$seed" \
        --format json >"$out/ring-$seed.json"
    $crowdset sim attack examples/sentiment.yaml --items examples/sentiment-items.csv \
        --truth examples/sentiment-truth.csv --seed "$seed" --format json >"$out/labeling-$seed.json"
    $crowdset sim attack examples/review.yaml --items examples/review-pairs.tsv \
        --challenges examples/review-challenges.jsonl --truth examples/review-truth.csv \
        --seed "$seed" --format json >"$out/review-$seed.json"
done
.venv/bin/python bench/mechanism/table.py "$out"
