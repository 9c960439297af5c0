#!/usr/bin/env bash
# Issue #14, must-show 1: the mechanism dry-run (`crowdset sim attack`, SPEC §6.9) on the shipped
# examples with the default mix, seeds 1–5; the ring at a third of the crowd against the same
# crowd all honest. Each campaign runs at the volume where every worker meets enough controls to
# be judged (--scale; the shipped files are a few dozen items). One JSON file per run under
# results/, then the table of means.
#   bash bench/mechanism/run.sh                  # all four runs × 5 seeds
#   SEEDS="1 2" RUNS="labeling review" bash bench/mechanism/run.sh
#   CROWDSET=... PYTHON=...                      # another crowdset command / interpreter
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/mechanism/results
mkdir -p "$out"
crowdset=${CROWDSET:-.venv/bin/crowdset}
python=${PYTHON:-.venv/bin/python}
runs=${RUNS:-generation ring labeling review}
for seed in ${SEEDS:-1 2 3 4 5}; do
    for run in $runs; do
        case $run in
        generation)
            $crowdset sim attack examples/smart-lights.yaml --scale 3 --seed "$seed" \
                --no-baseline --format json >"$out/generation-$seed.json" ;;
        ring)
            $crowdset sim attack examples/smart-lights.yaml --mix ring=0.33 --workers 12 \
                --scale 2 --seed "$seed" --format json >"$out/ring-$seed.json" ;;
        labeling)
            $crowdset sim attack examples/sentiment.yaml --items examples/sentiment-items.csv \
                --truth examples/sentiment-truth.csv --scale 20 --seed "$seed" --no-baseline \
                --format json >"$out/labeling-$seed.json" ;;
        review)
            $crowdset sim attack examples/review.yaml --items examples/review-pairs.tsv \
                --challenges examples/review-challenges.jsonl --truth examples/review-truth.csv \
                --scale 20 --seed "$seed" --no-baseline --format json >"$out/review-$seed.json" ;;
        *) echo "unknown run: $run" >&2; exit 2 ;;
        esac
    done
done
$python bench/mechanism/table.py "$out"
