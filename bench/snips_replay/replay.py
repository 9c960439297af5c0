"""Replay the Snips NLU benchmark as one crowdset generation campaign (issue #3).

The 7 intents become one campaign: 10 seed queries per intent (drawn from
``train_<Intent>.json``), the slot values and the most frequent slot combinations of
``train_<Intent>_full.json``. A simulated crowd works it through the real services on a fresh
SQLite file: honest workers phrase from the real utterances of ``train_<Intent>_full.json``
(substituting the required values), and 25% of the workers are careless (write for another
intent, vote at random) or spam (word salad around the values, approve everything).

Reported per intent: queries accepted, share of bad answers accepted, share of good answers
rejected, cost per accepted query; cross-validation flags on the accepted set; and intent
accuracy and slot F1 on ``validate_<Intent>.json`` for models.py's models trained on

- (a) the 10 seeds, (b) everything submitted (after the automatic checks), (c) what the
  platform accepted, (c′) that minus the queries cross-validation flags, (d) the full data,

beside Snips NLU's own figures for 10 and ~2000 queries.

    bash bench/snips_replay/setup.sh
    .bench-venv-snips/bin/python bench/snips_replay/replay.py --target 150

Data and citation: Coucke A. et al., 2018, arXiv:1805.10190 (see snips_data.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.snips_replay.models import evaluate  # noqa: E402
from bench.snips_replay.snips_data import (  # noqa: E402
    INTENTS,
    load_snips_metrics,
    load_split,
)

from crowdset.core.generation.crossval import (  # noqa: E402
    out_of_fold_intents,
    report_disputes,
)
from crowdset.core.generation.model import AnnotatedQuery  # noqa: E402
from crowdset.core.generation.spec import CampaignSpec, parse_spec  # noqa: E402
from crowdset.core.permissions import Role  # noqa: E402
from crowdset.services import accounts, campaigns, ledger  # noqa: E402
from crowdset.services.accounts import Principal  # noqa: E402
from crowdset.services.context import open_context  # noqa: E402
from crowdset.settings import Settings  # noqa: E402
from crowdset.sim import Crowd, CrowdMix, PhrasingPool, run_generation  # noqa: E402
from crowdset.storage import migrate  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "replay.json"
DESCRIPTIONS = {
    "AddToPlaylist": "Add a song, artist or album to a playlist",
    "BookRestaurant": "Book a table at a restaurant",
    "GetWeather": "Ask for the weather forecast",
    "PlayMusic": "Play some music",
    "RateBook": "Give a rating to a book",
    "SearchCreativeWork": "Look for a creative work (song, film, book, game, show)",
    "SearchScreeningEvent": "Find movie showtimes or what is playing in cinemas",
}


def _inline(query: AnnotatedQuery) -> str:
    """``play [artist:Queen]``: the spec's inline annotation, brackets escaped."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")

    out, at = [], 0
    for span in sorted(query.spans):
        out.append(escape(query.text[at : span.start]))
        out.append(f"[{span.slot}:{escape(query.text[span.start : span.end])}]")
        at = span.end
    out.append(escape(query.text[at:]))
    return "".join(out)


