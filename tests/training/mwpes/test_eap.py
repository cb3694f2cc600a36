"""Error-aware prompting: retrieval of similar problems' errors, and the with/without evaluation (SmolLM2, slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowbench.training.mwpes import ErrorClusterPipeline, errors_from_gsm8k_example_solutions
from knowbench.training.mwpes.eap import ErrorMemory, eap_hint, held_out
from knowbench.training.mwpes.embedders import SentenceTransformerEmbedder
from knowbench.training.mwpes.runs import records_from_result, run_summary, write_run

SOLUTIONS = "mwp_solutions/gsm8k_example_model_solutions.jsonl"


@pytest.fixture(scope="module")
def clustered(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.mktemp("emb")
    samples = list(errors_from_gsm8k_example_solutions(shared_data / SOLUTIONS))[:120]
    result = ErrorClusterPipeline(component_options={"embedder": {"cache_dir": cache},
                                                     "clusterer": {"min_cluster_size": 8}}).fit(samples)
    run = tmp_path_factory.mktemp("run")
    write_run(run, result.taxonomy, records_from_result(result), run_summary(result), plots=False)
    return samples, result, run, SentenceTransformerEmbedder(cache_dir=cache)


def test_held_out_split_is_deterministic_and_disjoint(clustered) -> None:
    samples = clustered[0]
    problems = {s.problem_id for s in samples}
    held = {p for p in problems if held_out(p, 0.3)}
    assert held == {p for p in problems if held_out(p, 0.3)}
    assert 0 < len(held) < len(problems)
    assert {p for p in problems if held_out(p, 0.3, seed=1)} != held


def test_memory_returns_the_errors_of_the_most_similar_problem(clustered) -> None:
    samples, result, _, embedder = clustered
    records = records_from_result(result)
    memory = ErrorMemory(samples, records, result.taxonomy, embedder=embedder)
    question = samples[37].question
    hits = memory.retrieve([question], k=2)[0]
    assert hits[0]["problem_id"] == samples[37].problem_id
    assert hits[0]["similarity"] == pytest.approx(1.0, abs=1e-4)
    category = int(result.labels[[s.sample_id for s in samples].index(hits[0]["sample_id"])])
    names = {c.id: c.name for c in result.taxonomy.categories}
    assert hits[0]["category_name"] == names.get(category, "uncategorised error")
    assert hits[1]["similarity"] <= hits[0]["similarity"]
    hint = eap_hint(hits)
    assert hits[0]["category_name"] in hint and hint.count("\n- ") == len(hits)
    # each error's own evidence (which step, which numbers), not the masked text its category was clustered by
    evidence = {r["sample_id"]: r["evidence"] for r in records}
    assert evidence[hits[0]["sample_id"]]
    assert all(h["text"] == evidence[h["sample_id"]] and h["text"][:220] in hint for h in hits if evidence[h["sample_id"]])
    assert np.isfinite([h["similarity"] for h in hits]).all()


@pytest.mark.slow
def test_eap_evaluation_with_smollm2_resumes(clustered, tmp_path: Path) -> None:
    from knowbench.backends import load_backend
    from knowbench.io import read_jsonl
    from knowbench.training.mwpes.eap import evaluate_eap

    samples, _, run, embedder = clustered
    backend = load_backend("transformers:smollm2")
    out = tmp_path / "eap"
    report = evaluate_eap(samples, run, backend, out, limit=2, held_out_fraction=0.3, max_new_tokens=48,
                          embedder=embedder, show_progress=False)
    lines = list(read_jsonl(out / "generations.jsonl"))
    assert report.problems == 2 and len(lines) == 4
    assert {r["condition"] for r in lines} == {"plain", "eap"}
    assert all(r["hints"] for r in lines if r["condition"] == "eap")
    assert report.correct_plain == sum(r["correct"] for r in lines if r["condition"] == "plain")
    again = evaluate_eap(samples, run, backend, out, limit=2, held_out_fraction=0.3, max_new_tokens=48,
                         embedder=embedder, show_progress=False)
    assert len(list(read_jsonl(out / "generations.jsonl"))) == 4  # resumed: nothing generated twice
    assert again.accuracy_eap == report.accuracy_eap
