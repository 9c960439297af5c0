"""Replay the Snips NLU benchmark as one crowdset generation campaign (issues #3 and #15).

The 7 intents become one campaign: 10 seed queries per intent (drawn from
``train_<Intent>.json``), the slot values and the most frequent slot combinations of
``train_<Intent>_full.json``. A simulated crowd (crowd.py: the mechanism dry-run's generation
attackers, honest phrasing from the real utterances) works it through the real services on a
fresh SQLite file, each worker at their own modelled pace: honest workers, careless ones
(another intent, random votes), spammers (word salad, approve everything), paraphrasers (a
seed's or another's query with the values swapped), pasters (pasted within seconds) and a
ring of validators who approve each other's junk.

Reported per intent: queries accepted, share of bad answers accepted, share of good answers
rejected, cost per accepted query; by kind of bad query; the diversity of the accepted set
beside the same number of original queries (diversity.py); cross-validation flags on the
accepted set; and intent accuracy and slot F1 on ``validate_<Intent>.json`` for models.py's
models trained on

- (a) the 10 seeds, (b) everything submitted (after the automatic checks), (c) what the
  platform accepted, (c′) that minus the queries cross-validation flags, (d) the full data,
  (e) as many original queries per intent as (c) has (the learning curve's point),

beside Snips NLU's own figures for 10 and ~2000 queries.

    bash bench/snips_replay/setup.sh
    .bench-venv-snips/bin/python bench/snips_replay/replay.py --target 150

It writes ``results/replay-2026-12-08.json`` (``--output`` for another file); ``--replace``
writes ``results/replay.json``, the committed 2026-11-23 run's file, instead.

Data and citation: Coucke A. et al., 2018, arXiv:1805.10190 (see snips_data.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.snips_replay.crowd import KINDS, ReplayCrowd, ReplayMix, create_crowd  # noqa: E402
from bench.snips_replay.diversity import measure, same_size  # noqa: E402
from bench.snips_replay.models import evaluate  # noqa: E402
from bench.snips_replay.snips_data import (  # noqa: E402
    INTENTS,
    load_snips_metrics,
    load_split,
)

from crowdset.core.generation.copies import seed_template  # noqa: E402
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
from crowdset.sim import PhrasingPool  # noqa: E402
from crowdset.sim.attackers.crowd import SimClock, ledger_tally, run_rounds  # noqa: E402
from crowdset.storage import migrate  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESULTS = RESULTS_DIR / "replay-2026-12-08.json"  # this run's; the committed run's with --replace
REPLACED = RESULTS_DIR / "replay.json"
ORIGINAL_DRAWS = 5  # random draws of original queries the diversity figures average over
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


def _truths(crowd: ReplayCrowd, queries: list[AnnotatedQuery]) -> dict[int, str]:
    """query id → what the crowd wrote it as (``KINDS``); ``unknown`` for a text it did not
    write (none is expected: controls are not among the campaign's queries)."""
    return {q.query_id or 0: crowd.kind.get(" ".join(q.text.split()), "unknown") for q in queries}


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
        # the admission tickets' key follows the seed, so that a run repeats (as the dry-run)
        session_secret=SecretStr(f"crowdset snips replay, seed {args.seed:032d}"),
    )
    ctx = open_context(settings)
    ctx.rng = np.random.default_rng(args.seed)
    clock = SimClock(datetime.now(UTC).replace(microsecond=0))
    ctx.clock = clock
    migrate.upgrade(ctx.db.engine)
    owner = accounts.create_user(
        ctx, email="requester@replay.bench", password="replay-bench-pw", role="requester"
    )
    ledger.issue_credits(ctx, None, owner.id, 1_000_000 * settings.minor_per_unit)
    viewer = Principal(user_id=owner.id, role=Role.REQUESTER, email=owner.email)
    view = campaigns.create_campaign(ctx, viewer, spec)
    launched = campaigns.launch(ctx, viewer, view.id)
    bad = args.bad_share
    mix = ReplayMix(
        workers=args.workers,
        careless=bad * 0.6,
        spammers=bad * 0.4,
        paraphrasers=args.paraphraser_share,
        pasters=args.paster_share,
        ring_size=args.ring_size,
    )
    crowd_rng = np.random.default_rng([args.seed, 1])
    members = create_crowd(ctx, mix, crowd_rng)
    seed_templates = tuple(seed_template(s) for i in spec.intents for s in i.seeds)
    crowd = ReplayCrowd(
        ctx,
        viewer,
        view.id,
        spec,
        crowd_rng,
        PhrasingPool(full, seed_templates=seed_templates),
    )

    started = time.perf_counter()
    last = [0.0]
    actions = [0]

    def act(account: Any, offer: Any) -> bool:
        actions[0] += 1
        return crowd.act(account, offer)

    def on_work() -> None:
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            print(
                f"  {clock.elapsed / 3600:5.2f} modelled h, "
                f"{time.perf_counter() - started:6.0f} s: {crowd.accepted_so_far()} accepted",
                flush=True,
            )

    # the requester tops the escrow up by a fifth of the first funding whenever it runs short
    # (acceptance below the spec's estimate), as the platform asks them to
    top_up = launched.escrow_funded // 5
    topped_up = [0]

    def done() -> bool:
        state = campaigns.progress(ctx, viewer, view.id)
        if state.funds_short:
            campaigns.top_up(ctx, viewer, view.id, top_up)
            topped_up[0] += top_up
        return all(i.accepted >= i.target for i in state.intents) and not any(
            i.validating for i in state.intents
        )

    until = clock.elapsed + args.max_hours * 3600
    finished = False
    while not finished and clock.elapsed < until:
        before = topped_up[0]
        run_rounds(
            ctx, clock, members, crowd_rng, view.id, act, until=until, done=done, on_work=on_work
        )
        finished = done()  # False: idle for want of funds (topped up now), or out of time
        if not finished and topped_up[0] == before:
            break  # idle with funds: nothing left that this crowd can do
    elapsed = time.perf_counter() - started
    modelled_hours = clock.elapsed / 3600
    progress = campaigns.progress(ctx, viewer, view.id)
    campaigns.close(ctx, viewer, view.id)
    closed = campaigns.progress(ctx, viewer, view.id)
    verified = ledger.verify(ctx).ok
    crowd.tally(members)
    revoked = {
        str(event.detail.get("worker"))
        for event in campaigns.events(ctx, viewer, view.id)
        if event.kind == "worker_revoked"
    }

    submitted = campaigns.submitted_queries(ctx, viewer, view.id)
    accepted = [q for q, status in submitted if status == "accepted"]
    kinds = _truths(crowd, [q for q, _ in submitted])

    def good(query: AnnotatedQuery) -> bool:
        return kinds.get(query.query_id or 0, "unknown") in ("good", "unknown")

    prices = spec.prices
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
        # every vote is paid under the mechanism (SPEC §6.3), controls' votes not counted here
        votes = sum(q.votes_for + q.votes_against for q, _ in decided)
        spent = (n_accepted * per_query + votes * per_vote) * (1 + fee)
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
    decided_all = [(q, s) for q, s in submitted if s in ("accepted", "rejected")]
    by_kind: dict[str, Any] = {}
    for kind in (*KINDS, "unknown"):
        of_kind = [(q, s) for q, s in decided_all if kinds.get(q.query_id or 0) == kind]
        taken = sum(s == "accepted" for _, s in of_kind)
        by_kind[kind] = {
            "decided": len(of_kind),
            "accepted": taken,
            "accepted_of_decided": _share(taken, len(of_kind)),
            "share_of_accepted": _share(taken, len(accepted)),
        }

    out_of_fold = out_of_fold_intents(accepted, rng=args.seed)
    flags = report_disputes(accepted, out_of_fold)  # the campaign's default confidence
    flagged_ids = {f.query_id for f in flags.flagged}
    wrong_intent = [q for q in bad_accepted if kinds.get(q.query_id or 0) == "wrong_intent"]
    salad = [q for q in bad_accepted if kinds.get(q.query_id or 0) == "salad"]
    good_accepted = [q for q in accepted if good(q)]
    abnormal = {w.worker for w in flags.abnormal_workers}
    strategies = {a.pseudonym: a.strategy.value for a in members}
    crossval: dict[str, Any] = {
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
    crossval["truth"] = {str(q.query_id): kinds.get(q.query_id or 0) for q in accepted}

    # the same number of original queries per intent: diversity over ORIGINAL_DRAWS draws,
    # the models on the first
    draws_rng = np.random.default_rng([args.seed, 3])
    originals = [same_size(full, accepted, draws_rng) for _ in range(ORIGINAL_DRAWS)]
    measured = [measure(o) for o in originals]
    diversity = {
        "accepted": measure(accepted),
        "original_same_size": {
            key: float(np.mean([m[key] for m in measured])) for key in measured[0]
        },
        "original_same_size_sd": {
            key: float(np.std([m[key] for m in measured], ddof=1)) for key in measured[0]
        },
        "original_draws": ORIGINAL_DRAWS,
        "original_full": measure(full),
    }

    kept = [q for q in accepted if q.query_id not in flagged_ids]
    trained: dict[str, Any] = {}
    for name, data in (
        ("a_seeds", [q for intent in INTENTS for q in seeds[intent]]),
        ("b_submitted", [q for q, _ in submitted]),
        ("c_accepted", accepted),
        ("c2_accepted_minus_flags", kept),
        ("d_full", full),
        ("e_original_same_size", originals[0]),
    ):
        print(f"  training on {name} ({len(data)} queries)", flush=True)
        result = evaluate(data, validate)
        trained[name] = {
            "train_size": len(data),
            "intent_accuracy": result["intent_accuracy"],
            "slot_f1_micro": result["slots_micro"]["f1"],
            "slot_f1": {i: result["slots"][i]["f1"] for i in INTENTS},
        }
    snips10 = load_snips_metrics("10")
    snips_full = load_snips_metrics("full")

    minor = settings.minor_per_unit
    by_strategy: dict[str, Any] = {}
    for strategy in dict.fromkeys(a.strategy for a in members):
        group = [a for a in members if a.strategy is strategy]
        nets = [(ledger_tally(ctx, a.user_id).worth - a.initial_total) / minor for a in group]
        by_strategy[strategy.value] = {
            "workers": len(group),
            "revoked": sum(a.pseudonym in revoked for a in group),
            "written_accepted": sum(a.written_accepted for a in group),
            "written_rejected": sum(a.written_rejected for a in group),
            "refused": sum(a.refused for a in group),
            "votes_and_queries_agreeing": sum(a.accepted for a in group),
            "votes_and_queries_disagreeing": sum(a.rejected for a in group),
            "mean_net_credits": float(np.mean(nets)),
            "modelled_hours": sum(a.seconds for a in group) / 3600,
        }
    cost = closed.cost_per_accepted
    return {
        "command": " ".join(sys.argv),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "mix": {s.value: n for s, n in mix.sizes().items()},
        "elapsed_seconds": elapsed,
        "modelled_hours": modelled_hours,
        "finished": finished,
        "actions": actions[0],
        "refused_by_checks": crowd.refusals_by_strategy(),
        "honest_writes_marked_as_copies_unavoidably": crowd.honest_marked_drafts,
        "by_strategy": by_strategy,
        "escrow": {
            "funded": closed.escrow_funded,
            "paid_to_workers": closed.paid_to_workers,
            "fees": closed.fees,
            "refunded": closed.refunded,
            "balanced": closed.paid_to_workers + closed.fees + closed.refunded
            == closed.escrow_funded,
            "ledger_verified": verified,
            "funds_short_before_close": progress.funds_short,
            "cost_per_accepted_credits": cost / minor if cost is not None else None,
            "topped_up": topped_up[0],
        },
        "per_intent": per_intent,
        "overall": {
            "accepted": len(accepted),
            "submitted": len(submitted),
            "bad_share_of_accepted": _share(len(bad_accepted), len(accepted)),
            "bad_accepted_of_bad": _share(
                len(bad_accepted), sum(1 for q, s in decided_all if not good(q))
            ),
            "good_rejected_of_good": _share(
                sum(1 for q, s in decided_all if s == "rejected" and good(q)),
                sum(1 for q, s in decided_all if good(q)),
            ),
            "by_kind": by_kind,
        },
        "diversity": diversity,
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
    parser.add_argument("--workers", type=int, default=40)
    parser.add_argument(
        "--bad-share",
        type=float,
        default=0.25,
        help="Careless (60%% of it) and spamming (40%%) workers' share (default 0.25).",
    )
    parser.add_argument(
        "--paraphraser-share", type=float, default=0.10, help="Share of workers (default 0.10)."
    )
    parser.add_argument(
        "--paster-share", type=float, default=0.10, help="Share of workers (default 0.10)."
    )
    parser.add_argument(
        "--ring-size", type=int, default=4, help="Colluding validators, 0 for none (default 4)."
    )
    parser.add_argument(
        "--combinations", type=int, default=150, help="Most frequent slot sets per intent."
    )
    parser.add_argument(
        "--max-hours", type=float, default=72.0, help="Modelled hours before the run stops."
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--output", type=Path, default=None, help=f"Default: {RESULTS.relative_to(ROOT)}."
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help=f"Write {REPLACED.relative_to(ROOT)} (the committed run's file) instead.",
    )
    args = parser.parse_args()
    if args.replace and args.output is not None:
        parser.error("--replace writes results/replay.json: give it or --output, not both")
    output: Path = REPLACED if args.replace else (args.output or RESULTS)
    result = run(args)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps({k: result[k] for k in ("overall", "diversity", "escrow")}, indent=2))
    for name, model in result["models"].items():
        print(
            f"{name:28} n={model['train_size']:6}  intent acc {model['intent_accuracy']:.3f}  "
            f"slot F1 {model['slot_f1_micro']:.3f}"
        )
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
