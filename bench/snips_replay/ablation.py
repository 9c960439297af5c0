"""Where the replay's slot F1 gap comes from: original Snips queries, N per intent, trained on
with models.py's models and scored on the validate files

- as they are;
- with the copy rules applied (core ``near_copies``): in random order, a query is kept only
  when its template is not a near-copy of one kept before — the accepted set's 0 % of
  repeated templates, without the crowd;
- with each slot value replaced by one drawn evenly from every value the data knows for the
  slot — how a campaign asks for values (SPEC §2), where the validate set keeps their
  natural, skewed distribution.

    .bench-venv-snips/bin/python bench/snips_replay/ablation.py --per-intent 300
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.snips_replay.diversity import repeated_template_share  # noqa: E402
from bench.snips_replay.models import evaluate  # noqa: E402
from bench.snips_replay.snips_data import INTENTS, load_split  # noqa: E402

from crowdset.core.generation.copies import near_copies, template_of  # noqa: E402
from crowdset.core.generation.model import AnnotatedQuery, Span  # noqa: E402


def _values(full: list[AnnotatedQuery]) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for query in full:
        for span in query.spans:
            value = " ".join(query.text[span.start : span.end].split())
            if value:
                found[(query.intent, span.slot)].setdefault(value.casefold(), value)
    return {key: sorted(values.values()) for key, values in found.items()}


def _respread(
    query: AnnotatedQuery, values: dict[tuple[str, str], list[str]], rng: np.random.Generator
) -> AnnotatedQuery:
    text, spans, at = "", [], 0
    for span in sorted(query.spans):
        text += query.text[at : span.start]
        pool = values[(query.intent, span.slot)]
        value = pool[int(rng.integers(len(pool)))]
        spans.append(Span(len(text), len(text) + len(value), span.slot, span.slot))
        text += value
        at = span.end
    text += query.text[at:]
    return AnnotatedQuery(text=text, intent=query.intent, spans=tuple(spans))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-intent", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    full = load_split("train_full")
    validate = load_split("validate")
    rng = np.random.default_rng(args.seed)
    values = _values(full)
    plain: list[AnnotatedQuery] = []
    no_copies: list[AnnotatedQuery] = []
    spread: list[AnnotatedQuery] = []
    for intent in INTENTS:
        mine = [q for q in full if q.intent == intent]
        order = [mine[int(i)] for i in rng.permutation(len(mine))]
        plain += order[: args.per_intent]
        kept: list[str] = []
        for query in order:
            template = template_of(query.text, query.spans)
            if not near_copies(template, kept):
                kept.append(template)
                no_copies.append(query)
                if len(kept) == args.per_intent:
                    break
        spread += [_respread(q, values, rng) for q in order[: args.per_intent]]
    print("| original queries, per intent | slot F1 (micro) | repeated templates |")
    print("| --- | ---: | ---: |")
    for name, data in (
        (f"{args.per_intent:,} as they are", plain),
        (f"{args.per_intent:,}, no near-copy templates", no_copies),
        (f"{args.per_intent:,}, values drawn evenly", spread),
    ):
        result = evaluate(data, validate)
        print(
            f"| {name} | {result['slots_micro']['f1']:.3f} "
            f"| {100 * repeated_template_share(data):.1f}% |",
            flush=True,
        )


if __name__ == "__main__":
    main()
