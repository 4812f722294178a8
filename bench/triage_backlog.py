"""The model tier's refine backlog in a spike: 500 mentions a minute for 10 minutes, time-compressed.

    python bench/triage_backlog.py [--quick] [--speed 10] [--per-minute 500] [--minutes 10]

In-process against a throw-away PostgreSQL database. What is real: ingestion (`mentions_ingest_batch`:
fast triage, the INSERT that marks each mention pending), the refine queue (`inbox/triage/backlog.py`:
shed over the bound, the SKIP LOCKED claim by priority, the lease), the refine service's reads and
writes, and the backlog selector the health page shows. What is simulated: the clock runs `--speed`
times faster (a simulated second is 1/speed real seconds: the feeder ingests each simulated second's
mentions, the model's sleep is divided by the same factor), and the model tier itself is a stand-in
that answers with the fast tier's labels after sleeping as long as a model reading N texts a second
would (`--model-rate`, whole tier). The beat's 5 s drain and the wake-up after each ingest are
replaced by the worker threads polling the queue. Mentions: bench/corpus.py's telecom day (about 40%
of them under priority 40). Each scenario prints the backlog every simulated 30 s, then its maximum,
the backlog when the feed stops, how long the rest took to drain, and how many mentions were shed.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.corpus import webhook_items  # noqa: E402

DATABASE = "crisisdesk_bench_triage_backlog"
PREFIX = "bench_triage_backlog"
UNBOUNDED = 10**9


@dataclass(frozen=True)
class Scenario:
    name: str
    model_rate: float
    bound: int
    floor: int = 40


@dataclass
class Outcome:
    samples: list[tuple[float, int, float, int, int]] = field(default_factory=list)
    at_feed_end: int = 0
    drain_seconds: float | None = None


class SimulatedModelTier:
    """Answers with the fast tier's labels as tier "model", taking as long as a model of `rate` texts/s."""

    name = "model"

    def __init__(self, *, rate: float, speed: float, workers: int) -> None:
        self.seconds_per_text = workers / (rate * speed)

    def available(self) -> bool:
        return True

    def triage_batch(self, inputs):
        from inbox.triage import fast_tier  # why: Django is set up only inside the benchmark database

        time.sleep(len(inputs) * self.seconds_per_text)
        results = fast_tier().triage_batch(inputs)
        for result in results:
            result.tier = "model"
        return results


def run(scenario: Scenario, *, options, items: list[dict], round_number: int) -> Outcome:
    # why: Django is set up only inside the benchmark database (bench.common.bench_database)
    from django.conf import settings
    from django.db import connection

    from inbox import services
    from inbox.models import Channel, Mention
    from inbox.triage import backlog, selectors
    from inbox.triage import services as triage_services

    settings.TRIAGE_REFINE_BACKLOG_MAX, settings.TRIAGE_REFINE_SHED_BELOW = scenario.bound, scenario.floor
    tier = SimulatedModelTier(rate=scenario.model_rate, speed=options.speed, workers=options.workers)
    backlog.model_tier = triage_services.model_tier = lambda: tier
    channel = Channel.objects.create(name=f"spike-{round_number}", kind="webhook", brand="Telco")
    feeding = threading.Event()
    feeding.set()
    done = threading.Event()

    def worker() -> None:
        try:
            while not done.is_set():
                if not backlog.mentions_refine_drain(seconds=2.0 / options.speed).claimed:
                    time.sleep(0.5 / options.speed)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(options.workers)]
    for thread in threads:
        thread.start()
    outcome = Outcome()
    per_second = options.per_minute / 60
    total_seconds = options.minutes * 60
    started = time.monotonic()
    total = int(per_second * total_seconds)
    fed, next_sample = 0, 0.0

    def sample(simulated: float) -> None:
        figures = selectors.triage_backlog()
        shed = Mention.objects.filter(channel=channel, triage_refine="shed").count()
        refined = Mention.objects.filter(channel=channel, triage_tier="model").count()
        wait = (figures.oldest_wait_seconds or 0.0) * options.speed
        outcome.samples.append((simulated, figures.pending, wait, shed, refined))
        print(
            f"  t={int(simulated) // 60:>2}:{int(simulated) % 60:02d}  pending {figures.pending:>5}  "
            f"oldest wait {wait:>6.0f} s  shed {shed:>5}  refined {refined:>5}",
            flush=True,
        )

    # The simulated clock is the real one times `speed`: a feeder that falls behind catches up in bigger
    # batches instead of slowing the simulated time (which would flatter the model's rate).
    while (simulated := (time.monotonic() - started) * options.speed) < total_seconds:
        due = min(total, int(per_second * simulated)) - fed
        if due > 0:
            services.mentions_ingest_batch(channel_id=channel.pk, items=items[fed : fed + due])
            fed += due
        if simulated >= next_sample:
            sample(simulated)
            next_sample += 30
        time.sleep(max(0.0, started + (int(simulated) + 1) / options.speed - time.monotonic()))
    if fed < total:
        services.mentions_ingest_batch(channel_id=channel.pk, items=items[fed:total])
    sample(total_seconds)
    outcome.at_feed_end = outcome.samples[-1][1]
    feed_end = time.monotonic()
    limit = feed_end + options.drain_limit * 60 / options.speed
    while time.monotonic() < limit and Mention.objects.filter(channel=channel, triage_refine="pending").exists():
        time.sleep(0.2)
    if not Mention.objects.filter(channel=channel, triage_refine="pending").exists():
        outcome.drain_seconds = (time.monotonic() - feed_end) * options.speed
    done.set()
    for thread in threads:
        thread.join(timeout=60)
    sample(total_seconds + (time.monotonic() - feed_end) * options.speed)
    # What did not drain in time must not count in the next scenario's backlog.
    Mention.objects.filter(channel=channel, triage_refine="pending").update(triage_refine="")
    return outcome


