"""evowiki-cl: config checks, the CLI, and (slow) a scaled-down run on a real EvoWiki build with a tiny random model
that carries SmolLM2's tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowbench.errors import ConfigError
from knowbench.training.evowiki.continual import STATES, EvoWikiClConfig, passage_texts, run_evowiki_cl

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
torch.set_num_threads(1)


def test_config_is_checked():
    with pytest.raises(ConfigError, match="layer_fraction"):
        EvoWikiClConfig(data="x", layer_fraction=0)
    with pytest.raises(ConfigError, match="epochs"):
        EvoWikiClConfig(data="x", epochs=0)


def test_cli_bad_option_is_one_line(capsys, evowiki_dir, tmp_path):
    from knowbench.cli import main

    out = tmp_path / "y"
    assert main(["train", "evowiki-cl", "--data", str(evowiki_dir), "--out", str(out), "--layer-fraction", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: layer_fraction") and err.count("\n") == 1


@pytest.fixture(scope="module")
def evowiki_dir(shared_data: Path, tmp_path_factory):
    from knowbench.builders import get_builder
    from knowbench.builders.writer import build_to_folder

    wiki = shared_data / "wiki"
    out = tmp_path_factory.mktemp("evowiki-cl") / "evowiki"
    build_to_folder(get_builder(
        "evowiki", wikidata=[wiki / "wikidata", wiki / "wikidata_api"], cutoff="2014-06-01", retrievers=["bm25"],
        wikipedia=[wiki / "wikipedia/pywikibot_article-pear-0.10.xml"], max_hops=2), out)
    return out


@pytest.mark.slow
def test_evowiki_cl_small_run(evowiki_dir, tiny_model_dir, tmp_path):
    texts = passage_texts(str(evowiki_dir))
    assert len(texts) > 50 and all(": " in t for t in texts)
    from knowbench.training.evowiki.continual import evaluated_rows, selected_passages

    asked = evaluated_rows(str(evowiki_dir), 3)
    assert len(asked) == 9 and {r.state for r in asked} == set(STATES)
    retrieved = selected_passages(EvoWikiClConfig(data=str(evowiki_dir), passages="retrieved", limit_per_state=3))
    assert 0 < len(retrieved) <= 9 * 3 and set(retrieved) <= set(texts)
    config = EvoWikiClConfig(data=str(evowiki_dir), model=str(tiny_model_dir), epochs=1, lr=1e-3,
                             passages_limit=12, limit_per_state=3, max_new_tokens=4, max_tokens=64)
    partial = run_evowiki_cl(config, tmp_path / "run", quiet=True, stop_after_steps=1)
    assert "summary_em_latest" not in partial and (tmp_path / "run/checkpoints/train.pt").exists()
    metrics = run_evowiki_cl(config, tmp_path / "run", quiet=True)
    assert metrics["train"]["passages"] == 12 and metrics["train"]["steps"] == 3
    for rag in ("none", "bm25"):
        for state in STATES:
            cell = metrics["summary_em_latest"][rag][state]
            assert 0 <= cell["before"] <= 1 and 0 <= cell["after"] <= 1
        assert metrics["before"][rag]["all"]["n"] == 9
    assert (tmp_path / "run/model/config.json").exists()
    assert (tmp_path / "run/plots/em_by_state.png").read_bytes()[:4] == b"\x89PNG"
    losses = metrics["train"]
    assert losses["final_loss"] < losses["first_loss"]