def build_spec(
    full: list[AnnotatedQuery],
    seeds: dict[str, list[AnnotatedQuery]],
    target: int,
    combinations: int,
) -> CampaignSpec:
    intents = []
    for intent in INTENTS:
        mine = [q for q in full if q.intent == intent]
        values: dict[str, dict[str, str]] = defaultdict(dict)
        slot_sets: Counter[tuple[str, ...]] = Counter()
        for query in mine:
            slots = tuple(sorted(s.slot for s in query.spans))
            if len(set(slots)) == len(slots):  # a task asks for one value per slot
                slot_sets[slots] += 1
            for span in query.spans:
                value = " ".join(query.text[span.start : span.end].split())
                if value:
                    values[span.slot].setdefault(value.casefold(), value)
        common = [list(combo) for combo, _ in slot_sets.most_common(combinations)]
        intents.append(
            {
                "name": intent,
                "description": DESCRIPTIONS[intent],
                "target": target,
                "slots": [
                    {"name": slot, "values": sorted(found.values())}
                    for slot, found in sorted(values.items())
                ],
                "seeds": [_inline(q) for q in seeds[intent]],
                "combinations": common,
            }
        )
    return parse_spec(
        {
            "name": "Snips NLU benchmark replay",
            "language": "en",
            "intents": intents,
            "prices": {"per_query": "0.80", "per_vote": "0.20"},
            "validators_per_query": 3,
            "min_stake": 10,
            "seconds_per_query": 45,
            "seconds_per_vote": 10,
            "checks": {"min_words": 2, "max_words": 40},
            "expected_acceptance": 0.7,
        },
        source="replay",
    )


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(args.seed)
    train = load_split("train")
    full = load_split("train_full")
    validate = load_split("validate")
    seeds: dict[str, list[AnnotatedQuery]] = {}
    for intent in INTENTS:
        pool = [q for q in train if q.intent == intent]
        picked = rng.choice(len(pool), size=10, replace=False)
        seeds[intent] = [pool[int(i)] for i in picked]
    spec = build_spec(full, seeds, args.target, args.combinations)

    workdir = Path(tempfile.mkdtemp(prefix="crowdset-replay-"))
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'replay.db'}",
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )
    ctx = open_context(settings)
    ctx.rng = np.random.default_rng(args.seed)
    migrate.upgrade(ctx.db.engine)
    owner = accounts.create_user(
        ctx, email="requester@replay.bench", password="replay-bench-pw", role="requester"
    )
    ledger.issue_credits(ctx, None, owner.id, 1_000_000 * settings.minor_per_unit)
    viewer = Principal(user_id=owner.id, role=Role.REQUESTER, email=owner.email)
    view = campaigns.create_campaign(ctx, viewer, spec)
    campaigns.launch(ctx, viewer, view.id)
    bad = args.bad_share
    mix = CrowdMix(workers=args.workers, careless=bad * 0.6, spammers=bad * 0.4)
    crowd = Crowd.create(ctx, mix, PhrasingPool(full), seed=args.seed)

    started = time.perf_counter()
    last = [0.0]

    def on_round(round_number: int, accepted: int) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            print(f"  round {round_number}: {accepted} accepted", flush=True)

    report = run_generation(ctx, viewer, view.id, crowd, on_round=on_round)
    elapsed = time.perf_counter() - started
    progress = campaigns.progress(ctx, viewer, view.id)
    campaigns.close(ctx, viewer, view.id)
    closed = campaigns.progress(ctx, viewer, view.id)
    verified = ledger.verify(ctx).ok

    submitted = campaigns.submitted_queries(ctx, viewer, view.id)
    accepted = [q for q, status in submitted if status == "accepted"]

    def good(query: AnnotatedQuery) -> bool:
        return crowd.truth.get(query.text, True)

    prices = view.spec.prices
    per_query = float(prices.per_query)
    per_vote = float(prices.per_vote)
    fee = float(settings.platform_fee_share)
    per_intent: dict[str, Any] = {}
    for intent in INTENTS:
        mine = [(q, s) for q, s in submitted if q.intent == intent]
        decided = [(q, s) for q, s in mine if s in ("accepted", "rejected")]
        bad_q = [(q, s) for q, s in decided if not good(q)]
        good_q = [(q, s) for q, s in decided if good(q)]
        n_accepted = sum(s == "accepted" for _, s in mine)
        agreeing = sum(max(q.votes_for, q.votes_against) for q, _ in decided)
        spent = (n_accepted * per_query + agreeing * per_vote) * (1 + fee)
        per_intent[intent] = {
            "accepted": n_accepted,
            "submitted": len(mine),
            "bad_submitted": len(bad_q),
            "bad_accepted_of_bad": _share(sum(s == "accepted" for _, s in bad_q), len(bad_q)),
            "bad_share_of_accepted": _share(sum(s == "accepted" for _, s in bad_q), n_accepted),
            "good_rejected_of_good": _share(sum(s == "rejected" for _, s in good_q), len(good_q)),
            "cost_per_accepted": spent / n_accepted if n_accepted else None,
        }
    bad_accepted = [q for q in accepted if not good(q)]

    out_of_fold = out_of_fold_intents(accepted, rng=args.seed)
    flags = report_disputes(accepted, out_of_fold)  # the campaign's default confidence
    flagged_ids = {f.query_id for f in flags.flagged}
    wrong_intent = [
        q for q in bad_accepted if crowd.written_for.get(q.text, "") not in ("", q.intent)
    ]
    salad = [q for q in bad_accepted if crowd.written_for.get(q.text, "") == ""]
    good_accepted = [q for q in accepted if good(q)]
    abnormal = {w.worker for w in flags.abnormal_workers}
    strategies = {a.pseudonym: a.strategy.value for a in crowd.agents}
    crossval = {
        "flagged": len(flags.flagged),
        "wrong_intent_slipped": len(wrong_intent),
        "wrong_intent_flagged": sum(q.query_id in flagged_ids for q in wrong_intent),
        "salad_slipped": len(salad),
        "salad_flagged": sum(q.query_id in flagged_ids for q in salad),
        "good_accepted": len(good_accepted),
        "good_flagged": sum(q.query_id in flagged_ids for q in good_accepted),
        "abnormal_workers": sorted(strategies.get(w, "?") for w in abnormal),
        "by_confidence": {},
    }
    for placeholders in ("none", "generic"):
        swept = out_of_fold_intents(accepted, rng=args.seed, placeholders=placeholders)
        for confidence in (0.5, 0.6, 0.7, 0.8, 0.9):
            found = report_disputes(accepted, swept, confidence=confidence).flagged
            at = {f.query_id for f in found}
            crossval["by_confidence"][f"{placeholders} {confidence}"] = {
                "wrong_intent_flagged": _share(
                    sum(q.query_id in at for q in wrong_intent), len(wrong_intent)
                ),
                "good_flagged": _share(
                    sum(q.query_id in at for q in good_accepted), len(good_accepted)
                ),
            }
    crossval["truth"] = {
        str(q.query_id): {"good": good(q), "written_for": crowd.written_for.get(q.text, "")}
        for q in accepted
    }

    kept = [q for q in accepted if q.query_id not in flagged_ids]
    trained: dict[str, Any] = {}
    for name, data in (
        ("a_seeds", [q for intent in INTENTS for q in seeds[intent]]),
        ("b_submitted", [q for q, _ in submitted]),
        ("c_accepted", accepted),
        ("c2_accepted_minus_flags", kept),
        ("d_full", full),
    ):
        result = evaluate(data, validate)
        trained[name] = {
            "train_size": len(data),
            "intent_accuracy": result["intent_accuracy"],
            "slot_f1_micro": result["slots_micro"]["f1"],
            "slot_f1": {i: result["slots"][i]["f1"] for i in INTENTS},
        }
    snips10 = load_snips_metrics("10")
    snips_full = load_snips_metrics("full")
    return {
        "command": " ".join(sys.argv),
        "settings": vars(args),
        "elapsed_seconds": elapsed,
        "rounds": report.rounds,
        "actions": report.actions,
        "refused_by_checks": dict(report.refused),
        "income_by_strategy_credits": {
            k: v / settings.minor_per_unit for k, v in report.income_by_strategy().items()
        },
        "escrow": {
            "funded": closed.escrow_funded,
            "paid_to_workers": closed.paid_to_workers,
            "fees": closed.fees,
            "refunded": closed.refunded,
            "balanced": closed.paid_to_workers + closed.fees + closed.refunded
            == closed.escrow_funded,
            "ledger_verified": verified,
            "funds_short_before_close": progress.funds_short,
        },
        "per_intent": per_intent,
        "overall": {
            "accepted": len(accepted),
            "bad_share_of_accepted": _share(len(bad_accepted), len(accepted)),
            "bad_accepted_of_bad": _share(
                len(bad_accepted),
                sum(1 for q, s in submitted if s in ("accepted", "rejected") and not good(q)),
            ),
            "good_rejected_of_good": _share(
                sum(1 for q, s in submitted if s == "rejected" and good(q)),
                sum(1 for q, s in submitted if s in ("accepted", "rejected") and good(q)),
            ),
        },
        "cross_validation": crossval,
        "models": trained,
        "snips_nlu": {
            intent: {
                "slot_f1_10": snips10[intent].slot_f1,
                "slot_f1_full": snips_full[intent].slot_f1,
            }
            for intent in INTENTS
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=int, default=150, help="Accepted queries per intent.")
    parser.add_argument("--workers", type=int, default=28)
    parser.add_argument("--bad-share", type=float, default=0.25)
    parser.add_argument(
        "--combinations", type=int, default=150, help="Most frequent slot sets per intent."
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps({k: result[k] for k in ("overall", "cross_validation", "escrow")}, indent=2))
    for name, model in result["models"].items():
        print(
            f"{name:28} n={model['train_size']:6}  intent acc {model['intent_accuracy']:.3f}  "
            f"slot F1 {model['slot_f1_micro']:.3f}"
        )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
