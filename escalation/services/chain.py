"""The escalation chain as plain values: which step is due, who it reaches, when it climbs next.

Pure on purpose: dataclasses and datetimes in, dataclasses and datetimes out, no ORM, no models,
no database. The services read rows, ask these functions what to do, and write the answer; the
decisions themselves are unit-tested without a database (`tests/escalation/test_chain.py`).

A request carries its chain as a JSON snapshot (`EscalationRequest.policy_snapshot`), taken when
it is raised so that later edits to the policy do not change a request in flight; `Chain` reads
and writes that snapshot in the same shape as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

# Step kinds, spelt as `escalation.models.StepKind` stores them (a test holds the two together);
# repeated here as strings so that this module needs no model.
NOTIFY_DEPARTMENT_OWNER = "notify_department_owner"
NOTIFY_HEADS = "notify_heads"
NOTIFY_WHOLE_DEPARTMENT = "notify_whole_department"
NOTIFY_ROLE_DIRECTORS = "notify_role_directors"
NOTIFY_DIRECTOR_GENERAL = "notify_director_general"
REPEAT_LAST = "repeat_last"

BUILTIN_NAME = "built-in"
BUILTIN_MAX_REPEATS = 3
BUILTIN_ANSWER_WITHIN_SECONDS = 3600

# A message whose send failed is tried again with backoff, this many tries in all; then it stays failed.
NOTIFY_MAX_TRIES = 5
NOTIFY_FIRST_RETRY_SECONDS = 30
NOTIFY_MAX_RETRY_SECONDS = 1800
# A step's messages are queued after commit; if the worker dies before the task runs, the sweeper
# queues them again once the grace has passed, for steps recorded within this window.
NOTIFY_REPAIR_WINDOW = timedelta(hours=24)
# An acknowledgement promises an answer within this much time at most.
PROMISE_MAX_AHEAD = timedelta(days=7)


@dataclass(frozen=True)
class Step:
    """One rung: whom to tell (`kind`, and a person for the kinds that name one) and how long to wait."""

    order: int
    kind: str
    wait_seconds: float
    target_user_id: int | None = None


# The chain when no policy exists at all: owner → heads → area directors → director general.
BUILTIN_STEPS: tuple[Step, ...] = (
    Step(order=0, kind=NOTIFY_DEPARTMENT_OWNER, wait_seconds=900),
    Step(order=1, kind=NOTIFY_HEADS, wait_seconds=900),
    Step(order=2, kind=NOTIFY_ROLE_DIRECTORS, wait_seconds=1800),
    Step(order=3, kind=NOTIFY_DIRECTOR_GENERAL, wait_seconds=1800),
)


@dataclass(frozen=True)
class PolicyTerms:
    """A policy as plain values, read from its row (or the built-in defaults) by the services."""

    policy_id: int | None
    name: str
    steps: tuple[Step, ...]
    level_factors: Mapping[str, float]
    reminder_fraction: float
    max_repeats: int
    answer_within_seconds: int


@dataclass(frozen=True)
class Chain:
    """The policy as one request follows it: its steps and the crisis level's timing factor applied."""

    policy_id: int | None
    name: str
    steps: tuple[Step, ...]
    crisis_level: int
    factor: float
    reminder_fraction: float
    max_repeats: int
    answer_within_seconds: int

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> Chain:
        return cls(
            policy_id=snapshot["policy_id"],
            name=snapshot["name"],
            steps=tuple(
                Step(
                    order=step["order"],
                    kind=step["kind"],
                    wait_seconds=step["wait_seconds"],
                    target_user_id=step.get("target_user_id"),
                )
                for step in snapshot["steps"]
            ),
            crisis_level=snapshot["crisis_level"],
            factor=snapshot["factor"],
            reminder_fraction=snapshot["reminder_fraction"],
            max_repeats=snapshot["max_repeats"],
            answer_within_seconds=snapshot["answer_within_seconds"],
        )

    def snapshot(self) -> dict[str, Any]:
        """The JSON stored on the request."""
        return {
            "policy_id": self.policy_id,
            "name": self.name,
            "steps": [
                {
                    "order": step.order,
                    "kind": step.kind,
                    "target_user_id": step.target_user_id,
                    "wait_seconds": step.wait_seconds,
                }
                for step in self.steps
            ],
            "crisis_level": self.crisis_level,
            "factor": self.factor,
            "reminder_fraction": self.reminder_fraction,
            "max_repeats": self.max_repeats,
            "answer_within_seconds": self.answer_within_seconds,
        }


@dataclass(frozen=True)
class Position:
    """Where a request stands: the step, and for a repeating last step which repeat (0 = first time)."""

    step: int
    attempt: int = 0


@dataclass(frozen=True)
class Timers:
    """When the chain climbs next (None on the last step) and when the step's reminder falls due."""

    next_action_at: datetime | None
    reminder_at: datetime | None


@dataclass(frozen=True)
class Climb:
    """The decision of a sweep: go to `position`, with these timers."""

    position: Position
    timers: Timers


