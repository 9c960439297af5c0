"""Labeling campaigns through the services: gates, gold, quality, revocation, overlap, pilot,
guarantee, and a whole rating campaign against a simulated crowd with 30 % spammers."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy.stats import pearsonr
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import FakeClock

from crowdset.core.labeling.items import ItemRow, parse_items
from crowdset.core.labeling.judging import mechanism_of, required_stake
from crowdset.core.labeling.spec import LabelingSpec, parse_labeling_spec
from crowdset.core.mechanism import controls_to_leave_probation
from crowdset.errors import Conflict, ImportFailed, InvalidInput, SpecInvalid, UnderPriced
from crowdset.services import campaigns, labeling, labeling_reports, ledger, offers
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.sim.labelers import LabelerMix, LabelingCrowd, run_labeling
from crowdset.storage import campaign_store
from crowdset.storage.models import Judgment, LabelItem, Sanction, WorkerTrack

RUBRIC = ["wrong", "major changes", "some changes", "small changes", "perfect"]


def rate_spec(**overrides: Any) -> LabelingSpec:
    data: dict[str, Any] = {
        "name": "Rate translations",
        "type": "rate",
        "instructions": "Rate how good the translation is.",
        "rubric": RUBRIC,
        "price_per_judgment": "0.20",
        "seconds_per_judgment": 10,
        "overlap": {"min": 3, "max": 5, "rating_tolerance": 0.5},
        "gold": {"share": 0.1},
        "quality": {"bar": 0.75, "min_answers": 8},
    }
    data.update(overrides)
    return parse_labeling_spec(data)


def classify_spec(**overrides: Any) -> LabelingSpec:
    data: dict[str, Any] = {
        "name": "Sentiment",
        "type": "classify",
        "instructions": "Is the review positive or negative?",
        "labels": [{"name": "pos"}, {"name": "neg"}, {"name": "neutral"}],
        "price_per_judgment": "0.20",
        "seconds_per_judgment": 10,
        "overlap": {"min": 1, "max": 4, "confidence": 0.9},
        "gold": {"share": 0.2},
        "tutorial": [
            {"text": "I love it", "answer": "pos", "explanation": "Love is positive."},
            {"text": "Broke in a day", "answer": "neg"},
        ],
        "qualifier": {
            "pass_mark": 0.5,
            "attempts": 1,
            "questions": [{"text": "Great!", "answer": "pos"}, {"text": "Awful", "answer": "neg"}],
        },
    }
    data.update(overrides)
    return parse_labeling_spec(data)


def items_of(spec: LabelingSpec, truth: dict[str, str], gold: set[str]) -> list[ItemRow]:
    rows = [
        {"id": key, "text": f"item {key}", "gold": answer if key in gold else None}
        for key, answer in truth.items()
    ]
    return parse_items(rows, spec)


# --- the spec and the items -------------------------------------------------------------------


def test_spec_errors_name_the_field() -> None:
    with pytest.raises(SpecInvalid, match="rubric"):
        rate_spec(rubric=["a", "b"])
    with pytest.raises(SpecInvalid, match="at least two labels"):
        classify_spec(labels=[{"name": "only"}])
    with pytest.raises(SpecInvalid, match=r"tutorial\[0\].answer"):
        classify_spec(tutorial=[{"text": "x", "answer": "maybe"}])
    with pytest.raises(SpecInvalid, match="min 4 is above max 2"):
        rate_spec(overlap={"min": 4, "max": 2})


def test_items_errors_name_the_row_and_column() -> None:
    spec = classify_spec()
    with pytest.raises(ImportFailed, match=r"row 2, column 'gold'.*'maybe' is not one of"):
        parse_items([{"text": "a", "gold": "pos"}, {"text": "b", "gold": "maybe"}], spec)
    with pytest.raises(ImportFailed, match="row 1: an item has exactly one of text or image"):
        parse_items([{"id": "x"}], spec)
    with pytest.raises(ImportFailed, match=r"row 2, column 'id'.*used twice"):
        parse_items([{"id": "a", "text": "a"}, {"id": "a", "text": "b"}], spec)
    with pytest.raises(ImportFailed, match="no item has a gold answer"):
        parse_items([{"text": "a"}], spec)
    multi = classify_spec(multi_label=True)
    assert parse_items([{"text": "a", "gold": "neg|pos"}, {"text": "b"}], multi)[0].gold == (
        "neg",
        "pos",
    )


def test_under_priced_labeling_campaign_is_refused_with_the_floor(
    ctx: Context, requester: Principal
) -> None:
    spec = rate_spec(price_per_judgment="0.01")
    with pytest.raises(UnderPriced, match=r"0\.17"):
        campaigns.create_campaign(ctx, requester, spec, items_of(spec, {"a": "3", "b": "3"}, {"a"}))


def test_labeling_campaign_needs_items(ctx: Context, requester: Principal) -> None:
    with pytest.raises(InvalidInput, match="needs its items"):
        campaigns.create_campaign(ctx, requester, rate_spec())


# --- a crowd at work -------------------------------------------------------------------------

LABELS = ("pos", "neg", "neutral")
Strategy = Callable[[str, np.random.Generator], str]  # (item key, rng) → label


def honest(error: float, truth: dict[str, str]) -> Strategy:
    def answer(key: str, rng: np.random.Generator) -> str:
        if rng.random() >= error:
            return truth[key]
        return str(rng.choice([label for label in LABELS if label != truth[key]]))

    return answer


def constant(label: str) -> Strategy:
    def answer(key: str, rng: np.random.Generator) -> str:
        return label

    return answer


def same_label(key: str, rng: np.random.Generator) -> str:
    return "pos"


def random_label(key: str, rng: np.random.Generator) -> str:
    return str(rng.choice(LABELS))


def control_oracle(gold: set[str], truth: dict[str, str]) -> Strategy:
    """Knows which items are the requester's gold and their answers; the rest at random."""

    def answer(key: str, rng: np.random.Generator) -> str:
        return truth[key] if key in gold else random_label(key, rng)

    return answer


