"""smi-mini: the corpus with inserted facts, the counts and metric (checked on the paper's released numbers), and
a scaled-down end-to-end run."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import numpy as np
import orjson
import pytest

from knowbench.io import read_jsonl
from knowbench.training.triples import smi_corpus, smi_metric

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
torch.set_num_threads(1)


def test_relation_mapping_matches_the_papers_fact_list(shared_data):
    paper = json.loads((shared_data / "smi/pararel_15classes.json").read_text())
    relation_of = {(f["subj"], f["obj"]): f["rel"] for f in paper}
    templates = smi_corpus.load_templates(shared_data / "smi/pararel_multi_templates.json")
    assert set(smi_corpus.RELATION_TEMPLATES.values()) == set(templates)
    for prop, relation in smi_corpus.RELATION_TEMPLATES.items():
        records = smi_corpus.read_trex(shared_data / f"smi/pararel/data/trex_lms_vocab/{prop}.jsonl")
        found = Counter(relation_of.get((r["sub_label"], r["obj_label"])) for r in records)
        found.pop(None, None)
        assert found.most_common(1)[0][0] == relation, prop


def test_metric_reproduces_published_r2(shared_data):
    """The paper's released Pythia-70M counts and accuracies give its published R^2 (0.43 / 0.43 / 0.36)."""
    with gzip.open(shared_data / "smi/merge_outputs/pythia-70m.json.gz") as handle:
        released = orjson.loads(handle.read())
    rows = [{"n_docs": r["time_seqs"], "n_s": r["time_subj"], "n_o": r["time_obj"], "n_so": r["time_s1j1"]}
            for r in released]
    scores = smi_metric.smi_scores(rows, 70_000_000)
    kept = [i for i, s in enumerate(scores) if s["smi"] is not None]
    r2 = {key: smi_metric.fit_bins([scores[i][key] for i in kept], [released[i]["acc"] for i in kept])["r2"]
          for key in ("smi", "x_mi", "x_co")}
    assert r2["smi"] == pytest.approx(0.43, abs=0.01)
    assert r2["x_mi"] == pytest.approx(0.43, abs=0.01)
    assert r2["x_co"] == pytest.approx(0.36, abs=0.01)
    # the released per-fact MI equals ours, and the SMI package's metric equals the formulas here
    assert scores[0]["mi"] == pytest.approx(released[0]["mi"], rel=1e-9)
    simple = smi_metric.smi_scores_simple(rows, 70_000_000)
    for key in ("smi", "x_mi", "x_co"):
        assert [s[key] is None for s in simple] == [s[key] is None for s in scores]
        assert np.allclose([s[key] for s in simple if s[key] is not None],
                           [s[key] for s in scores if s[key] is not None])


def test_corpus_insertions_are_counted(shared_data):
    templates = smi_corpus.load_templates(shared_data / "smi/pararel_multi_templates.json")
    documents = smi_corpus.wikipedia_documents(
        [shared_data / "wiki/wikipedia/gensim_enwiki-2016-shortened.xml.bz2"], max_words=20_000)
    assert len(documents) > 100 and all(len(d.split()) >= 20 for d in documents)
    facts = smi_corpus.select_facts(shared_data / "smi/pararel/data/trex_lms_vocab", templates, 4, seed=1)
    assert len(facts) == 60 and len({f.subject for f in facts}) == 60
    docs, drawn = smi_corpus.build_corpus(documents, facts, templates, seed=1, max_fact_docs=100)
    assert len(docs) == len(documents)
    k_fact = np.array([f.k_fact for f in drawn])
    assert k_fact.min() == 0 and k_fact.max() >= 30  # long tail: rare and frequent facts
    counts = smi_metric.count_facts(docs, [(f.subject, f.object) for f in drawn])
    # the SMI package's counter and the simple automaton here agree exactly
    assert counts == smi_metric.count_facts_simple(docs, [(f.subject, f.object) for f in drawn])
    for fact, row in zip(drawn, counts, strict=True):
        assert row["n_so"] >= max(fact.k_fact, fact.k_apart)
        assert row["n_s"] >= max(fact.k_fact, fact.k_apart, fact.k_subject)
        assert row["n_o"] >= max(fact.k_fact, fact.k_apart, fact.k_object)
    # a stated fact is in the text as a template + the object
    stated = next(f for f in drawn if f.k_fact > 0)
    sentences = {smi_corpus.fact_sentence(stated, t) for t in templates[stated.relation]}
    assert sum(any(s in d for s in sentences) for d in docs) == stated.k_fact


def _config(shared_data, **changes):
    from knowbench.training.triples.smi_mini import SmiMiniConfig, default_paths

    base = dict(sizes=("nano",), wiki_words=3000, facts_per_relation=2, epochs=2, samples=1, temperature=0.0,
                templates_per_relation=3, vocab_size=400, batch_size=8, block=64, max_fact_docs=30)
    return SmiMiniConfig(**default_paths(shared_data), **{**base, **changes})


def test_smi_mini_end_to_end_small_through_the_cli(shared_data, tmp_path, capsys):
    from knowbench.cli import main

    code = main(["train", "smi-mini", "--out", str(tmp_path / "run"), "--sizes", "nano", "--wiki-words", "3000",
                 "--facts-per-relation", "2", "--epochs", "2", "--samples", "1", "--temperature", "0",
                 "--templates-per-relation", "3", "--vocab-size", "400", "--batch-size", "8", "--block", "64",
                 "--max-fact-docs", "30", "--quiet", "--data-root", str(shared_data)])
    assert code == 0
    assert "smi-mini: retention vs. metrics" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "run/metrics.json").read_text())
    assert json.loads((tmp_path / "run/config.json").read_text())["sizes"] == ["nano"]
    row = metrics["sizes"]["nano"]
    counts = list(read_jsonl(tmp_path / "run/counts.jsonl"))
    assert len(counts) == 30 and {"n_docs", "n_s", "n_o", "n_so"} <= set(counts[0])
    assert row["facts_fitted"] + row["facts_dropped_mi_le_0"] == 30
    assert row["facts_fitted"] == sum(smi_metric.mutual_information(
        c["n_docs"], c["n_s"], c["n_o"], c["n_so"]) > 0 for c in counts)
    assert 0 <= row["mean_accuracy"] <= 1 and row["final_loss"] < 7
    retention = list(read_jsonl(tmp_path / "run/retention/nano.jsonl"))
    assert len(retention) == 30 and all(r["total"] == 3 for r in retention)
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