def chain_start(*, terms: PolicyTerms, crisis_level: int) -> Chain:
    """The chain a new request follows: the policy's steps in order (the built-in ones if it has none),
    its waits scaled by the crisis level's factor (1 for a level the policy does not name)."""
    steps = tuple(sorted(terms.steps, key=lambda step: step.order)) or BUILTIN_STEPS
    return Chain(
        policy_id=terms.policy_id,
        name=terms.name,
        steps=tuple(replace(step, kind=str(step.kind)) for step in steps),
        crisis_level=crisis_level,
        factor=float(terms.level_factors.get(str(crisis_level), 1.0)),
        reminder_fraction=terms.reminder_fraction,
        max_repeats=max(1, terms.max_repeats),
        answer_within_seconds=terms.answer_within_seconds,
    )


def answer_deadline(chain: Chain, *, now: datetime) -> datetime:
    """The deadline of a request raised `now` without one of its own."""
    return now + timedelta(seconds=chain.answer_within_seconds * chain.factor)


def step_wait(chain: Chain, step_index: int) -> timedelta:
    """How long a step waits for an acknowledgement, scaled by the crisis level; never negative."""
    return timedelta(seconds=max(0.0, chain.steps[step_index].wait_seconds * chain.factor))


def next_position(chain: Chain, position: Position) -> Position | None:
    """Where the chain goes after `position`: the next step, another repeat of a final
    `repeat_last`, or nowhere (the last step, or the repeats used up)."""
    if position.step + 1 < len(chain.steps):
        return Position(step=position.step + 1)
    if chain.steps[position.step].kind == REPEAT_LAST and position.attempt + 1 < chain.max_repeats:
        return Position(step=position.step, attempt=position.attempt + 1)
    return None


def step_timers(chain: Chain, position: Position, *, start: datetime) -> Timers:
    """The timers of a step entered at `start`: a reminder at the policy's fraction of its wait
    (none for a step that does not wait), and the next climb when the wait is over, unless
    there is nowhere left to climb."""
    wait = step_wait(chain, position.step)
    reminder_at = start + wait * chain.reminder_fraction if wait else None
    if next_position(chain, position) is None:
        return Timers(next_action_at=None, reminder_at=reminder_at)
    return Timers(next_action_at=start + wait, reminder_at=reminder_at)


def climb(chain: Chain, position: Position, *, now: datetime) -> Climb | None:
    """What a sweep does to a request whose wait is over: climb to the next position, or None
    when the chain has run out (the request then just waits for its deadline)."""
    target = next_position(chain, position)
    if target is None:
        return None
    return Climb(position=target, timers=step_timers(chain, target, start=now))


def promise_missed(chain: Chain, position: Position, *, now: datetime) -> Climb:
    """What a sweep does to a request whose promised answer time has passed: climb to the next
    position, or, with nowhere left to climb, tell the same step again (one more attempt), so a
    missed promise always reaches someone."""
    target = next_position(chain, position) or Position(step=position.step, attempt=position.attempt + 1)
    return Climb(position=target, timers=step_timers(chain, target, start=now))


def promise_window_ok(*, promised_at: datetime, now: datetime) -> str:
    """Why an answer-by time is refused ("past", "far"), or "" when it is acceptable."""
    if promised_at <= now:
        return "past"
    if promised_at > now + PROMISE_MAX_AHEAD:
        return "far"
    return ""


def notified_step(chain: Chain, step_index: int) -> Step:
    """The step whose people are told at `step_index`: a `repeat_last` step reaches whoever the
    nearest earlier real step reached; a chain of nothing but repeats reaches the heads."""
    index = step_index
    while index > 0 and chain.steps[index].kind == REPEAT_LAST:
        index -= 1
    step = chain.steps[index]
    if step.kind == REPEAT_LAST:
        return replace(step, kind=NOTIFY_HEADS)
    return step


def is_repeat(position: Position) -> bool:
    """A message for a repeat of a step is a reminder of the first one."""
    return position.attempt > 0


def notification_retry_delay(tries: int) -> timedelta:
    """Wait after the given number of failed tries: 30 s × 4ⁿ⁻¹, at most 30 minutes."""
    return timedelta(seconds=min(NOTIFY_MAX_RETRY_SECONDS, NOTIFY_FIRST_RETRY_SECONDS * 4 ** max(0, tries - 1)))


def notification_retry_at(*, tries: int, now: datetime) -> datetime | None:
    """When a message whose `tries`-th send just failed is tried again; None once it has had all its tries."""
    if tries >= NOTIFY_MAX_TRIES:
        return None
    return now + notification_retry_delay(tries)


@dataclass(frozen=True)
class RepairWindow:
    """The steps a sweep re-sends: recorded after `recorded_after` (older ones are history, not a
    repair) and before `recorded_before` (younger ones are still in their worker's hands)."""

    recorded_after: datetime
    recorded_before: datetime


def repair_window(*, now: datetime, grace_seconds: float) -> RepairWindow:
    """The window of steps and claims a sweep at `now` treats as lost, given the send grace."""
    return RepairWindow(
        recorded_after=now - NOTIFY_REPAIR_WINDOW, recorded_before=now - timedelta(seconds=grace_seconds)
    )
