"""Build the speed benchmark's corpus: ≥200k English–German pairs as a pair of Moses files.

Sources (all under shared/data/parallel, see their READMEs for provenance and licences):
ParaCrawl v3 human evaluations ``sorted.en-de`` (2,000 web-crawled pairs, columns 3–4), MLQE-PE
``direct-assessments/{dev,test}/*.ende.df.short.tsv`` (2,000 Wikipedia sentences with their MT),
MLQE-PE ``catastrophic-errors/ende_majority_{dev,test_blind}.tsv`` (2,000 comments with their
MT) — 6,000 distinct base pairs. Copy 0 is the base as is; copy r ≥ 1 joins pair i with pair
(i + 7·r) mod n on both sides ("S_i S_j" / "T_i T_j"). Every pair is therefore distinct, so
duplicate removal does not shrink the work of the later rules, while the text stays real
crawl/Wikipedia/comment text with its noise.

    python bench/corpus_filter/make_corpus.py --pairs 204000 --out /tmp/crowdset-bench
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "parallel"


def _tsv(path: Path, src_col: int, tgt_col: int, header: bool) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(row[src_col], row[tgt_col]) for row in rows[int(header) :]]


def base_pairs(data: Path = DATA) -> list[tuple[str, str]]:
    pairs = _tsv(
        data / "paracrawl-human-evaluations/paracrawl-v3-validation-data/sorted.en-de", 2, 3, False
    )
    for split, name in (("dev", "dev"), ("test", "test20")):
        pairs += _tsv(
            data / f"mlqe-pe/direct-assessments/{split}/{name}.ende.df.short.tsv", 1, 2, True
        )
    for name in ("ende_majority_dev.tsv", "ende_majority_test_blind.tsv"):
        pairs += _tsv(data / "mlqe-pe/catastrophic-errors" / name, 1, 2, False)
    # sentences are single lines in Moses files
    return [(s.replace("\n", " "), t.replace("\n", " ")) for s, t in pairs]


def build(n_pairs: int, out: Path, data: Path = DATA) -> tuple[Path, Path]:
    base = base_pairs(data)
    n = len(base)
    out.mkdir(parents=True, exist_ok=True)
    src_path, tgt_path = out / "corpus.en", out / "corpus.de"
    with src_path.open("w", encoding="utf-8") as src, tgt_path.open("w", encoding="utf-8") as tgt:
        for k in range(n_pairs):
            r, i = divmod(k, n)
            s, t = base[i]
            if r:
                s2, t2 = base[(i + 7 * r) % n]
                s, t = f"{s} {s2}", f"{t} {t2}"
            src.write(s + "\n")
            tgt.write(t + "\n")
    return src_path, tgt_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=204_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/crowdset-bench"))
    args = parser.parse_args()
    src, tgt = build(args.pairs, args.out)
    print(f"wrote {args.pairs} pairs to {src} and {tgt} (from {len(base_pairs())} base pairs)")


if __name__ == "__main__":
    main()
