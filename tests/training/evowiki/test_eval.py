"""EvoWiki evaluation: recall@k without a model on a real build, scoring helpers, and (slow) SmolLM2 + dense."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowbench.builders import get_builder
from knowbench.builders.writer import build_to_folder
from knowbench.errors import ConfigError
from knowbench.loaders.evowiki import load_corpus, load_rows
from knowbench.training.evowiki import normalize, recall_at_k, run_eval
from knowbench.training.evowiki.eval import contains, exact_match, passage_hit


@pytest.fixture(scope="module")
def folder(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    wiki = shared_data / "wiki"
    out = tmp_path_factory.mktemp("evowiki-eval") / "evowiki"
    build_to_folder(get_builder(
        "evowiki", wikidata=[wiki / "wikidata", wiki / "wikidata_api"], cutoff="2014-06-01", retrievers=["bm25"],
        wikipedia=[wiki / "wikipedia/pywikibot_article-pear-0.10.xml"], max_hops=2,
    ), out)
    return out


def test_scoring_helpers() -> None:
    assert normalize("The Kremlin, Moscow.") == "kremlin moscow"
    assert exact_match("Moscow.\nIt is the capital.", ["moscow"])
    assert not exact_match("Saint Petersburg", ["Moscow"])
    assert contains("He lives in Moscow now", ["Moscow"]) and not contains("Moscowia", ["Moscow"])
    assert not exact_match("", ["Moscow"])


def test_recall_at_k_without_a_model(folder: Path, tmp_path: Path) -> None:
    report = run_eval(folder, "none", tmp_path / "run", k=5)
    rows = load_rows(folder)
    corpus = load_corpus(folder)
    assert report["rows"] == len(rows) and "answers" not in report
    curve = report["recall_curve"]["bm25"]
    assert curve == sorted(curve) and 0 < curve[-1] <= 1  # recall grows with k
    overall = report["recall_at_k"]["bm25"]["all"]
    assert overall["latest"] <= overall["all"]  # all answers include the latest ones
    # recomputed by hand for one row: does one of its top-5 passages contain a latest answer?
    row = rows[0]
    texts = [f"{corpus[i].title} {corpus[i].text}".lower() for i in row.retrieved("bm25")[:5]]
    by_hand = any(name.lower() in text for name in row.latest_names() for text in texts)
    assert passage_hit([corpus[i] for i in row.retrieved("bm25")[:5]], row.latest_names()) == by_hand
    assert recall_at_k(rows[:1], corpus, "bm25", 5) == float(by_hand)
    saved = json.loads((tmp_path / "run" / "report.json").read_text())
    assert saved["recall_at_k"] == report["recall_at_k"]
    assert (tmp_path / "run" / "recall.png").stat().st_size > 0


def test_limit_takes_evenly_spaced_rows_per_state(folder: Path, tmp_path: Path) -> None:
    rows = load_rows(folder)
    report = run_eval(folder, "none", tmp_path / "run", limit=2)
    per_state = {s: sum(1 for r in rows if r.state == s) for s in ("stable", "evolved", "uncharted")}
    assert report["rows"] == sum(min(2, n) for n in per_state.values())
    assert all(report["counts"][s] == min(2, n) for s, n in per_state.items())


def test_eval_rejects_missing_retrieval(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="dense"):
        run_eval(folder, "none", tmp_path / "run", rag="dense")
    with pytest.raises(ConfigError, match="rag"):
        run_eval(folder, "none", tmp_path / "run", rag="tfidf")


def test_cli_eval_prints_recall(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from knowbench.cli import main

    assert main(["eval", "evowiki", "--data", str(folder), "--k", "3", "--out", str(tmp_path / "cli")]) == 0
    assert "bm25 recall@3" in capsys.readouterr().out


@pytest.mark.slow
def test_smollm2_with_bm25_rag_and_dense_build(shared_data: Path, tmp_path: Path) -> None:
    wiki = shared_data / "wiki"
    out = tmp_path / "dense"
    build_to_folder(get_builder(
        "evowiki", wikidata=[wiki / "wikidata", wiki / "wikidata_api"], cutoff="2014-06-01",
        retrievers=["bm25", "dense"], max_hops=2), out)
    rows = load_rows(out)
    assert all(len(r.retrieved("dense")) == 30 for r in rows)
    report = run_eval(out, "transformers:smollm2", tmp_path / "run", rag="bm25", k=3, limit=4)
    answers = report["answers"]
    assert answers["all"]["n"] == sum(1 for _ in (tmp_path / "run" / "samples.jsonl").open())
    assert 0 <= answers["all"]["em_latest"] <= answers["all"]["em_all"] <= 1
    again = run_eval(out, "transformers:smollm2", tmp_path / "run", rag="bm25", k=3, limit=4)  # resumes: no model
    assert again["answers"] == answers