def work_until_done(
    ctx: Context,
    clock: FakeClock,
    campaign_id: int,
    crowd: dict[int, Strategy],
    rng: np.random.Generator,
    *,
    idle_rounds: int = 8,
    seconds_on_task: float | None = None,
) -> int:
    """Every worker asks for work in turn (a lottery: ``selection.admits``) and answers what
    they get, until nobody got anything for ``idle_rounds`` rounds. Returns the answers."""
    answers = idle = 0
    workers = list(crowd)
    while idle < idle_rounds:
        worked = False
        for index in rng.permutation(len(workers)):
            worker = workers[int(index)]
            offer = offers.next_offer(ctx, worker, campaign_id)
            clock.advance(seconds=1)
            if offer is None:
                continue
            key = (offer.item_text or "").removeprefix("item ")
            try:
                answer = crowd[worker](key, rng)
                labeling.submit_label(
                    ctx, worker, offer.id, answer, seconds_on_task=seconds_on_task
                )
            except Conflict:  # revoked meanwhile: the offer was withdrawn
                continue
            answers += 1
            worked = True
        idle = 0 if worked else idle + 1
    return answers


# --- gates, gold, quality ---------------------------------------------------------------------


def _launch(
    ctx: Context, requester: Principal, spec: LabelingSpec, truth: dict[str, str], gold: set[str]
) -> int:
    view = campaigns.create_campaign(ctx, requester, spec, items_of(spec, truth, gold))
    campaigns.launch(ctx, requester, view.id)
    return view.id