def summary(scenario: Scenario, outcome: Outcome, *, options) -> None:
    peak = max(outcome.samples[:-1], key=lambda row: row[1])
    waits = max(row[2] for row in outcome.samples[:-1])
    _, _, _, shed, refined = outcome.samples[-1]
    fed = options.per_minute * options.minutes
    drained = f"{outcome.drain_seconds:.0f} s" if outcome.drain_seconds is not None else "not within the limit"
    bound = "none" if scenario.bound >= UNBOUNDED else f"{scenario.bound:,}"
    print(
        f"{scenario.name}: model {scenario.model_rate:g} texts/s, bound {bound}, shed below priority "
        f"{scenario.floor}: max pending {peak[1]:,} (t={peak[0] / 60:.1f} min), pending when the feed stopped "
        f"{outcome.at_feed_end:,}, max oldest wait {waits:,.0f} s, rest drained in {drained}; "
        f"shed {shed:,} of {fed:,} ({shed / fed:.0%}), refined {refined:,}",
        flush=True,
    )


def main() -> None:
    parser = common.arguments(__doc__ or "")
    parser.add_argument("--speed", type=float, default=5.0, help="simulated seconds per real second")
    parser.add_argument("--per-minute", type=int, default=500)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="refine worker threads sharing the model rate")
    parser.add_argument("--slow-rate", type=float, default=6.0, help="a model slower than the input (texts/s)")
    parser.add_argument("--loaded-rate", type=float, default=22.0, help="the model at load 7 (texts/s, measured)")
    parser.add_argument("--bound", type=int, default=500)
    parser.add_argument("--drain-limit", type=float, default=30.0, help="simulated minutes to wait for the rest")
    options = parser.parse_args()
    if options.quick:
        options.minutes, options.speed, options.drain_limit = 2, 20.0, 5.0
    scenarios = [
        Scenario("slow model, no shedding", options.slow_rate, UNBOUNDED),
        Scenario("slow model, shedding", options.slow_rate, options.bound),
        Scenario("model at load 7, shedding", options.loaded_rate, options.bound),
    ]
    with common.exclusive(), common.bench_database(database=DATABASE, prefix=PREFIX, TRIAGE_MODEL_TIER="1"):
        from inbox.services import ingest  # why: Django is set up only inside the benchmark database

        ingest.refine_wake = lambda: None  # why: the worker threads poll the queue, as the beat's drain does
        common.print_load("before")
        items = webhook_items(count=options.per_minute * options.minutes, seed=11)
        outcomes = []
        for number, scenario in enumerate(scenarios):
            print(
                f"\n{scenario.name} ({options.per_minute} mentions/min for {options.minutes} min, "
                f"{options.speed:g}x time-compressed):",
                flush=True,
            )
            prefixed = [{**item, "id": f"s{number}-{item['id']}"} for item in items]
            outcomes.append(run(scenario, options=options, items=prefixed, round_number=number))
        common.print_load("after")
        print()
        for scenario, outcome in zip(scenarios, outcomes, strict=True):
            summary(scenario, outcome, options=options)
        common.print_machine()


if __name__ == "__main__":
    main()
