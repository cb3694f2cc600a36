"""smi-mini: scaled-down end-to-end runs whose counts, scores and fits are those of `knowbench count` and
`knowbench smi fit`, and that resume after a stop or a kill."""

from __future__ import annotations

import json

import numpy as np
import pytest

from knowbench.cli import main
from knowbench.datasets_src.triples.count import mutual_information
from knowbench.datasets_src.triples.runner import count_corpus, read_counts
from knowbench.io import read_jsonl
from knowbench.training.triples import smi_corpus

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
torch.set_num_threads(1)


def _config(shared_data, **changes):
    from knowbench.training.triples.smi_mini import SmiMiniConfig, default_paths

    base = dict(sizes=("nano",), wiki_words=3000, facts_per_relation=2, epochs=2, samples=1, temperature=0.0,
                templates_per_relation=3, vocab_size=400, batch_size=8, block=64, max_fact_docs=30)
    return SmiMiniConfig(**default_paths(shared_data), **{**base, **changes})


def test_smi_mini_end_to_end_small_through_the_cli(shared_data, tmp_path, capsys):

    code = main(["train", "smi-mini", "--out", str(tmp_path / "run"), "--sizes", "nano", "--wiki-words", "3000",
                 "--facts-per-relation", "2", "--epochs", "2", "--samples", "1", "--temperature", "0",
                 "--templates-per-relation", "3", "--vocab-size", "400", "--batch-size", "8", "--block", "64",
                 "--max-fact-docs", "30", "--quiet", "--data-root", str(shared_data)])
    assert code == 0
    assert "smi-mini: retention vs. metrics" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "run/metrics.json").read_text())
    assert json.loads((tmp_path / "run/config.json").read_text())["sizes"] == ["nano"]
    row = metrics["sizes"]["nano"]
    facts = list(read_jsonl(tmp_path / "run/facts.jsonl"))
    n_facts = 2 * len(smi_corpus.RELATION_TEMPLATES)
    # the counts are `knowbench count`'s, over the run's own corpus, one row per fact in the facts' order
    counts = read_counts(tmp_path / "run/counts")
    assert [f.fact_id for f in counts.facts] == [f["id"] for f in facts] and len(facts) == n_facts
    recount = count_corpus([smi_corpus.Fact(**f).triple() for f in facts], [tmp_path / "run/corpus.jsonl"])
    assert np.array_equal(recount.raw.n_so, counts.n_so) and np.array_equal(recount.raw.fact_arrays(
        recount.index)["n_s"], counts.n_s)
    kept = mutual_information(counts.n_docs, counts.n_s, counts.n_o, counts.n_so) > 0
    assert row["facts_fitted"] == int(kept.sum()) and row["facts_dropped_mi_le_0"] == int((~kept).sum())
    retention = list(read_jsonl(tmp_path / "run/retention/nano.jsonl"))
    assert len(retention) == n_facts and all(r["total"] == 3 for r in retention)
    accuracy = {r["id"]: r["correct"] / r["total"] for r in retention}
    assert row["mean_accuracy"] == pytest.approx(np.mean(list(accuracy.values())))
    assert row["final_loss"] < 7
    # `knowbench smi fit` on the run's counts and accuracy/<size>.jsonl (eval cbqa's format) gives the run's own fit
    written = list(read_jsonl(tmp_path / "run/accuracy/nano.jsonl"))
    assert [(r["subject"], r["relation"], r["object"], r["accuracy"]) for r in written] == [
        (f["subject"], f["relation"], f["object"], accuracy[f["id"]]) for f in facts]
    assert row["fits"]["smi"]["bins"] > 2 and row["fits"]["smi"]["slope"] is not None
    assert main(["smi", "fit", "--counts", str(tmp_path / "run/counts"), "--accuracy", str(tmp_path / "run/accuracy/nano.jsonl"),
                 "--params", str(row["params"]), "--json"]) == 0
    fitted = json.loads(capsys.readouterr().out)
    assert fitted["facts"] == row["facts_fitted"]
    for method in ("smi", "mi", "co"):
        assert fitted[f"r2_{method}"] == pytest.approx(row[f"r2_{method}"], abs=1e-6)
        assert fitted[f"mse_{method}"] == pytest.approx(row[f"mse_{method}"], abs=1e-6)
    for name in ("fit-nano.png", "loss.png"):
        assert (tmp_path / "run/plots" / name).read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "run/models/nano/config.json").exists()
    assert not list((tmp_path / "run/checkpoints").iterdir())  # removed once the model is saved


@pytest.mark.slow
def test_smi_mini_resume_after_stop_gives_same_metrics(shared_data, tmp_path):
    from knowbench.training.triples.smi_mini import run_smi_mini

    config = _config(shared_data, temperature=0.7, samples=2)
    straight = run_smi_mini(config, tmp_path / "a", quiet=True)
    partial = run_smi_mini(config, tmp_path / "b", quiet=True, stop_after_steps=3)
    assert "sizes" not in partial and (tmp_path / "b/checkpoints/train-nano.pt").exists()
    resumed = run_smi_mini(config, tmp_path / "b", quiet=True)
    assert resumed["sizes"] == straight["sizes"] | {"nano": {**straight["sizes"]["nano"],
                                                            "train_seconds": resumed["sizes"]["nano"]["train_seconds"]}}
    a = json.loads((tmp_path / "a/stages/train-nano.json").read_text())["losses"]
    b = json.loads((tmp_path / "b/stages/train-nano.json").read_text())["losses"]
    assert a == b


@pytest.mark.slow
def test_cli_run_killed_with_sigkill_resumes_to_the_same_metrics(shared_data, tmp_path):
    """A real kill: the CLI process is SIGKILLed once a checkpoint exists; the rerun ends like an uninterrupted run."""
    import os
    import signal
    import subprocess
    import sys
    import time

    args = ["--sizes", "nano", "--wiki-words", "3000", "--facts-per-relation", "2", "--epochs", "40",
            "--samples", "1", "--temperature", "0", "--templates-per-relation", "2", "--vocab-size", "400",
            "--batch-size", "8", "--block", "64", "--threads", "1", "--quiet", "--data-root", str(shared_data)]

    def command(out):
        return [sys.executable, "-m", "knowbench", "train", "smi-mini", "--out", str(out), *args]

    process = subprocess.Popen(command(tmp_path / "killed"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    checkpoint = tmp_path / "killed/checkpoints/train-nano.pt"
    deadline = time.time() + 300
    while not checkpoint.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert process.poll() is None, process.stderr.read().decode()[-2000:]
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (tmp_path / "killed/stages/train-nano.json").exists()
    subprocess.run(command(tmp_path / "killed"), check=True, capture_output=True)
    subprocess.run(command(tmp_path / "straight"), check=True, capture_output=True)
    killed = json.loads((tmp_path / "killed/metrics.json").read_text())["sizes"]["nano"]
    straight = json.loads((tmp_path / "straight/metrics.json").read_text())["sizes"]["nano"]
    killed.pop("train_seconds"), straight.pop("train_seconds")
    assert killed == straight
    a = json.loads((tmp_path / "killed/stages/train-nano.json").read_text())["losses"]
    b = json.loads((tmp_path / "straight/stages/train-nano.json").read_text())["losses"]
    assert a == b
