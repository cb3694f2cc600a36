"""CBQA retention: scoring, released accuracies, and a resumable run with the real SmolLM2."""

from __future__ import annotations

import json

import pytest

from knowbench.datasets_src.triples import load_templates, read_facts
from knowbench.errors import RunStateError
from knowbench.training.triples.cbqa import CBQAConfig, is_correct, read_accuracy, run_cbqa


def test_correct_when_the_continuation_contains_the_object():
    assert is_correct(" in Paris, France.", "France")
    assert not is_correct(" in french lands", "France")
    assert is_correct(" in FRANCE", "France", ignore_case=True)


def test_read_accuracy_from_released_outputs(shared_data):
    accuracy = read_accuracy(shared_data / "smi/merge_outputs/pythia-70m.json.gz")
    assert len(accuracy) == 12671 and accuracy[("John Cage", "plays", "opera")] == 0.01


@pytest.mark.slow
def test_run_with_smollm2_is_resumable(shared_data, tmp_path):
    from knowbench.backends import load_backend

    facts = read_facts(shared_data / "smi/pararel_15classes.json")[::4000]
    templates = load_templates(shared_data / "smi/pararel_multi_templates.json")
    backend = load_backend("transformers:smollm2")
    config = CBQAConfig(samples=2, templates_per_fact=2, max_new_tokens=12, batch_prompts=4)
    results = run_cbqa(facts, templates, backend, tmp_path / "run", config)
    log = [json.loads(line) for line in (tmp_path / "run/samples.jsonl").read_text().splitlines()]
    assert len(log) == len(facts) * 2 and all(len(r["outputs"]) == 2 for r in log)
    for record in log:
        fact = next(f for f in facts if f.fact_id == record["fact_id"])
        assert record["prompt"] == templates[fact.relation][record["template"]].replace("[S]", fact.subject)
        assert record["correct"] == sum(fact.object in text for text in record["outputs"])
    for result in results:
        mine = [r for r in log if r["fact_id"] == result.fact.fact_id]
        assert result.accuracy == sum(r["correct"] for r in mine) / sum(r["n"] for r in mine)
    assert read_accuracy(tmp_path / "run") == {r.fact.key: r.accuracy for r in results}
    before = (tmp_path / "run/samples.jsonl").read_bytes()
    run_cbqa(facts, templates, backend, tmp_path / "run", config)  # nothing left to sample
    assert (tmp_path / "run/samples.jsonl").read_bytes() == before
    with pytest.raises(RunStateError):
        run_cbqa(facts, templates, backend, tmp_path / "run", CBQAConfig(samples=3, templates_per_fact=2))
