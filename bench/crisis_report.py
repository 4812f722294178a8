"""The crisis benchmark's figures: printed, charted (PNG) and written as JSON; the targets decide the exit status."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from bench import common
from bench.crisis_chart import chart_write, sparkline
from bench.crisis_fixtures import TEAM_DIRECTORS, TEAM_MANAGERS
from bench.crisis_observe import queue_verdicts
from bench.crisis_sockets import TIMED_CONSOLES
from bench.crisis_team import DASHBOARD, INBOX

VISIBLE_P99_MS = 2000.0
PUSH_P99_MS = 100.0
INBOX_P95_MS = 50.0


def figures(values: list[float]) -> dict[str, float]:
    """Percentiles in milliseconds of durations in seconds."""
    if not values:
        return {"n": 0}
    ms = [value * 1000 for value in values]
    return {
        "n": len(ms),
        "p50": round(statistics.median(ms), 1),
        "p95": round(common.percentile(ms, 0.95), 1),
        "p99": round(common.percentile(ms, 0.99), 1),
        "max": round(max(ms), 1),
    }


def _text(found: dict[str, float]) -> str:
    if not found.get("n"):
        return "n=0 (no samples)"
    return (f"n={found['n']} p50={found['p50']:.1f}ms p95={found['p95']:.1f}ms p99={found['p99']:.1f}ms "
            f"max={found['max']:.1f}ms")


def per_second(pairs: list[list[float]], fraction: float) -> list[tuple[float, float]]:
    """(second into the run, the `fraction` percentile in ms of what happened in that second)."""
    buckets: dict[int, list[float]] = {}
    for moment, value in pairs:
        buckets.setdefault(int(moment), []).append(value * 1000)
    return [(second + 0.5, common.percentile(values, fraction)) for second, values in sorted(buckets.items())]


def pushes(team: dict[str, Any], sockets: dict[str, Any], start_at: float) -> dict[str, Any]:
    """Raise → the designated head's socket, answer → the raiser's socket; events that never came."""
    arrivals = sockets.get("arrivals", {"created": {}, "answered": {}})
    created, answered, missing = [], [], Counter()
    for request_id, raised in team.get("raised", {}).items():
        arrived = arrivals["created"].get(request_id)
        if arrived is None:
            missing["escalation.created never reached the department's designated head"] += 1
        else:
            created.append((raised["sent"] - start_at, arrived - raised["sent"]))
        if raised.get("answered"):
            arrived = arrivals["answered"].get(f"{request_id}:{raised['by']}")
            if arrived is None:
                missing["escalation.answered never reached the raiser's console"] += 1
            else:
                answered.append((raised["answer_sent"] - start_at, arrived - raised["answer_sent"]))
    return {"created": created, "answered": answered, "missing": missing}


def errors_count(outcome: dict[str, Any], push: dict[str, Any], args) -> Counter[str]:
    """Every error of the run: the load processes' own, and what the end-of-run checks found missing."""
    errors: Counter[str] = Counter()
    for part in ("intake", "team", "sockets"):
        errors.update(outcome[part].get("errors", {}))
    errors.update(push["missing"])
    sockets, intake = outcome["sockets"], outcome["intake"]
    accepted = intake.get("accepted_mentions", 0)
    if sockets.get("mention_events_missing"):
        errors["mention.new events missing on inbox consoles"] += sockets["mention_events_missing"]
    if outcome["stored"] < accepted:
        errors["accepted mentions not stored by the end of the drain"] += accepted - outcome["stored"]
    for announced in sockets.get("mentions_announced_by_team_console", {}).values():
        if announced < outcome["stored"]:
            errors["stored mentions never announced on a team console (mention × console)"] += (
                outcome["stored"] - announced
            )
    if sockets.get("opened", 0) < args.sockets:
        errors["consoles that never opened"] += args.sockets - sockets.get("opened", 0)
    if outcome["drain_seconds"] is None:
        errors[f"the intake was still not ingested {args.drain:.0f}s after the load"] += 1
    return errors


