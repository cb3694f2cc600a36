"""`knowbench export lm-eval` on a real EvoWiki build whose `uncharted` config has 0 rows (README issue #11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowbench.builders import build
from knowbench.cli import main

WIKIDATA = "opensanctions__nomenklatura__Q7747_{}.json"
FAMILY = ["Q19364345", "Q19816371", "Q22682071", "Q233282", "Q254220"]


@pytest.fixture(scope="module")
def putin(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's two-snapshot build (Putin 2024-05-28 -> 2025-03-15 and his family): no uncharted question."""
    wiki = shared_data / "wiki"
    folder = wiki / "wikidata"
    out = tmp_path_factory.mktemp("built") / "evowiki"
    build("evowiki", out, wikidata=[folder / WIKIDATA.format("2025-03-15"),
                                    *(folder / f"opensanctions__nomenklatura__{q}.json" for q in FAMILY)],
          wikidata_old=[folder / WIKIDATA.format("2024-05-28")], labels=[wiki / "wikidata_api"],
          cutoff="2024-06-01", retrievers=["bm25"], top_k=5)
    return out


def test_export_skips_a_state_without_rows(putin: Path, tmp_path: Path) -> None:
    splits = {s["config"]: s["num_examples"] for s in json.loads((putin / "provenance.json").read_text())["splits"]}
    empty = sorted(state for state in ("stable", "evolved", "uncharted") if splits[state] == 0)
    assert empty and len(empty) < 3  # the case under test: some states with rows, some without
    assert main(["export", "lm-eval", "--data", str(putin), "--out", str(tmp_path / "tasks")]) == 0
    exported = {p.stem for p in (tmp_path / "tasks" / "evowiki").glob("evowiki_*.yaml")} - {"evowiki_rag"}  # a group
    with_rows = [state for state in ("stable", "evolved", "uncharted") if splits[state] > 0]
    assert exported == {f"evowiki_{s}{rag}" for s in with_rows for rag in ("", "_rag")}
    manifest = json.loads((tmp_path / "tasks" / "evowiki" / "knowbench_export.json").read_text())
    assert manifest["skipped_states"] == empty
