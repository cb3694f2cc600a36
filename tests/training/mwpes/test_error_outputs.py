"""What the error analysis writes: assignments rows with source_id / first_error_step / error_type / evidence, one
category per identical analysis, names without "Step k" noise, the clustered export and its card."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowbench.cli import main
from knowbench.training.mwpes.analyzers import StepCheckAnalyzer, embedding_text, pattern_text
from knowbench.training.mwpes.checks import ERROR_TYPES
from knowbench.training.mwpes.pipeline import ErrorClusterPipeline, share_identical
from knowbench.training.mwpes.runs import records_from_result
from knowbench.training.mwpes.samples import ErrorSample

MR = "mwp_solutions/mr_gsm8k_wrong_dev.jsonl"


def _mr_samples(shared_data: Path) -> list[ErrorSample]:
    from knowbench.datasets_src.mwpes.formats import read_solutions

    return [ErrorSample(f"mr/{r.source_id}", r.question, r.reference, r.gold_answer, r.solution, "", r.model,
                        extra={"source_id": r.source_id}) for r in read_solutions("mr-gsm8k", shared_data / MR)]


def test_identical_texts_share_one_category() -> None:
    labels = share_identical(["a", "b", "a", "a", "c"], np.array([3, 1, -1, 2, 0]))
    assert labels[0] == labels[2] == labels[3] and labels[1] == 1 and labels[4] == 0


def test_embedding_text_drops_step_numbers_and_numbers() -> None:
    first = embedding_text("operator_error", "step 2 computes 16+7 = 23, a value the reference never reaches")
    second = embedding_text("operator_error", "step 5 computes 3+40 = 43, a value the reference never reaches")
    assert first == second and "step" not in first.lower() and "operator error" in first


def test_patterns_name_the_arithmetic_by_its_operations() -> None:
    """Expressions of any length read as the operations they use, so one kind of slip is one pattern; the reference
    part in parentheses (which may hold parentheses itself) is dropped."""
    long = pattern_text("confusing_formula_error", "step 1 computes 2 + 2 = 4; 2+2+1+1 where the reference "
                                                   "computes 2*1 (reference: 2*(1) = 2)")
    short = pattern_text("confusing_formula_error", "step 3 computes 5 + 5 = 10; 5+5 where the reference "
                                                    "computes 5*5 (reference: 5*5 = 25)")
    assert long == short == "confusing formula error: a sum where the reference computes a product"
    mixed = pattern_text("calculation_error", "step 2 states 3+4*2 = 12, but 3+4*2 = 11")
    assert mixed == "calculation error: states a sum and product = N, but a sum and product = N"
    skipped = pattern_text("missing_step", "step 2 computes 6/2 = 3; 6/2 is the reference's 4/2 without first "
                                           "computing 6-2 = 4")
    assert skipped == "missing step: a quotient is the reference's quotient without first computing a difference = N"
    left_out = pattern_text("missing_step", "step 2 computes 9*2 = 18; the solution leaves out the reference's step 1 "
                                            "(She eats (3+4) = 7 eggs)")
    assert left_out == "missing step: the solution leaves out the reference's step"


def test_embedded_text_is_the_kind_of_mistake_without_its_specifics() -> None:
    """Which operations a slip is in and which operator was taken for which are the instance's, like its numbers:
    the embedded texts of one kind of mistake are one text (one category), and the patterns keep them apart."""
    slips = [("calculation_error", "step 2 states 3+4*2 = 12, but 3+4*2 = 11"),
             ("calculation_error", "step 4 states 6/4 = 2, but 6/4 = 1.5")]
    swaps = [("operator_error", "step 1 computes 8*2 = 16; '*' where the reference has '/'"),
             ("operator_error", "step 3 computes 5-1 = 4; '-' where the reference has '+'")]
    formulas = [("confusing_formula_error", "step 1 computes 2 + 2 = 4; 2+2+1+1 where the reference computes 2*1"),
                ("confusing_formula_error", "step 2 computes 3*3 = 9; 3*3 where the reference computes 3+3+3")]
    for group, text in ((slips, "calculation error: states a computation = N, but a computation = N"),
                        (swaps, "operator error: an operator where the reference has another"),
                        (formulas, "confusing formula error: a computation where the reference computes another")):
        assert {embedding_text(*case) for case in group} == {text}
        assert len({pattern_text(*case) for case in group}) == 2
    kept = embedding_text("missing_step", "step 2 computes 6/2 = 3; 6/2 is the reference's 4/2 without first "
                                          "computing 6-2 = 4")
    assert kept == "missing step: a computation is the reference's computation without first computing a computation = N"


def test_records_carry_the_analysis(shared_data: Path) -> None:
    from knowbench.training.mwpes.embedders import PrecomputedEmbedder

    samples = _mr_samples(shared_data)[:80]
    analyses = StepCheckAnalyzer().analyze(samples)
    texts = sorted({a.text for a in analyses})
    vectors = {t: np.eye(len(texts), dtype=np.float32)[i] for i, t in enumerate(texts)}  # one direction per text
    pipeline = ErrorClusterPipeline(embedder=PrecomputedEmbedder(vectors), clusterer="kmeans",
                                    component_options={"clusterer": {"n_clusters": 6}})
    result = pipeline.fit(samples)
    records = records_from_result(result)
    for record, sample, analysis in zip(records, samples, analyses, strict=True):
        assert record["source_id"] == sample.extra["source_id"]
        assert record["first_error_step"] == analysis.step and record["error_type"] == analysis.kind
        assert record["error_type"] in ERROR_TYPES and record["evidence"]
    by_text: dict[str, set[int]] = {}
    for record in records:
        by_text.setdefault(record["text"], set()).add(record["category"])
    assert all(len(c) == 1 for c in by_text.values())
    for category in result.taxonomy.categories:
        assert "step" not in category.name.lower().split(), category.name


@pytest.mark.slow
def test_done_when_commands(shared_data: Path, tmp_path: Path) -> None:
    """The issue's commands: ingest mwpes -> build mwpes -> cluster mwpes -> cluster export (MR-GSM8K and EIC)."""
    run, data, tree = tmp_path / "R", tmp_path / "D", tmp_path / "T"
    assert main(["ingest", "mwpes", "--solutions", str(shared_data / MR), "--format", "mr-gsm8k", "--out", str(run)]) == 0
    assert main(["build", "mwpes", "--runs", str(run), "--out", str(data)]) == 0
    assert main(["cluster", "mwpes", "--data", str(data), "--out", str(tree), "--no-plots",
                 "--cache", str(tmp_path / "cache")]) == 0
    rows = [json.loads(line) for line in (tree / "assignments.jsonl").read_text().splitlines()]
    uuids = {json.loads(line)["uuid"] for line in (shared_data / MR).read_text().splitlines()}
    assert {r["source_id"] for r in rows} == uuids
    named = [r for r in rows if isinstance(r["first_error_step"], int)]
    assert len(named) >= 0.95 * len(rows) and all(r["first_error_step"] >= 1 for r in named)
    assert all(r["error_type"] in ERROR_TYPES and r["evidence"] for r in rows)
    out = tmp_path / "C"
    assert main(["cluster", "export", str(tree), "--data", str(data), "--out", str(out)]) == 0
    from knowbench.loaders import load

    exported = list(load("mwpes_clustered", out, "clustered", split="train"))
    assert {r["error_type"] for r in exported} == {r["error_type"] for r in rows}
    card = (out / "README.md").read_text()
    assert "Error types per model and dataset" in card and "| gsm8k | 241 |" in card
    largest = max(json.loads((tree / "taxonomy.json").read_text())["categories"], key=lambda c: c["size"])
    assert f"| {largest['name']} | {largest['size']} | {largest['patterns'][0][0].split(': ', 1)[-1]}" in card
    # several EIC runs into one build
    runs = []
    for path in sorted((shared_data / "mwp_errors/eic_gsm8k").glob("*.jsonl"))[:2]:
        runs.append(str(tmp_path / path.stem))
        assert main(["ingest", "mwp", "--solutions", str(path), "--format", "eic", "--out", runs[-1]]) == 0
    assert main(["build", "mwpes", "--runs", *runs, "--out", str(tmp_path / "E")]) == 0


def test_malformed_record_is_one_cli_line(shared_data: Path, tmp_path: Path, capsys) -> None:
    lines = (shared_data / MR).read_text().splitlines()[:3]
    broken = json.loads(lines[1])
    broken["model_output_steps"] = "Step 1: not a list"
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join([lines[0], json.dumps(broken), lines[2]]) + "\n")
    assert main(["ingest", "mwpes", "--solutions", str(path), "--format", "mr-gsm8k", "--out", str(tmp_path / "R")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "line 2" in err and "\n" not in err
    assert not (tmp_path / "R").exists()
