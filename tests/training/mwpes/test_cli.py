"""`knowbench cluster mwpes|update|export` on real MWPES folders built from the published GPT-3 GSM8K solutions."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from knowbench.cli import main
from knowbench.training.mwpes.taxonomy import Taxonomy

SOLUTIONS = "mwp_solutions/gsm8k_example_model_solutions.jsonl"


def test_update_of_a_folder_without_taxonomy_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    assert main(["cluster", "update", str(tmp_path), "--data", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "taxonomy.json" in err and "\n" not in err


def test_corrupt_taxonomy_names_the_file(tmp_path: Path) -> None:
    from knowbench.errors import SourceFormatError

    (tmp_path / "taxonomy.json").write_text('{"format": "something else", "version": 1, "categories": []}')
    with pytest.raises(SourceFormatError, match="taxonomy.json: format"):
        Taxonomy.load(tmp_path / "taxonomy.json")


@pytest.fixture(scope="module")
def mwpes_folders(shared_data: Path, mwpes_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An MWPES folder of the first 300 problems, and one of all 1,319 (the dataset grew)."""
    from knowbench.builders import get_builder
    from knowbench.builders.writer import build_to_folder
    from knowbench.datasets_src.mwpes.ingest import ingest

    root = tmp_path_factory.mktemp("mwpes")
    lines = (shared_data / SOLUTIONS).read_text().splitlines(keepends=True)
    (root / "first.jsonl").write_text("".join(lines[:300]))
    ingest(root / "first.jsonl", root / "run-small")
    build_to_folder(get_builder("mwpes", runs=(root / "run-small",)), root / "small")
    return root / "small", mwpes_folder  # the full one is the session's (tests/conftest.py)


@pytest.mark.slow
def test_cluster_update_export_end_to_end(mwpes_folders: tuple[Path, Path], tmp_path: Path) -> None:
    from knowbench.io import read_jsonl
    from knowbench.loaders import load
    from knowbench.training.mwpes.samples import load_error_samples

    small, full = mwpes_folders
    run, cache = tmp_path / "run", tmp_path / "cache"
    assert main(["cluster", "mwpes", "--data", str(small), "--out", str(run), "--cache", str(cache)]) == 0
    first = Taxonomy.load(run / "taxonomy.json")
    assignments = list(read_jsonl(run / "assignments.jsonl"))
    assert [r["sample_id"] for r in assignments] == [s.sample_id for s in load_error_samples(small)]
    assert Counter(r["category"] for r in assignments if r["category"] >= 0) == {c.id: c.size for c in first.categories}
    assert all(c.name and c.keywords and c.examples for c in first.categories)
    for plot in ("map", "distribution_model", "distribution_dataset", "distribution_model_size"):
        assert (run / "plots" / f"{plot}.png").stat().st_size > 5_000

    assert main(["cluster", "update", str(run), "--data", str(full), "--cache", str(cache)]) == 0
    second = Taxonomy.load(run / "taxonomy.json")
    assert second.version == first.version + 1
    assert (run / "history" / "taxonomy-v1.json").exists()
    for category in first.categories:  # every old id is still there, active or merged into an active one
        assert second.resolve(category.id) in {c.id for c in second.categories}
    updated = {r["sample_id"]: r["category"] for r in read_jsonl(run / "assignments.jsonl")}
    assert len(updated) == len(load_error_samples(full))
    event = second.history[-1]
    assert event["new_samples"] == len(updated) - len(assignments)

    out = tmp_path / "clustered"
    assert main(["cluster", "export", str(run), "--data", str(full), "--out", str(out)]) == 0
    rows = load("mwpes_clustered", out, "clustered", split="train")
    assert len(rows) == len(updated)
    names = {c.id: c.name for c in second.categories}
    for row in rows.select(range(0, len(rows), 97)):
        assert row["category"] == updated[row["sample_id"]]
        assert row["category_name"] == names.get(row["category"], "")


@pytest.mark.slow
def test_cluster_with_the_llm_analyzer_through_a_backend(mwpes_folders: tuple[Path, Path], tmp_path: Path) -> None:
    """`--analyzer llm --backend transformers:smollm2`: every assignment carries the validated fields."""
    from knowbench.io import read_jsonl
    from knowbench.training.mwpes.checks import ERROR_TYPES

    small, _ = mwpes_folders
    run = tmp_path / "run"
    assert main(["cluster", "mwpes", "--data", str(small), "--out", str(run), "--analyzer", "llm", "--backend",
                 "transformers:smollm2", "--limit", "12", "--clusterer", "kmeans", "--no-plots",
                 "--cache", str(tmp_path / "cache")]) == 0
    rows = list(read_jsonl(run / "assignments.jsonl"))
    assert len(rows) == 12 and all(r["error_type"] in ERROR_TYPES for r in rows)
    assert all(r["first_error_step"] is None or r["first_error_step"] >= 1 for r in rows)