def test_only_workers_past_the_tutorial_and_qualifier_get_offers(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    spec = classify_spec()
    truth = {f"i{n}": "pos" for n in range(6)}
    campaign_id = _launch(ctx, requester, spec, truth, {"i0"})
    worker = make_worker()
    assert offers.next_offer(ctx, worker, campaign_id) is None
    assert labeling.onboarding(ctx, worker, campaign_id).gate == "tutorial"
    with pytest.raises(Conflict, match="finish the tutorial"):
        labeling.take_qualifier(ctx, worker, campaign_id, ["pos", "neg"])
    with pytest.raises(Conflict, match="in order"):
        labeling.answer_tutorial(ctx, worker, campaign_id, 1, "neg")
    feedback = labeling.answer_tutorial(ctx, worker, campaign_id, 0, "neg")
    assert not feedback.correct and feedback.expected == "pos"
    assert feedback.explanation == "Love is positive." and not feedback.done
    assert labeling.answer_tutorial(ctx, worker, campaign_id, 0, "pos").correct  # repeatable
    assert labeling.answer_tutorial(ctx, worker, campaign_id, 1, "neg").done
    assert labeling.onboarding(ctx, worker, campaign_id).gate == "qualifier"
    assert offers.next_offer(ctx, worker, campaign_id) is None
    result = labeling.take_qualifier(ctx, worker, campaign_id, ["pos", "neg"])
    assert result.passed and result.score == 1.0
    assert offers.next_offer(ctx, worker, campaign_id) is not None

    failing = make_worker()
    for index, question in enumerate(spec.tutorial):
        labeling.answer_tutorial(ctx, failing, campaign_id, index, question.answer)
    assert not labeling.take_qualifier(ctx, failing, campaign_id, ["neg", "pos"]).passed
    assert labeling.onboarding(ctx, failing, campaign_id).gate == "failed"
    assert offers.next_offer(ctx, failing, campaign_id) is None
    with pytest.raises(Conflict, match="failed"):
        labeling.take_qualifier(ctx, failing, campaign_id, ["pos", "neg"])


def test_bounty_tasks_let_a_worker_without_stake_start(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    spec = rate_spec(bounty={"tasks": 2}, gold={"share": 0})
    truth = {f"i{n}": "3" for n in range(8)}
    campaign_id = _launch(ctx, requester, spec, truth, set())
    newcomer = make_worker(stake=0)
    for _ in range(2):
        offer = offers.next_offer(ctx, newcomer, campaign_id)
        assert offer is not None
        labeling.submit_label(ctx, newcomer, offer.id, "3")
    assert offers.next_offer(ctx, newcomer, campaign_id) is None  # bounty used up: stake now
    balances = ledger.balances(ctx, newcomer)
    assert balances.available == 500 * 100  # paid into pending: released once quality shows
    assert balances.pending == 2 * 20


def test_answers_are_paid_checked_and_gold_updates_quality(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    spec = classify_spec(tutorial=[], qualifier=None, gold={"share": 0.5})
    truth = {f"i{n}": "pos" for n in range(10)}
    campaign_id = _launch(ctx, requester, spec, truth, {"i0", "i1", "i2", "i3"})
    worker = make_worker()
    offer = offers.next_offer(ctx, worker, campaign_id)
    assert offer is not None and offer.kind == "label"
    assert offer.choices == (("pos", ""), ("neg", ""), ("neutral", ""))
    with pytest.raises(InvalidInput, match="'maybe' is not one of pos, neg, neutral"):
        labeling.submit_label(ctx, worker, offer.id, "maybe")
    before = ledger.balances(ctx, worker)
    labeling.submit_label(ctx, worker, offer.id, "pos")
    after = ledger.balances(ctx, worker)
    assert after.pending == before.pending + 20  # paid at submission, gold or not: pending
    assert after.available == before.available
    with pytest.raises(Conflict, match="done"):
        labeling.submit_label(ctx, worker, offer.id, "pos")
    answered = 1
    while (offer := offers.next_offer(ctx, worker, campaign_id)) is not None:
        labeling.submit_label(ctx, worker, offer.id, "pos")
        answered += 1
    report = labeling_reports.report(ctx, requester, campaign_id)
    (row,) = report.workers
    assert row.answers == answered == report.judgments
    assert row.gold_answers == report.gold_judgments > 0
    assert row.gold_correct == row.gold_answers  # always right
    assert row.accuracy_mean > 2 / 3  # above the prior's mean


def test_dynamic_overlap_stops_early_and_saves_judgments(
    ctx: Context, clock: FakeClock, requester: Principal, make_worker: Callable[..., int]
) -> None:
    overlap = {"min": 2, "max": 5, "confidence": 0.8}
    spec = classify_spec(tutorial=[], qualifier=None, gold={"share": 0}, overlap=overlap)
    truth = {f"i{n}": "neg" for n in range(6)}
    campaign_id = _launch(ctx, requester, spec, truth, set())
    crowd = {make_worker(): constant("neg") for _ in range(6)}
    work_until_done(ctx, clock, campaign_id, crowd, np.random.default_rng(1))
    report = labeling_reports.report(ctx, requester, campaign_id)
    assert report.settled == 6
    assert report.judgments == 12  # two agreeing answers settle an item at 0.8
    assert report.judgments_saved == 6 * 5 - 12
    results = labeling_reports.results(ctx, requester, campaign_id)
    assert {r.answer for r in results} == {"neg"}


def test_pilot_stops_at_its_units_until_the_requester_accepts_it(
    ctx: Context, clock: FakeClock, requester: Principal, make_worker: Callable[..., int]
) -> None:
    spec = rate_spec(pilot={"units": 3}, gold={"share": 0})
    campaign_id = _launch(ctx, requester, spec, {f"i{n}": "4" for n in range(10)}, set())
    assert campaigns.get_campaign(ctx, requester, campaign_id).status == "pilot"
    crowd = {make_worker(): constant("4") for _ in range(5)}
    assert work_until_done(ctx, clock, campaign_id, crowd, np.random.default_rng(1)) == 3
    assert all(offers.next_offer(ctx, w, campaign_id) is None for w in crowd)
    kinds = [e.kind for e in campaigns.events(ctx, requester, campaign_id)]
    assert "pilot_complete" in kinds
    campaigns.accept_pilot(ctx, requester, campaign_id)
    asks = (offers.next_offer(ctx, w, campaign_id) for _ in range(20) for w in crowd)
    assert any(offer is not None for offer in asks)  # work again, for whoever is drawn
    with pytest.raises(Conflict, match="pilot"):
        campaigns.accept_pilot(ctx, requester, campaign_id)


# --- a whole rating campaign ------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rating_campaign_with_spammers_revokes_them_and_beats_the_plain_mean(
    ctx: Context, clock: FakeClock, requester: Principal
) -> None:
    """30 % spamming workers: revocation kicks in, spammers' unsettled answers are re-queued,
    and the delivered scores correlate with the truth better than the plain mean of every
    answer does. The ledger verifies and escrow is emptied at close."""
    rng = np.random.default_rng(7)
    truth = {f"t{n}": str(int(rng.integers(1, 6))) for n in range(250)}
    gold = {f"t{n}" for n in range(30)}
    spec = rate_spec(
        guarantee={"target": 0.8}, gold={"share": 0.15}, quality={"bar": 0.8}, max_open_offers=8
    )
    campaign_id = _launch(ctx, requester, spec, truth, gold)
    crowd = LabelingCrowd.create(ctx, LabelerMix(workers=20, spammers=0.3), truth, seed=11)
    crowd.by_text = {f"item {key}": key for key in truth}
    answers = 0

    # asking is a lottery (selection.admits): a run may stop on idle rounds before the work
    # is done, so the crowd goes on until a run finds nothing left
    def tick() -> None:
        clock.advance(seconds=1)

    while found := run_labeling(ctx, campaign_id, crowd, spec, tick=tick).answers:
        answers += found
    assert answers > 400

    events = campaigns.events(ctx, requester, campaign_id)
    revoked = [e.detail["worker"] for e in events if e.kind == "worker_revoked"]
    spammers = {lab.pseudonym for lab in crowd.labelers if lab.kind.value == "spammer"}
    assert len(revoked) >= 3
    assert set(revoked) <= spammers  # no honest worker lost access
    assert any(e.detail["answers_requeued"] for e in events if e.kind == "worker_revoked")

    def every_answer(session: Session) -> list[tuple[str, int]]:
        rows = session.execute(
            select(LabelItem.external_id, Judgment.answer)
            .join(Judgment, Judgment.item_id == LabelItem.id)
            .where(LabelItem.campaign_id == campaign_id, LabelItem.gold.is_(None))
        )
        return [(key, int(str(answer))) for key, answer in rows]

    plain: dict[str, list[int]] = {}
    for key, stars in ctx.db.run(every_answer, readonly=True):
        plain.setdefault(key, []).append(stars)
    results = {r.item: r for r in labeling_reports.results(ctx, requester, campaign_id)}
    assert all(r.status == "settled" for r in results.values())
    keys = sorted(results)
    true = [int(truth[k]) for k in keys]
    delivered = [results[k].score or 0.0 for k in keys]
    unweighted = [float(np.mean(plain[k])) for k in keys]
    r_delivered = pearsonr(delivered, true)[0]
    r_unweighted = pearsonr(unweighted, true)[0]
    # probation (half the offers gold until a worker's standing settles) revokes spammers
    # within their first answers, so little spam is left for the weighting to beat: the
    # delivered scores are still the better ones, and close to the truth
    assert r_delivered > r_unweighted
    assert r_delivered > 0.95

    report = labeling_reports.report(ctx, requester, campaign_id)
    assert report.guarantee is not None and report.guarantee.checked > 0
    campaigns.close(ctx, requester, campaign_id)
    assert ledger.verify(ctx).ok
    income: dict[str, list[int]] = {}
    for labeler in crowd.labelers:  # after close: pending pay released or clawed back
        net = ledger.balances(ctx, labeler.user_id).total - labeler.initial_total
        income.setdefault(labeler.kind.value, []).append(net)
    honest = income["honest"]
    assert min(honest) > 0
    assert sum(income["spammer"]) < 0  # revoked spammers lose 1.5× what they earned
    # the figures docs/concepts/labeling.md quotes (pytest -s shows them)
    g = report.guarantee
    print(
        f"\njudgments {report.judgments} (kept {report.kept_judgments}), saved "
        f"{report.judgments_saved} of {report.fixed_overlap_judgments}; revoked {len(revoked)} "
        f"of {len(spammers)} spammers; r delivered {r_delivered:.3f}, plain mean of every "
        f"answer {r_unweighted:.3f}; guarantee {g.status.value} {g.correct}/{g.checked} "
        f"({g.low:.3f}-{g.high:.3f}); net income (minor units) honest "
        f"{min(honest)}..{max(honest)}, spammers "
        f"{min(income['spammer'])}..{max(income['spammer'])}"
    )


def test_accepting_a_pilot_checks_the_price_at_the_measured_median(
    ctx: Context, clock: FakeClock, requester: Principal, make_worker: Callable[..., int]
) -> None:
    """The spec said 10 s a judgment; the pilot measured 30 s: 0.20 is under the new floor."""
    spec = rate_spec(pilot={"units": 3}, gold={"share": 0})
    campaign_id = _launch(ctx, requester, spec, {f"i{n}": "4" for n in range(10)}, set())
    crowd = {make_worker(): constant("4") for _ in range(3)}
    rng = np.random.default_rng(1)
    assert work_until_done(ctx, clock, campaign_id, crowd, rng, seconds_on_task=30) == 3
    with pytest.raises(UnderPriced, match=r"median was 30\.0 s.*floor of 0\.50"):
        campaigns.accept_pilot(ctx, requester, campaign_id)
    assert campaigns.get_campaign(ctx, requester, campaign_id).status == "pilot"


# --- the mechanism (SPEC §6): controls, pending pay, revocation with a fine ---------------------


def _rows(ctx: Context, model: type[Any], **where: object) -> list[Any]:
    def work(session: Session) -> list[Any]:
        query = select(model).filter_by(**where)
        return list(session.execute(query).scalars())

    return ctx.db.run(work, readonly=True)


def test_dishonest_labelers_are_revoked_fined_and_lose_while_honest_ones_earn(
    ctx: Context, clock: FakeClock, requester: Principal, make_worker: Callable[..., int]
) -> None:
    """Four honest workers (5–10 % error), a same-label and a random-label spammer and a
    control oracle (answers the requester's gold right, the rest at random) work a campaign
    to the end through the real services. Every cheat is revoked and fined at least 1.5× what
    they earned, so nets negative; no honest worker is revoked and each nets positive at close.
    Consensus gold appears, every control is retired at ``control_max_views``, and no worker
    gets controls in a burst."""
    rng = np.random.default_rng(5)
    truth = {f"i{n}": LABELS[int(rng.integers(3))] for n in range(96)}
    gold = {f"i{n}" for n in range(6)}
    views = 4
    spec = classify_spec(
        tutorial=[],
        qualifier=None,
        gold={"share": 0.2},
        overlap={"min": 2, "max": 4, "confidence": 0.9},
        mechanism={"control_max_views": views},
        max_open_offers=4,  # fewer draws for the same work: a quicker test
    )
    campaign_id = _launch(ctx, requester, spec, truth, gold)
    people: dict[str, list[Strategy]] = {
        "honest": [honest(e, truth) for e in (0.05, 0.05, 0.1, 0.1)],
        "same_label": [same_label],
        "random_label": [random_label],
        "control_oracle": [control_oracle(gold, truth)],
    }
    kinds: dict[int, str] = {}
    crowd: dict[int, Strategy] = {}
    for kind, strategies in people.items():
        for strategy in strategies:
            worker = make_worker()
            kinds[worker], crowd[worker] = kind, strategy
    before = {w: ledger.balances(ctx, w).total for w in crowd}
    assert work_until_done(ctx, clock, campaign_id, crowd, rng) > 200
    campaigns.close(ctx, requester, campaign_id)
    assert ledger.verify(ctx).ok

    tracks = {t.worker_id: t for t in _rows(ctx, WorkerTrack, campaign_id=campaign_id)}
    sanctions = {s.worker_id: s for s in _rows(ctx, Sanction, campaign_id=campaign_id)}
    for worker, kind in kinds.items():
        track = tracks[worker]
        net = ledger.balances(ctx, worker).total - before[worker]
        assert ledger.balances(ctx, worker).pending == 0  # released at close, or clawed back
        if kind == "honest":
            assert track.revoked_at is None and worker not in sanctions, kind
            assert net == track.earned > 0
            continue
        assert track.revoked_at is not None, kind
        assert track.controls_failed > 0  # never revoked on peers' say-so alone
        sanction = sanctions[worker]
        assert sanction.fine >= math.ceil(1.5 * track.earned) > 0, kind
        # pending pay went back to the escrow; what was released before is outweighed by the fine
        assert sanction.clawed_back + track.released == track.earned
        assert net == track.released - sanction.fine < 0, kind
    events = campaigns.events(ctx, requester, campaign_id)
    revoked = [e for e in events if e.kind == "worker_revoked"]
    assert len(revoked) == 3 and all("answers_requeued" in e.detail for e in revoked)

    items = _rows(ctx, LabelItem, campaign_id=campaign_id)
    consensus_gold = [i for i in items if i.gold_source == "consensus"]
    assert consensus_gold and all(i.gold is None for i in consensus_gold)
    assert all(i.control_views <= views for i in items)
    assert any(i.gold_source == "spec" and i.control_views == views for i in items)
    regular = [i for i in items if i.gold is None]
    assert all(i.status == "settled" for i in regular)  # gold never crowded out real work

    judgments = sorted(_rows(ctx, Judgment, campaign_id=campaign_id), key=lambda j: j.id)
    for worker in crowd:
        first = [j for j in judgments if j.worker_id == worker][:20]
        # no burst of controls; a cheat whose record weakens is back on probation's share
        share = 0.2 if kinds[worker] == "honest" else mechanism_of(spec).probation_share
        assert sum(j.gold for j in first) <= share * 20 + 2, kinds[worker]
    oracle = next(w for w, kind in kinds.items() if kind == "control_oracle")
    caught = [j for j in judgments if j.worker_id == oracle and j.gold and not j.correct]
    assert caught  # on consensus gold, which it cannot tell from regular items


def test_controls_come_at_their_share_without_bursts_or_crowding_out_work(
    ctx: Context, clock: FakeClock, requester: Principal, make_worker: Callable[..., int]
) -> None:
    """The reported burst: under ``share: 0.15`` one worker got 8 gold items in their first
    14 offers, then "no work" while regular items had no judgment. Now a worker's controls
    stay within one of ``probation_share`` (half) of their offers while on probation, the
    controls beyond 15 % are no more than probation needs (seven right ones), and they get
    regular work as long as any is open for them."""
    truth = {f"i{n}": "pos" for n in range(60)}
    gold = {f"i{n}" for n in range(20)}
    spec = classify_spec(
        tutorial=[], qualifier=None, gold={"share": 0.15}, overlap={"min": 1, "max": 1}
    )
    campaign_id = _launch(ctx, requester, spec, truth, gold)
    crowd = {make_worker(): constant("pos")}
    work_until_done(ctx, clock, campaign_id, crowd, np.random.default_rng(3))
    judgments = sorted(_rows(ctx, Judgment, campaign_id=campaign_id), key=lambda j: j.id)
    flags = [j.gold for j in judgments]
    settings = mechanism_of(spec)
    for n in range(1, len(flags) + 1):
        assert sum(flags[:n]) <= settings.probation_share * n + 1, flags[:n]
    probation = controls_to_leave_probation(settings.bar, settings.confidence)
    assert sum(flags) <= 0.15 * len(flags) + probation + 1, flags
    assert sum(flags[:20]) >= 2  # controls do come
    items = _rows(ctx, LabelItem, campaign_id=campaign_id)
    assert all(i.status == "settled" for i in items if i.gold is None)  # every regular item


def test_dispatch_for_an_asker_offers_to_them_alone_when_drawn(
    ctx: Context, clock: FakeClock, requester: Principal, make_worker: Callable[..., int]
) -> None:
    spec = classify_spec(tutorial=[], qualifier=None, gold={"share": 0}, max_open_offers=2)
    campaign_id = _launch(ctx, requester, spec, {f"i{n}": "pos" for n in range(20)}, set())
    rich, poor, outsider = make_worker(stake=100), make_worker(stake=20), make_worker(stake=0)

    def dispatch(asker: int | None) -> list[tuple[int, int]]:
        def work(session: Session) -> list[tuple[int, int]]:
            campaign = campaign_store.campaign(session, campaign_id, for_update=True)
            for worker in (rich, poor, outsider):
                campaign_store.touch_worker(session, campaign_id, worker, ctx.now())
            session.flush()
            labeling.dispatch(session, ctx, campaign, asker=asker)
            offered = campaign_store.open_offers(session, campaign_id)
            return sorted(Counter(o.worker_id for o in offered).items())

        return ctx.db.run(work)

    assert dispatch(outsider) == []  # no stake, no bounty: never a candidate
    for _ in range(60):  # a slot's ticket wins with weight / largest weight: 20 / 100
        if dispatch(poor):
            break
        clock.advance(seconds=spec.seconds_per_judgment)  # the next slot, the next ticket
    assert dispatch(poor) == [(poor, 1)]  # only the asker, one offer per winning ticket
    assert dispatch(poor) == [(poor, 1)]  # asking again in the slot draws nothing new
    assert dispatch(None) == [(rich, 2), (poor, 2)]  # no asker: everyone, as before


def test_min_stake_is_raised_to_cover_the_fine_before_revocation(
    ctx: Context, clock: FakeClock, requester: Principal, make_worker: Callable[..., int]
) -> None:
    spec = classify_spec(tutorial=[], qualifier=None, min_stake=1)
    bond = required_stake(spec, 20)  # 0.20 a judgment: 25 answers before revocation, × 1.5
    assert bond == 750 == labeling.min_stake_of(ctx, spec)
    campaign_id = _launch(ctx, requester, spec, {f"i{n}": "pos" for n in range(6)}, {"i0"})
    short, covered = make_worker(stake=7), make_worker(stake=8)
    assert offers.next_offer(ctx, short, campaign_id) is None
    assert offers.next_offer(ctx, covered, campaign_id) is not None
