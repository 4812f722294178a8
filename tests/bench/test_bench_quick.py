"""The benchmarks still run: each one's --quick mode, as a subprocess, prints its figures.

Nothing here asserts a speed; the figures themselves come from `make bench` on a quiet machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(960)]


def _run(script: str) -> str:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert re.search(r"machine: cpu=.+cores=\d+, ram=.+postgresql=\d+.+redis=\d", result.stdout)
    return result.stdout


def test_ingest_benchmark_reports_throughput_baseline_and_memory():
    # given the quick sizes, when the ingest benchmark runs through a real Celery worker
    output = _run("ingest.py")
    # then it prints the batched rate, the naive baseline, the speed-up and the worker's memory
    assert re.search(r"ingest batched: \d+ mentions stored in [\d.]+s = [\d,]+ mentions/s", output)
    assert re.search(r"ingest naive: \d+ mentions in [\d.]+s = [\d,]+ mentions/s", output)
    assert re.search(r"ingest speed-up: [\d.]+x", output)
    assert re.search(r"ingest worker RSS peak: total \d+ MB", output)
    # and every stored mention was announced live on the inbox group
    pushed = re.search(r"mention.new events covering (\d+) mentions \(expected (\d+)\)", output)
    assert pushed and pushed.group(1) == pushed.group(2)


def test_push_latency_benchmark_reports_percentiles():
    # given a few sockets of logged-in users, when escalations are raised through the API
    output = _run("push_latency.py")
    # then the head's socket received every one and the percentiles are printed
    assert re.search(r"push: \d+ websockets connected", output)
    assert " 0 events missed" in output
    assert re.search(r"push latency API→head socket: n=\d+ p50=[\d.]+ms p95=[\d.]+ms p99=[\d.]+ms", output)


def test_inbox_query_benchmark_reports_api_and_dashboard_at_two_sizes():
    # given two small data sets loaded with COPY, when the inbox API and the dashboard are timed
    output = _run("inbox_query.py")
    # then both sizes, the growth between them and the dashboard figures are printed
    assert re.search(r"inbox API p95: [\d.]+ ms at [\d,]+, [\d.]+ ms at [\d,]+", output)
    assert re.search(r"dashboard p95: [\d.]+ ms at [\d,]+", output)
    assert "growth" in output
    assert "search 'factura'" in output
