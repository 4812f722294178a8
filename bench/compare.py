"""Run the benchmarks on two commits in the same session and print each figure's ratio (`make bench-compare`).

    python bench/compare.py [--base HEAD~1] [--rounds 3] [--quick] [--only ingest.py ...]

A change is "within noise" only if the two commits are measured on the same machine under the same
load, so both run here, interleaved (head, base, base, head, …) to spread the drift of a shared
machine over both. The base commit is checked out into a throw-away git worktree and run with this
same Python environment, so that only the code differs.

Figures are read from the benchmarks' own output: a line's text with its numbers masked is its key,
and each number on it is a figure. Only lines both commits print are compared; the table gives the
median of the rounds for each commit and head ÷ base (for times < 1 is faster, for rates > 1 is).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["ingest.py", "push_latency.py", "inbox_query.py"]
# Sizes big enough to measure steady state, small enough that two commits × rounds fit in minutes.
DEFAULT_ARGS = {
    "ingest.py": ["--mentions", "20000", "--naive", "1000"],
    "push_latency.py": ["--sockets", "300", "--requests", "100"],
    "inbox_query.py": ["--small", "20000", "--large", "100000", "--repeats", "20"],
}
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?")
# Lines whose numbers are figures (times, rates, sizes), not settings echoed back.
FIGURE_LINE = re.compile(r"\b(ms|µs|mentions/s|MB|p50|p95|p99)\b")
LABEL = re.compile(r"([A-Za-zµ/][\w/µ]*)[=:\s]*$")


def figures(output: str) -> dict[tuple[str, int], tuple[str, float]]:
    """Every number on every figure line: keyed by the line with numbers masked and the number's place,
    labelled by the word before it (`p50`, `max`, …)."""
    found: dict[tuple[str, int], tuple[str, float]] = {}
    for line in output.splitlines():
        text = line.strip()
        if not FIGURE_LINE.search(text):
            continue
        key = NUMBER.sub("#", text)
        for place, match in enumerate(NUMBER.finditer(text)):
            before = LABEL.search(text[: match.start()])
            label = before.group(1) if before else f"#{place + 1}"
            found[(key, place)] = (label, float(match.group().replace(",", "")))
    return found


# The venv installs the project in editable mode from ROOT: its import finder would hand the base tree
# any module the base lacks (Django's template-tag discovery finds them) from the head's code. Python
# imports `sitecustomize` from PYTHONPATH at start-up, which the benchmarks set to their own tree.
ISOLATE = """import sys
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
"""


def run_script(tree: Path, script: str, args: list[str]) -> str:
    command = [sys.executable, str(tree / "bench" / script), *args]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-2000:] + result.stderr[-4000:])
        raise SystemExit(f"{script} failed on {tree}")
    return result.stdout


def revision(rev: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def report(script: str, head: list[dict], base: list[dict]) -> None:
    """Medians per commit and their ratio, for the figures that vary (echoed sizes and counts do not)."""
    keys = [key for key in head[0] if all(key in run for run in head + base)]
    by_line: dict[str, list[str]] = defaultdict(list)
    ratios = []
    for key in keys:
        values = [run[key][1] for run in head + base]
        if len(set(values)) == 1:
            continue
        head_median = statistics.median(run[key][1] for run in head)
        base_median = statistics.median(run[key][1] for run in base)
        ratio = head_median / base_median if base_median else float("nan")
        if base_median > 0 and head_median > 0:
            ratios.append(ratio)
        by_line[key[0]].append(f"{head[0][key][0]} {head_median:g} vs {base_median:g} (x{ratio:.2f})")
    print(f"\n== {script}: median of {len(head)} rounds, head vs base (ratio head / base)")
    for line, cells in by_line.items():
        print(f"  {line}\n      " + "; ".join(cells))
    if ratios:
        spread = statistics.geometric_mean(ratios)
        print(f"  geometric mean of the {len(ratios)} ratios: x{spread:.3f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="HEAD~1", help="the commit to compare with (default: the previous one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="the benchmarks' tiny CI sizes")
    parser.add_argument("--only", nargs="*", default=SCRIPTS, choices=SCRIPTS)
    args = parser.parse_args()
    base_rev = revision(args.base)
    print(f"head: working tree at {revision('HEAD')} (+ uncommitted changes, if any); base: {base_rev}", flush=True)
    with tempfile.TemporaryDirectory(prefix="crisisdesk-bench-base-") as scratch:
        base_tree = Path(scratch) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base_tree), base_rev], cwd=ROOT, check=True,
                       capture_output=True)
        (base_tree / "sitecustomize.py").write_text(ISOLATE)
        try:
            for script in args.only:
                script_args = ["--quick"] if args.quick else DEFAULT_ARGS[script]
                runs: dict[str, list[dict]] = {"head": [], "base": []}
                for round_number in range(args.rounds):
                    order = ["head", "base"] if round_number % 2 == 0 else ["base", "head"]
                    for side in order:
                        tree = ROOT if side == "head" else base_tree
                        print(f"== {script} round {round_number + 1}/{args.rounds}: {side}", flush=True)
                        runs[side].append(figures(run_script(tree, script, script_args)))
                report(script, runs["head"], runs["base"])
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
