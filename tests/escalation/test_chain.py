"""The escalation chain's decisions, as plain values: no database, no models, no clock but ours.

Técnica's chain: the person on duty (60 s), the heads (60 s), the directors (120 s), the director
general (120 s). These stories ask the chain what happens next; the services only carry it out.
"""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime, timedelta

import pytest

from escalation.services import chain
from escalation.services.chain import Chain, PolicyTerms, Position, Step

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def terms(*steps: tuple[str, float], max_repeats: int = 3, **overrides: object) -> PolicyTerms:
    values: dict = {
        "policy_id": 7,
        "name": "Técnica",
        "steps": tuple(Step(order=order, kind=kind, wait_seconds=wait) for order, (kind, wait) in enumerate(steps)),
        "level_factors": {"0": 1.0, "1": 1.0, "2": 0.5, "3": 0.25},
        "reminder_fraction": 0.75,
        "max_repeats": max_repeats,
        "answer_within_seconds": 3600,
    }
    values.update(overrides)
    return PolicyTerms(**values)


TECNICA = terms(
    (chain.NOTIFY_DEPARTMENT_OWNER, 60),
    (chain.NOTIFY_HEADS, 60),
    (chain.NOTIFY_ROLE_DIRECTORS, 120),
    (chain.NOTIFY_DIRECTOR_GENERAL, 120),
)


def tecnica(level: int = 0) -> Chain:
    return chain.chain_start(terms=TECNICA, crisis_level=level)


# --- without a database ------------------------------------------------------------------------


def test_these_stories_run_with_the_database_locked_away():
    from django.db import connection

    with pytest.raises(RuntimeError, match="Database access not allowed"):
        connection.ensure_connection()


def test_the_chain_module_imports_nothing_from_django_or_the_models():
    tree = ast.parse(inspect.getsource(chain))
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    assert not {name for name in imported if name.startswith(("django", "escalation", "inbox", "crisisdesk"))}


def test_the_chain_spells_step_kinds_as_the_model_stores_them():
    from escalation.models import StepKind

    assert chain.NOTIFY_DEPARTMENT_OWNER == StepKind.NOTIFY_DEPARTMENT_OWNER
    assert chain.NOTIFY_HEADS == StepKind.NOTIFY_HEADS
    assert chain.NOTIFY_WHOLE_DEPARTMENT == StepKind.NOTIFY_WHOLE_DEPARTMENT
    assert chain.NOTIFY_ROLE_DIRECTORS == StepKind.NOTIFY_ROLE_DIRECTORS
    assert chain.NOTIFY_DIRECTOR_GENERAL == StepKind.NOTIFY_DIRECTOR_GENERAL
    assert chain.REPEAT_LAST == StepKind.REPEAT_LAST


# --- starting a chain --------------------------------------------------------------------------


def test_a_new_request_follows_the_policy_steps_in_their_order():
    # Given a policy whose steps were saved out of order
    shuffled = terms((chain.NOTIFY_HEADS, 60), (chain.NOTIFY_DEPARTMENT_OWNER, 30))
    shuffled = PolicyTerms(**{**shuffled.__dict__, "steps": tuple(reversed(shuffled.steps))})
    # When a request starts on it
    started = chain.chain_start(terms=shuffled, crisis_level=0)
    # Then it climbs them by their order
    assert [step.kind for step in started.steps] == [chain.NOTIFY_HEADS, chain.NOTIFY_DEPARTMENT_OWNER]


def test_a_policy_without_steps_falls_back_to_the_built_in_chain_but_keeps_its_own_timing():
    empty = terms(answer_within_seconds=1800)
    started = chain.chain_start(terms=empty, crisis_level=0)
    assert started.steps == chain.BUILTIN_STEPS
    assert [step.kind for step in started.steps] == [
        chain.NOTIFY_DEPARTMENT_OWNER,
        chain.NOTIFY_HEADS,
        chain.NOTIFY_ROLE_DIRECTORS,
        chain.NOTIFY_DIRECTOR_GENERAL,
    ]
    assert chain.answer_deadline(started, now=T0) == at(1800)


def test_a_severe_crisis_shortens_every_wait_and_the_deadline():
    calm, severe = tecnica(level=0), tecnica(level=3)
    assert calm.factor == 1.0 and severe.factor == 0.25
    assert chain.step_wait(calm, 0) == timedelta(seconds=60)
    assert chain.step_wait(severe, 0) == timedelta(seconds=15)
    assert chain.answer_deadline(severe, now=T0) == at(900)


def test_a_crisis_level_the_policy_does_not_name_leaves_the_timing_alone():
    assert tecnica(level=9).factor == 1.0


def test_a_policy_that_says_zero_repeats_still_sends_each_step_once():
    assert chain.chain_start(terms=terms((chain.REPEAT_LAST, 60), max_repeats=0), crisis_level=0).max_repeats == 1


def test_the_snapshot_stored_on_the_request_reads_back_as_the_same_chain():
    started = tecnica(level=2)
    snapshot = started.snapshot()
    assert snapshot["steps"][0] == {
        "order": 0,
        "kind": "notify_department_owner",
        "target_user_id": None,
        "wait_seconds": 60,
    }
    assert snapshot["factor"] == 0.5 and snapshot["policy_id"] == 7 and snapshot["name"] == "Técnica"
    assert Chain.from_snapshot(snapshot) == started


# --- climbing ---------------------------------------------------------------------------------


