"""Dynamic error classification on the real GPT-3 GSM8K errors (fast: a few hundred; slow: all 3,275)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from knowbench.training.mwpes import ErrorClusterPipeline, Taxonomy
from knowbench.training.mwpes.analyzers import pattern_text
from knowbench.training.mwpes.embedders import SentenceTransformerEmbedder
from knowbench.training.mwpes.gsm8k_rule import GSM8KRuleAnalyzer, parse_steps, safe_eval
from knowbench.training.mwpes.runs import read_assignments, records_from_result, run_summary, write_run

SOLUTIONS = "mwp_solutions/gsm8k_example_model_solutions.jsonl"


def _every(samples: list, step: int) -> list:
    return samples[::step]


def test_reads_every_published_wrong_solution(shared_data: Path, errors: list) -> None:
    from knowbench.io import read_jsonl

    wrong = sum(1 for r in read_jsonl(shared_data / SOLUTIONS) for v in r.values()
                if isinstance(v, dict) and not v["is_correct"])
    assert len(errors) == wrong
    assert len({e.sample_id for e in errors}) == wrong
    assert {e.model_size for e in errors} == {6e9, 175e9}


def test_rule_analyzer_names_first_divergent_step(errors: list) -> None:
    analyses = GSM8KRuleAnalyzer().analyze(errors)
    kinds = Counter(a.kind for a in analyses)
    assert all(a.kind and a.text for a in analyses)
    assert len(kinds) >= 6
    for sample, analysis in zip(errors, analyses, strict=True):
        gold = [s.result for s in parse_steps(sample.gold_solution)]
        model = parse_steps(sample.solution)
        if analysis.kind == "arithmetic slip":  # the written result really differs from the expression's value
            step = model[analysis.step - 1]
            assert abs(safe_eval(step.expression) - step.result) > 1e-4
        elif analysis.kind == "no calculation":
            assert not model
        elif analysis.kind == "premature stop":
            assert any(math.isclose(float(sample.answer), g, rel_tol=1e-4, abs_tol=1e-4) for g in gold if g is not None)
        elif analysis.step is not None and analysis.kind != "premature stop":
            # the steps before the divergent one all reproduce values of the gold solution
            for earlier in model[: analysis.step - 1]:
                assert any(math.isclose(earlier.result, g, rel_tol=1e-4, abs_tol=1e-4) for g in gold if g is not None)


def test_embedding_cache_is_reused_without_loading_the_model(errors: list, cache: Path) -> None:
    texts = [e.question for e in errors[:12]]
    first = SentenceTransformerEmbedder(cache_dir=cache).embed(texts)
    assert first.shape == (12, 384)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    again = SentenceTransformerEmbedder(cache_dir=cache)
    np.testing.assert_array_equal(again.embed(texts), first)
    assert again._model is None  # served from disk


@pytest.fixture(scope="module")
def small_run(errors: list, cache: Path):
    samples = _every(errors, 20)  # ~160 real errors across the whole file
    pipeline = ErrorClusterPipeline(component_options={"embedder": {"cache_dir": cache},
                                                       "clusterer": {"min_cluster_size": 8}})
    return pipeline.fit(samples)


def test_pipeline_builds_a_named_taxonomy(small_run, tmp_path: Path) -> None:
    result = small_run
    taxonomy = result.taxonomy
    assert len(taxonomy.categories) >= 2
    assert result.outlier_fraction <= result.outlier_fraction_before
    labels = result.labels
    for category in taxonomy.categories:
        members = {result.samples[i].sample_id for i in np.flatnonzero(labels == category.id)}
        assert category.size == len(members) > 0
        assert category.name and category.keywords
        # a text most members share names the category (what went wrong), else type and keywords do
        shared, count = Counter(result.texts[i] for i in np.flatnonzero(labels == category.id)).most_common(1)[0]
        named_by_text = count > category.size / 2 and len(shared) <= 100
        assert category.name.startswith(shared) if named_by_text else category.name != shared, (category.name, shared)
        assert {e["sample_id"] for e in category.examples} <= members
        assert abs(np.linalg.norm(category.centroid) - 1) < 1e-4
        # the patterns count the members' specifics (operations, operators) that the embedded text leaves out
        member_rows = np.flatnonzero(labels == category.id)
        assert 0 < sum(category.patterns.values()) <= category.size
        assert list(category.patterns.values()) == sorted(category.patterns.values(), reverse=True)
        assert set(category.patterns) <= {pattern_text(result.details[i]["error_type"], result.details[i]["evidence"])
                                          for i in member_rows}
    # outliers that were reassigned are close enough to their category's centroid
    moved = np.flatnonzero((result.raw_labels < 0) & (labels >= 0))
    threshold = taxonomy.params["reassign_threshold"]
    assert all(result.similarity[i] >= threshold for i in moved)
    from knowbench.training.mwpes.plots import map_coordinates

    written = write_run(tmp_path / "run", taxonomy, records_from_result(result), run_summary(result),
                        coords=map_coordinates(result.embeddings))
    for name in ("map", "distribution_model", "distribution_model_size"):
        assert written[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loaded = Taxonomy.load(tmp_path / "run" / "taxonomy.json")
    assert [c.id for c in loaded.categories] == [c.id for c in taxonomy.categories]
    assert [c.name for c in loaded.categories] == [c.name for c in taxonomy.categories]
    patterns = [list(c.patterns.items()) for c in taxonomy.categories]  # in the order of their counts
    assert [list(c.patterns.items()) for c in loaded.categories] == patterns
    records = read_assignments(tmp_path / "run")
    assert [r["sample_id"] for r in records] == [s.sample_id for s in result.samples]
    assert [r["category"] for r in records] == labels.tolist()


def test_any_sklearn_clusterer_can_be_injected(small_run) -> None:
    from sklearn.cluster import AgglomerativeClustering

    result = small_run
    pipeline = ErrorClusterPipeline(embedder=None, clusterer=AgglomerativeClustering(n_clusters=4))
    other = pipeline.fit_embeddings(result.samples, result.texts, result.kinds, result.embeddings)
    assert len(other.taxonomy.categories) == 4
    assert other.outlier_fraction == 0


class _SplitsRepeats:
    """A clusterer that puts the last row alone in its own cluster, whatever its text."""

    def fit(self, x: np.ndarray) -> _SplitsRepeats:
        self.labels_ = np.array([0] * (len(x) - 1) + [1])
        return self


def test_a_cluster_emptied_by_identical_texts_is_no_category(small_run) -> None:
    # the last text repeats the first: the repeat joins the first's cluster, so cluster 1 has no member left
    result = small_run
    texts = [*result.texts[:9], result.texts[0]]
    embeddings = result.embeddings[[*range(9), 0]]
    other = ErrorClusterPipeline(embedder=None, reducer="none", clusterer=_SplitsRepeats()).fit_embeddings(
        result.samples[:10], texts, result.kinds[:10], embeddings)
    assert [c.size for c in other.taxonomy.categories] == [10]
    assert other.labels.tolist() == [0] * 10


@pytest.mark.slow
def test_all_3275_errors_cluster_end_to_end(errors: list, cache: Path, tmp_path: Path) -> None:
    from knowbench.training.mwpes.plots import map_coordinates

    result = ErrorClusterPipeline(component_options={"embedder": {"cache_dir": cache}}).fit(errors)
    assert len(result.samples) == len(errors)
    assert len(result.taxonomy.categories) >= 5
    assert result.outlier_fraction < 0.1 <= result.outlier_fraction_before + 0.1
    assert all(c.name for c in result.taxonomy.categories)
    written = write_run(tmp_path / "run", result.taxonomy, records_from_result(result), run_summary(result),
                        coords=map_coordinates(result.embeddings))
    assert written["map"].stat().st_size > 10_000


@pytest.mark.slow
def test_llm_analyzer_and_namer_through_the_shared_backend(errors: list) -> None:
    """The real SmolLM2 backend: every sample gets the rule checks' fields, validated (quality does not matter)."""
    from knowbench.backends import load_backend
    from knowbench.training.mwpes.checks import ERROR_TYPES
    from knowbench.training.mwpes.labelling import LLMNamer
    from knowbench.training.mwpes.llm_analyzer import LLMAnalyzer, numbered_steps

    backend = load_backend("transformers:smollm2")
    analyses = LLMAnalyzer(backend, max_new_tokens=96, batch_size=3, retries=1).analyze(errors[:3])
    assert len(analyses) == 3 and all(a.text.strip() for a in analyses)
    for analysis, sample in zip(analyses, errors[:3], strict=True):
        d = analysis.details
        assert d["model"] == backend.model_name and d["raw"].strip()
        assert d["error_type"] == analysis.kind and d["error_type"] in ERROR_TYPES
        assert d["first_error_step"] == analysis.step
        assert d["first_error_step"] is None or 1 <= d["first_error_step"] <= numbered_steps(sample.solution)[1]
        assert isinstance(d["evidence"], str) and 0.0 <= d["confidence"] <= 1.0
        assert isinstance(d["invalid"], list) and (d["evidence"] or d["invalid"])
    name = LLMNamer(backend, max_new_tokens=12).name_for(["division", "operation"], [a.text for a in analyses])
    assert name.strip() and len(name) <= 80
