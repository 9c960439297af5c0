"""Labeling campaigns through the services: gates, gold, quality, revocation, overlap, pilot,
guarantee, and a whole rating campaign against a simulated crowd with 30 % spammers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy.stats import pearsonr
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import FakeClock

from crowdset.core.labeling.items import ItemRow, parse_items
from crowdset.core.labeling.spec import LabelingSpec, parse_labeling_spec
from crowdset.errors import Conflict, ImportFailed, InvalidInput, SpecInvalid, UnderPriced
from crowdset.services import campaigns, labeling, labeling_reports, ledger, offers
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.sim.labelers import LabelerMix, LabelingCrowd, run_labeling
from crowdset.storage.models import Judgment, LabelItem

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
    assert ledger.balances(ctx, newcomer).available == 500 * 100 + 2 * 20


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
    before = ledger.balances(ctx, worker).available
    labeling.submit_label(ctx, worker, offer.id, "pos")
    assert ledger.balances(ctx, worker).available == before + 20
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
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    overlap = {"min": 2, "max": 5, "confidence": 0.8}
    spec = classify_spec(tutorial=[], qualifier=None, gold={"share": 0}, overlap=overlap)
    truth = {f"i{n}": "neg" for n in range(6)}
    campaign_id = _launch(ctx, requester, spec, truth, set())
    workers = [make_worker() for _ in range(6)]
    for _ in range(6):
        for worker in workers:
            offer = offers.next_offer(ctx, worker, campaign_id)
            if offer is not None:
                labeling.submit_label(ctx, worker, offer.id, "neg")
    report = labeling_reports.report(ctx, requester, campaign_id)
    assert report.settled == 6
    assert report.judgments == 12  # two agreeing answers settle an item at 0.8
    assert report.judgments_saved == 6 * 5 - 12
    results = labeling_reports.results(ctx, requester, campaign_id)
    assert {r.answer for r in results} == {"neg"}


def test_pilot_stops_at_its_units_until_the_requester_accepts_it(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    spec = rate_spec(pilot={"units": 3}, gold={"share": 0})
    campaign_id = _launch(ctx, requester, spec, {f"i{n}": "4" for n in range(10)}, set())
    assert campaigns.get_campaign(ctx, requester, campaign_id).status == "pilot"
    workers = [make_worker() for _ in range(5)]
    done = 0
    for _ in range(3):
        for worker in workers:
            offer = offers.next_offer(ctx, worker, campaign_id)
            if offer is not None:
                labeling.submit_label(ctx, worker, offer.id, "4")
                done += 1
    assert done == 3
    assert all(offers.next_offer(ctx, w, campaign_id) is None for w in workers)
    kinds = [e.kind for e in campaigns.events(ctx, requester, campaign_id)]
    assert "pilot_complete" in kinds
    campaigns.accept_pilot(ctx, requester, campaign_id)
    assert offers.next_offer(ctx, workers[0], campaign_id) is not None
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
    spec = rate_spec(guarantee={"target": 0.8}, gold={"share": 0.15}, quality={"bar": 0.8})
    campaign_id = _launch(ctx, requester, spec, truth, gold)
    crowd = LabelingCrowd.create(ctx, LabelerMix(workers=20, spammers=0.3), truth, seed=11)
    crowd.by_text = {f"item {key}": key for key in truth}
    run = run_labeling(ctx, campaign_id, crowd, spec, tick=lambda: clock.advance(seconds=1))
    assert run.answers > 400

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
    assert r_delivered > r_unweighted + 0.02

    report = labeling_reports.report(ctx, requester, campaign_id)
    assert report.guarantee is not None and report.guarantee.checked > 0
    campaigns.close(ctx, requester, campaign_id)
    assert ledger.verify(ctx).ok
    honest = run.income["honest"]
    assert min(honest) > 0
    # the figures docs/concepts/labeling.md quotes (pytest -s shows them)
    g = report.guarantee
    print(
        f"\njudgments {report.judgments} (kept {report.kept_judgments}), saved "
        f"{report.judgments_saved} of {report.fixed_overlap_judgments}; revoked {len(revoked)} "
        f"of {len(spammers)} spammers; r delivered {r_delivered:.3f}, plain mean of every "
        f"answer {r_unweighted:.3f}; guarantee {g.status.value} {g.correct}/{g.checked} "
        f"({g.low:.3f}-{g.high:.3f}); net income (minor units) honest "
        f"{min(honest)}..{max(honest)}, spammers "
        f"{min(run.income['spammer'])}..{max(run.income['spammer'])}"
    )


def test_accepting_a_pilot_checks_the_price_at_the_measured_median(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    """The spec said 10 s a judgment; the pilot measured 30 s: 0.20 is under the new floor."""
    spec = rate_spec(pilot={"units": 3}, gold={"share": 0})
    campaign_id = _launch(ctx, requester, spec, {f"i{n}": "4" for n in range(10)}, set())
    workers = [make_worker() for _ in range(3)]
    for _ in range(3):
        for worker in workers:
            offer = offers.next_offer(ctx, worker, campaign_id)
            if offer is not None:
                labeling.submit_label(ctx, worker, offer.id, "4", seconds_on_task=30)
    with pytest.raises(UnderPriced, match=r"median was 30\.0 s.*floor of 0\.50"):
        campaigns.accept_pilot(ctx, requester, campaign_id)
    assert campaigns.get_campaign(ctx, requester, campaign_id).status == "pilot"