def _print_paths(paths: dict[str, list], visible: dict, push: dict[str, Any]) -> dict[str, dict]:
    by_path = {label: figures([value for _, value in pairs]) for label, pairs in sorted(paths.items())}
    print(f"crisis posted on the platform → visible in the inbox (mention.new on {TIMED_CONSOLES} of the team's "
          f"{TEAM_MANAGERS + TEAM_DIRECTORS} consoles, every mention): {_text(visible)} (target p99 < 2000 ms)")
    created = figures([value for _, value in push["created"]])
    answered = figures([value for _, value in push["answered"]])
    print(f"crisis push latency POST /api/escalations/ → designated head's socket: {_text(created)} "
          "(target p99 < 100 ms)")
    print(f"crisis push latency POST /api/escalations/<id>/answer/ → raiser's socket: {_text(answered)}")
    for label, found in by_path.items():
        target = " (target p95 < 50 ms)" if label == INBOX else ""
        print(f"crisis path {label}: {_text(found)}{target}")
    return {"visible": visible, "push_created": created, "push_answered": answered, "paths": by_path}


def _print_queues(samples, seconds: float) -> list[dict[str, Any]]:
    verdicts = queue_verdicts(samples, seconds=seconds)
    for verdict in verdicts:
        line = sparkline(samples.queues[verdict["queue"]])
        print(f"crisis queue {verdict['queue']}: start {verdict['start']} max {verdict['max']} end {verdict['end']}, "
              f"slope over the last half {verdict['slope_last_half_per_s']:+.2f}/s "
              f"{'GROWS' if verdict['grows'] else 'bounded'} {line}")
    return verdicts


def _print_processes(samples) -> dict[str, dict[str, float]]:
    found = {}
    for label, shares in samples.cpu.items():
        rss = samples.rss[label]
        found[label] = {
            "cpu_seconds": round(samples.cpu_seconds.get(label, 0.0), 1),
            "cpu_mean_share": round(statistics.fmean(shares), 2),
            "cpu_max_share": round(max(shares), 2),
            "rss_start_mb": rss[0],
            "rss_max_mb": max(rss),
            "rss_end_mb": rss[-1],
        }
        f = found[label]
        shared = " (each backend's RSS counts the shared buffers it touched)" if label.startswith("postgres") else ""
        print(f"crisis process {label}: CPU {f['cpu_seconds']:.1f}s (mean {f['cpu_mean_share']:.0%} of a core, "
              f"max {f['cpu_max_share']:.0%}), RSS start {f['rss_start_mb']:.0f} MB, max {f['rss_max_mb']:.0f} MB, "
              f"end {f['rss_end_mb']:.0f} MB{shared}")
    return found


def _chart(outcome: dict[str, Any], push: dict[str, Any], args, out: Path) -> None:
    samples = outcome["samples"]
    queues = {name: list(zip(samples.times, values, strict=True)) for name, values in samples.queues.items()
              if max(values, default=0) > 0}
    paths = {**outcome["intake"].get("paths", {}), **outcome["team"].get("paths", {})}
    latencies = {
        "posted -> visible, p99": per_second(outcome["sockets"].get("visible", []), 0.99),
        "inbox page, p95": per_second(paths.get(INBOX, []), 0.95),
        "dashboard data, p95": per_second(paths.get(DASHBOARD, []), 0.95),
        "webhook intake, p95": per_second(next((v for k, v in paths.items() if k.startswith("POST /hooks")), []), 0.95),
        "push raise -> head (each)": sorted((moment, value * 1000) for moment, value in push["created"]),
    }
    title = (f"bench/crisis.py: {args.rate:g} mentions/s for {args.seconds:g} s, {args.sockets} sockets; "
             f"{common.cpu_model()}, {common.psutil.cpu_count()} cores")
    chart_write(out, queues=queues, latencies={k: v for k, v in latencies.items() if v}, seconds=args.seconds,
                targets={"visible p99 < 2 s": VISIBLE_P99_MS, "push p99 < 100 ms": PUSH_P99_MS,
                         "inbox p95 < 50 ms": INBOX_P95_MS}, title=title)


