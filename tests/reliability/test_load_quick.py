"""`bench/load.py --quick` (50 websockets, 20 API requests/s, 10 s, 2+ web processes) has zero errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.timeout(600)]


def test_the_quick_load_run_has_zero_errors_and_reports_latencies(tmp_path):
    report_path = tmp_path / "load.json"
    completed = subprocess.run(
        [sys.executable, "bench/load.py", "--quick", "--json", str(report_path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["errors"] == 0, report["error_samples"]
    assert report["sockets_opened"] == 50
    # served the production way: several web processes sharing the Redis channel layer, each socket
    # receiving every event whichever process it landed on, within the pools' bound on connections
    assert report["web_processes"] >= 2
    assert report["database_connections_max"] <= report["web_processes"] * report["database_pool_per_process"] + 1
    assert report["api_requests"] >= 190  # 20/s for 10 s, open loop
    assert report["event_deliveries"] == report["events_published"] * 50 > 0
    for part in ("api_latency", "event_delivery_latency", "socket_connect_latency"):
        assert {"p50_ms", "p95_ms", "p99_ms"} <= set(report[part])
