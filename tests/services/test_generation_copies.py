"""Copies and answer signals through the services (SPEC §6.7), on SQLite and PostgreSQL: a
seed's copy is refused without saying which and recorded against the writer, a writer does not
repeat their own template, templates are capped, an offer takes a few refusals at most, and a
pasted answer goes to validators marked (or is blocked)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.services.conftest import next_of_kind
from tests.services.test_generation import NO, YES, launched, one_intent, vote

from crowdset.errors import AnswerRefused, Conflict
from crowdset.services import campaigns, generation
from crowdset.services.accounts import Principal
from crowdset.services.context import Context
from crowdset.services.generation import OfferView
from crowdset.services.generation_writing import Typing
from crowdset.storage import mechanism_store
from crowdset.storage.models import WorkerTrack


def typed(ctx: Context, worker: int, offer_id: int, text: str) -> generation.SubmitResult:
    """Submit as a person typing at a human pace on the task page."""
    return generation.submit_query(
        ctx, worker, offer_id, text, seconds_on_task=40.0, typing=Typing(keys=60, interval_cv=0.6)
    )


def room_of(offer: OfferView) -> str:
    """The offer's required value (a task may ask for none)."""
    return offer.values[0].value if offer.values else "house"


def write_track(ctx: Context, campaign_id: int, worker: int) -> WorkerTrack | None:
    return ctx.db.run(
        lambda s: mechanism_store.track_row(s, campaign_id, worker, "write", create=False),
        readonly=True,
    )


def refused(ctx: Context, worker: int, offer_id: int, text: str) -> AnswerRefused:
    with pytest.raises(AnswerRefused) as caught:
        typed(ctx, worker, offer_id, text)
    return caught.value


def test_a_value_swapped_seed_is_refused_unexplained_and_counts_against_the_writer(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent(target=3))
    writer = make_worker()
    offer = next_of_kind(ctx, writer, "write", campaign_id)
    room = room_of(offer)
    error = refused(ctx, writer, offer.id, f"turn on the lights in the {room} please")
    assert [r["reason"] for r in error.fields["reasons"]] == ["near_duplicate"]
    assert "kitchen" not in error.message and "turn on" not in error.message
    track = write_track(ctx, campaign_id, writer)
    assert track is not None and track.controls_failed == 1  # copying is a failed control
    # the offer stays open for a query of one's own
    typed(ctx, writer, offer.id, f"could the {room} be lit up a bit brighter")


def test_own_template_not_repeated_and_the_last_attempt_ends_the_offer(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(
        ctx, requester, **one_intent(target=4, checks={"min_words": 2, "max_attempts": 2})
    )
    writer = make_worker()
    offer = next_of_kind(ctx, writer, "write", campaign_id)
    room = room_of(offer)
    typed(ctx, writer, offer.id, f"make it bright in the {room} tonight")
    second = next_of_kind(ctx, writer, "write", campaign_id)
    other = room_of(second)
    first = refused(ctx, writer, second.id, f"make it bright in the {other} tonight")
    assert not first.fields["offer_ended"]
    last = refused(ctx, writer, second.id, f"make it bright in the {other} tonight")
    assert last.fields["offer_ended"] and "last attempt" in last.message
    with pytest.raises(Conflict):
        typed(ctx, writer, second.id, f"the {other} needs light")


def test_a_template_is_capped_and_copies_of_others_go_to_validators_marked(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(
        ctx,
        requester,
        **one_intent(
            target=6,
            checks={
                "min_words": 2,
                "max_template_repeats": 2,
                "near_duplicate_similarity": 100,  # the template rule alone
            },
        ),
    )
    shared = "i would love some light in the {room} please"
    first, second, third = (make_worker() for _ in range(3))
    offer = next_of_kind(ctx, first, "write", campaign_id)
    typed(ctx, first, offer.id, shared.format(room=room_of(offer)))
    offer = next_of_kind(ctx, second, "write", campaign_id)
    typed(ctx, second, offer.id, shared.format(room=room_of(offer)))
    offer = next_of_kind(ctx, third, "write", campaign_id)
    error = refused(ctx, third, offer.id, shared.format(room=room_of(offer)))
    assert [r["reason"] for r in error.fields["reasons"]] == ["near_duplicate"]
    track = write_track(ctx, campaign_id, third)
    assert track is None or track.controls_failed == 0  # the cap holds nothing against anyone
    marked = {
        q.worker: q.answer_flags
        for q, _ in campaigns.submitted_queries(ctx, requester, campaign_id)
    }
    assert sorted(marked.values()) == [(), ("copied",)]  # the second one copies the first


def test_a_pasted_answer_is_marked_for_validators_and_a_rejection_confirms_it(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    campaign_id = launched(ctx, requester, **one_intent())
    writer = make_worker()
    offer = next_of_kind(ctx, writer, "write", campaign_id)
    text = f"could you please brighten the {room_of(offer)} for the evening"
    generation.submit_query(
        ctx, writer, offer.id, text, seconds_on_task=3.0, paste_events=1, typing=Typing(0)
    )
    validators = [make_worker() for _ in range(3)]
    shown = vote(ctx, validators[0], campaign_id, NO)
    assert shown.answer_flags == ("pasted", "too_fast")
    for validator in validators[1:]:
        vote(ctx, validator, campaign_id, NO)
    for _ in range(4):  # dynamic overlap: more votes until the weighted verdict is confident
        [(query, status)] = campaigns.submitted_queries(ctx, requester, campaign_id)
        if status != "validating":
            break
        vote(ctx, make_worker(), campaign_id, NO)
    [(query, status)] = campaigns.submitted_queries(ctx, requester, campaign_id)
    assert status == "rejected" and query.answer_flags == ("pasted", "too_fast")
    track = write_track(ctx, campaign_id, writer)
    assert track is not None and track.controls_failed == 1  # confirmed: a control's weight


def test_a_campaign_may_block_pasted_answers_and_allow_them(
    ctx: Context, requester: Principal, make_worker: Callable[..., int]
) -> None:
    blocking = launched(ctx, requester, **one_intent(checks={"min_words": 2, "paste": "block"}))
    writer = make_worker()
    offer = next_of_kind(ctx, writer, "write", blocking)
    text = f"could you please brighten the {room_of(offer)} for the evening"
    with pytest.raises(AnswerRefused) as caught:
        generation.submit_query(ctx, writer, offer.id, text, seconds_on_task=2.0, paste_events=1)
    assert caught.value.fields["reasons"][0]["reason"] == "blocked"
    typed(ctx, writer, offer.id, text)  # typed: goes through
    allowing = launched(ctx, requester, **one_intent(checks={"min_words": 2, "paste": "allow"}))
    offer = next_of_kind(ctx, writer, "write", allowing)
    generation.submit_query(ctx, writer, offer.id, text, seconds_on_task=2.0, paste_events=1)
    voter = make_worker()
    assert vote(ctx, voter, allowing, YES).answer_flags == ()