def test_an_unanswered_request_climbs_one_step_each_time_its_wait_is_over():
    started = tecnica()
    # Given a request raised at T0: the person on duty has 60 s, with a reminder at 45 s
    first = chain.step_timers(started, Position(step=0), start=T0)
    assert (first.next_action_at, first.reminder_at) == (at(60), at(45))
    # When the sweep finds the wait over, the heads are next, with their own 60 s
    to_heads = chain.climb(started, Position(step=0), now=at(60))
    assert to_heads is not None
    assert to_heads.position == Position(step=1)
    assert (to_heads.timers.next_action_at, to_heads.timers.reminder_at) == (at(120), at(105))
    # Then the directors with 120 s, then the director general
    to_directors = chain.climb(started, to_heads.position, now=at(120))
    assert to_directors is not None and to_directors.position == Position(step=2)
    assert to_directors.timers.next_action_at == at(240)
    to_general = chain.climb(started, to_directors.position, now=at(240))
    assert to_general is not None and to_general.position == Position(step=3)


def test_the_last_step_has_a_reminder_but_nowhere_to_climb():
    started = tecnica()
    last = Position(step=3)
    timers = chain.step_timers(started, last, start=at(240))
    assert timers.next_action_at is None
    assert timers.reminder_at == at(240 + 90)
    assert chain.next_position(started, last) is None
    assert chain.climb(started, last, now=at(360)) is None


def test_a_step_that_does_not_wait_sets_no_reminder():
    instant = chain.chain_start(terms=terms((chain.NOTIFY_HEADS, 0), (chain.NOTIFY_ROLE_DIRECTORS, 60)), crisis_level=0)
    timers = chain.step_timers(instant, Position(step=0), start=T0)
    assert timers.reminder_at is None
    assert timers.next_action_at == T0


def test_a_negative_wait_is_read_as_no_wait():
    odd = chain.chain_start(terms=terms((chain.NOTIFY_HEADS, -30), (chain.NOTIFY_HEADS, 60)), crisis_level=0)
    assert chain.step_wait(odd, 0) == timedelta(0)


# --- who is told --------------------------------------------------------------------------------


def test_each_step_reaches_the_people_its_kind_names():
    started = tecnica()
    assert [chain.notified_step(started, index).kind for index in range(4)] == [
        chain.NOTIFY_DEPARTMENT_OWNER,
        chain.NOTIFY_HEADS,
        chain.NOTIFY_ROLE_DIRECTORS,
        chain.NOTIFY_DIRECTOR_GENERAL,
    ]


def test_a_final_repeat_tells_the_previous_step_again_up_to_the_limit():
    # Given heads (60 s) then "repeat the previous step" (30 s), at most three times
    repeating = chain.chain_start(
        terms=terms((chain.NOTIFY_HEADS, 60), (chain.REPEAT_LAST, 30), max_repeats=3), crisis_level=0
    )
    # When the heads do not answer, the repeat step is entered, and reaches the heads again
    entered = chain.climb(repeating, Position(step=0), now=at(60))
    assert entered is not None and entered.position == Position(step=1, attempt=0)
    assert chain.notified_step(repeating, 1).kind == chain.NOTIFY_HEADS
    # Then it repeats twice more, 30 s apart, each time a reminder of the first message
    second = chain.climb(repeating, entered.position, now=at(90))
    assert second is not None and second.position == Position(step=1, attempt=1)
    assert chain.is_repeat(second.position) and not chain.is_repeat(entered.position)
    third = chain.climb(repeating, second.position, now=at(120))
    assert third is not None and third.position == Position(step=1, attempt=2)
    # And the third time is the last: no further climb is planned
    assert third.timers.next_action_at is None and third.timers.reminder_at == at(120 + 22.5)
    assert chain.climb(repeating, third.position, now=at(150)) is None


def test_a_chain_of_nothing_but_repeats_reaches_the_heads():
    only_repeats = chain.chain_start(terms=terms((chain.REPEAT_LAST, 60), (chain.REPEAT_LAST, 60)), crisis_level=0)
    assert chain.notified_step(only_repeats, 1).kind == chain.NOTIFY_HEADS


def test_a_repeat_after_a_named_person_reaches_that_person_again():
    named = Step(order=0, kind="notify_user", wait_seconds=60, target_user_id=42)
    repeat = Step(order=1, kind=chain.REPEAT_LAST, wait_seconds=60)
    started = chain.chain_start(terms=terms(**{"steps": (named, repeat)}), crisis_level=0)
    assert chain.notified_step(started, 1) == named


# --- re-notification ----------------------------------------------------------------------------


def test_a_failed_send_is_tried_again_later_and_later_then_given_up():
    # Each failure waits four times longer than the last, never more than half an hour
    assert [chain.notification_retry_delay(tries) for tries in range(1, 6)] == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=8),
        timedelta(minutes=30),
        timedelta(minutes=30),
    ]
    assert chain.notification_retry_at(tries=1, now=T0) == at(30)
    assert chain.notification_retry_at(tries=chain.NOTIFY_MAX_TRIES - 1, now=T0) == at(1800)
    # After the fifth try the message stays failed, in sight, with no retry planned
    assert chain.notification_retry_at(tries=chain.NOTIFY_MAX_TRIES, now=T0) is None


def test_the_sweep_repairs_only_steps_whose_worker_has_had_its_grace():
    window = chain.repair_window(now=at(3600), grace_seconds=60)
    # A step recorded within the last minute is still in its worker's hands
    assert window.recorded_before == at(3540)
    # One recorded more than a day ago is history, not a repair
    assert window.recorded_after == at(3600) - timedelta(hours=24)
