"""The benchmarks still run: each one's --quick mode, as a subprocess, prints its figures.

Nothing here asserts a speed; the figures themselves come from `make bench` on a quiet machine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(960)]


def _run(script: str, *extra: str) -> str:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick", *extra],
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


def test_crisis_benchmark_reports_every_path_queue_and_process(tmp_path):
    # given a small crisis run as docker-compose runs the product (web, worker and beat processes): a signed
    # webhook feed, consoles, the team working the inbox and escalations, smaller and shorter than --quick
    output = _run(
        "crisis.py", "--seconds", "10", "--rate", "50", "--sockets", "40", "--history", "240",
        "--model-tier", "off", "--targets", "errors", "--out", str(tmp_path),
    )
    # then every accepted mention was stored, and the latencies the issue names are printed
    accepted = re.search(r"(\d+) accepted, (\d+) stored", output)
    assert accepted and accepted.group(1) == accepted.group(2) and int(accepted.group(1)) > 0
    assert re.search(r"posted on the platform → visible in the inbox .*: n=[1-9]\d* p50=[\d.]+ms .*p99=", output)
    assert re.search(r"push latency POST /api/escalations/ → designated head's socket: n=\d+", output)
    assert re.search(r"crisis path GET /api/mentions/\?sort=priority \(inbox\): n=[1-9]\d* p50=.+p95=", output)
    assert re.search(r"crisis path POST /hooks/meta/<channel>/ \(signed intake\): n=[1-9]", output)
    assert "crisis errors: 0 (target 0)" in output
    # and every Celery queue's depth over time, and every process's CPU and RSS
    for queue in ("default", "ingest", "triage", "escalation", "notify"):
        assert re.search(rf"crisis queue redis: {queue}: start \d+ max \d+ end \d+, slope over the last half", output)
    for process in ("web", "worker", "beat", "postgres backends"):
        assert re.search(rf"crisis process {process}.*: CPU [\d.]+s .* RSS start \d+ MB", output)
    assert "load average at the start" in output and "load average at the end" in output
    # and the chart is a PNG beside the JSON figures
    with Image.open(tmp_path / "crisis.png") as chart:
        assert chart.format == "PNG" and chart.size[0] > 500
    assert json.loads((tmp_path / "crisis-report.json").read_text())["errors"] == {}


def test_asgi_servers_benchmark_compares_daphne_uvicorn_and_granian():
    # given the same app under each server in turn, when the quick comparison runs
    output = _run("asgi_servers.py", "--sockets", "20", "--seconds", "4", "--saturation-seconds", "3")
    # then each server has a row: the rate answered, sockets opened, pushes timed, saturation, and no error
    rows = {line.split()[1]: [cell.strip() for cell in line.strip("|").split("|")]
            for line in output.splitlines() if re.match(r"\| (daphne|uvicorn|granian) \d", line)}
    assert set(rows) == {"daphne", "uvicorn", "granian"}, output[-3000:]
    for cells in rows.values():
        assert cells[1].startswith("50 → ") and cells[4] == "20/20" and cells[-1] == "0"


def test_inbox_year_benchmark_reports_every_path_and_range_against_its_target():
    # given a small year of mentions loaded with COPY a month at a time, when the inbox and the dashboard are timed
    output = _run("inbox_year.py")
    # then each inbox path, the keyset pages, the clusters and every dashboard range have their percentiles
    assert re.search(r"loaded [\d,]+ mentions over 12 months in \d+s", output)
    assert re.search(r"\| work queue by priority \| < 50 ms \| \d+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|", output)
    for path in ("about to breach", "search all 'factura'", "clusters list", "(keyset)", "dashboard 7d"):
        assert path in output
    assert re.search(r"\| dashboard custom last 31 d \| < 300 ms \|", output)
    assert re.search(r"year inbox p95 \(all paths\): [\d.]+ ms; dashboard p95 \(all ranges\): [\d.]+ ms", output)