def report_print(outcome: dict[str, Any], *, args) -> list[str]:
    """Print every figure, write the PNG and the JSON; return the targets missed."""
    sockets, intake, team = outcome["sockets"], outcome["intake"], outcome["team"]
    push = pushes(team, sockets, outcome["start_at"])
    drain = (f"{outcome['drain_seconds']}s after the load" if outcome["drain_seconds"] is not None
             else f"not within {args.drain:.0f}s after the load")
    print(f"crisis load: {args.rate:g} mentions/s for {args.seconds:g} s in signed deliveries of {args.batch} to "
          f"/hooks/meta/<channel>/: {intake.get('posted', 0)} posted, {intake.get('accepted_mentions', 0)} accepted, "
          f"{outcome['stored']} stored; {sockets.get('opened', 0)} of {args.sockets} consoles open "
          f"(in {sockets.get('connect_seconds', 0)}s); {TEAM_MANAGERS} community managers, {TEAM_DIRECTORS} directors; "
          f"{len(team.get('raised', {}))} escalations raised; {outcome.get('graph_posts', 0)} replies reached the "
          f"platform; the queues drained {drain}", flush=True)
    print(f"crisis consoles: mention.new events per inbox console min {sockets.get('mention_events_min', 0)} "
          f"max {sockets.get('mention_events_max', 0)} over {sockets.get('inbox_sockets', 0)} consoles; "
          f"other events {dict(sorted(sockets.get('deliveries', {}).items()))}")
    visible = figures([value for _, value in sockets.get("visible", [])])
    found = _print_paths({**intake.get("paths", {}), **team.get("paths", {})}, visible, push)
    errors = errors_count(outcome, push, args)
    refusals = Counter(team.get("refusals", {}))
    print(f"crisis errors: {errors.total()} (target 0){''.join(f'; {n} × {m}' for m, n in errors.most_common(10))}")
    print(f"crisis refusals (a 400 with the service's reason, not errors): {refusals.total()}"
          f"{''.join(f'; {n} × {m}' for m, n in refusals.most_common(5))}")
    verdicts = _print_queues(outcome["samples"], args.seconds)
    processes = _print_processes(outcome["samples"])
    args.out.mkdir(parents=True, exist_ok=True)
    _chart(outcome, push, args, args.out / "crisis.png")
    failures = _failures(found, errors, verdicts, targets=args.targets)
    report = {"machine": common.machine(), "arguments": {k: str(v) for k, v in vars(args).items()}, **found,
              "errors": dict(errors), "refusals": dict(refusals), "queues": verdicts, "processes": processes,
              "queue_series": {"times": outcome["samples"].times, **outcome["samples"].queues},
              "failures": failures}
    (args.out / "crisis-report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"crisis chart: {args.out / 'crisis.png'}; figures: {args.out / 'crisis-report.json'}")
    print(f"crisis targets: {'all met' if not failures else 'MISSED: ' + '; '.join(failures)}", flush=True)
    return failures


def _failures(found: dict[str, Any], errors: Counter[str], verdicts: list[dict[str, Any]], *,
              targets: str) -> list[str]:
    failures = [f"{errors.total()} errors"] if errors else []
    if targets == "errors":
        return failures
    checks = [
        ("posted → visible p99", found["visible"], "p99", VISIBLE_P99_MS),
        ("push p99", found["push_created"], "p99", PUSH_P99_MS),
        ("inbox p95", found["paths"].get(INBOX, {"n": 0}), "p95", INBOX_P95_MS),
    ]
    for name, measured, key, limit in checks:
        if not measured.get("n"):
            failures.append(f"{name}: no samples")
        elif measured[key] >= limit:
            failures.append(f"{name} {measured[key]:.0f} ms ≥ {limit:.0f} ms")
    failures += [f"queue {verdict['queue']} grows" for verdict in verdicts if verdict["grows"]]
    return failures
