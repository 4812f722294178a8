"""Run every benchmark one after the other and print their figures (`make bench`, `make bench-quick`).

    python bench/run_all.py [--quick]

Each benchmark creates and drops its own database; a failing one does not stop the others, but
makes the exit status non-zero.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = ["ingest.py", "push_latency.py", "inbox_query.py"]
TIME_LIMIT = {"quick": 120, "full": 600}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes for CI smoke runs")
    args = parser.parse_args()
    failures = 0
    for script in SCRIPTS:
        command = [sys.executable, str(BENCH / script)] + (["--quick"] if args.quick else [])
        print(f"== {script}{' --quick' if args.quick else ''}", flush=True)
        started = time.monotonic()
        try:
            result = subprocess.run(command, timeout=TIME_LIMIT["quick" if args.quick else "full"])
            failures += result.returncode != 0
        except subprocess.TimeoutExpired:
            print(f"== {script} exceeded its time limit", flush=True)
            failures += 1
        print(f"== {script} took {time.monotonic() - started:.0f}s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
