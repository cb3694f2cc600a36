"""MWPES build from the ingested GPT-3 GSM8K solutions (+ a tiny real SmolLM2 run in the slow test)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from knowbench.builders import get_builder
from knowbench.builders.writer import build_to_folder
from knowbench.datasets_src.mwpes.ingest import ingest
from knowbench.datasets_src.mwpes.runs import read_run
from knowbench.errors import ConfigError
from knowbench.folder import read_folder
from knowbench.loaders import load


@pytest.fixture(scope="module")
def built(mwpes_build: tuple[Path, object]) -> tuple[Path, object]:
    return mwpes_build


def test_builds_the_published_errors(gpt3_run: Path, built: tuple[Path, object]) -> None:
    out, report = built
    samples = read_run(gpt3_run).samples
    wrong = [s for s in samples if s["verdict"] != "correct"]
    assert report.rows("all", "train") == report.rows("gsm8k", "train") == len({(s["id"], s["solution"]) for s in wrong})
    table = pq.read_table(out / "data" / "all").to_pylist()
    assert sum(r["duplicates"] for r in table) == len(wrong)
    assert {r["verdict"] for r in table} <= {"wrong", "no_answer"}
    assert len({r["sample_id"] for r in table}) == len(table)
    # the counts config holds every judged sample, correct ones included
    counts = pq.read_table(out / "data" / "counts").to_pylist()
    assert sum(c["samples"] for c in counts) == len(samples)
    assert sum(c["correct"] for c in counts) == sum(s["verdict"] == "correct" for s in samples)
    assert report.statistics["wrong_samples"] == len(wrong)


def test_card_parses_and_matches_files(built: tuple[Path, object]) -> None:
    from huggingface_hub import DatasetCard

    out, report = built
    info = read_folder(out)
    assert info.configs == ["all", "gsm8k", "counts"]
    for split in info.splits:
        assert split.num_examples == split.declared_examples == report.rows(split.config, split.split)
    card = DatasetCard.load(out / "README.md")
    assert "knowbench" in card.data.to_dict()["tags"]
    text = card.text
    per_model = report.statistics["per_model"]
    for entry in per_model:
        assert f"| {entry['model']} | {entry['samples']:,} | {entry['correct']:,} | {entry['wrong']:,} |" in text


def test_loads_with_load_dataset_and_typed_rows(built: tuple[Path, object]) -> None:
    from knowbench.loaders.mwpes import MWPESRow, load_rows

    out, report = built
    dataset = load("mwpes", out, "all", split="train")
    assert len(dataset) == report.rows("all", "train")
    rows = load_rows(out)
    assert all(isinstance(r, MWPESRow) for r in rows)
    first = next(r for r in rows if r.gold_steps)
    assert first.dataset == "gsm8k" and first.published_label is False and first.verdict in ("wrong", "no_answer")
    assert Counter(r.model for r in rows) == Counter(dataset["model"])


def test_same_run_twice_is_refused(gpt3_run: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="twice"):
        get_builder("mwpes", runs=(gpt3_run, gpt3_run))
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("config.json", "problems.jsonl", "samples.jsonl"):
        (copy / name).write_bytes((gpt3_run / name).read_bytes())
    with pytest.raises(ConfigError, match="appears in two runs"):
        build_to_folder(get_builder("mwpes", runs=(gpt3_run, copy)), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_with_a_smollm2_run(shared_data: Path, gpt3_run: Path, tmp_path: Path) -> None:
    """GPT-3 errors plus a real sampled SmolLM2 run on two GSM8K problems, built with the CLI."""
    smol = tmp_path / "smol"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [sys.executable, "-m", "knowbench", "collect", "mwp", "--dataset", "gsm8k", "--backend", "transformers:smollm2",
         "--strategy", "sample", "--temperature", "0.05", "--top-p", "0.9", "--samples", "3", "--limit", "2",
         "--max-new-tokens", "8", "--quiet", "--source", str(shared_data / "mwp/gsm8k_test.jsonl"), "--out", str(smol)],
        env=env, check=True, capture_output=True, timeout=900,
    )
    out = tmp_path / "mwpes"
    subprocess.run(
        [sys.executable, "-m", "knowbench", "build", "mwpes", "--runs", str(gpt3_run), str(smol), "--out", str(out)],
        env=env, check=True, capture_output=True, timeout=600,
    )
    smol_samples = read_run(smol).samples
    assert len(smol_samples) == 6
    rows = list(load("mwpes", out, "all", split="train"))
    mine = [r for r in rows if r["model"] == "smollm2"]
    wrong = [s for s in smol_samples if s["verdict"] != "correct"]
    assert sum(r["duplicates"] for r in mine) == len(wrong)
    assert len(mine) == len({(s["problem_id"], " ".join(s["solution"].split())) for s in wrong})
    assert all(r["strategy"] == "sample" and r["temperature"] == 0.05 for r in mine)
    counts = list(load("mwpes", out, "counts", split="train"))
    assert {c["model"] for c in counts} == {"gpt3-6b", "gpt3-175b", "smollm2"}


def test_a_run_without_samples_is_refused_and_the_previous_output_kept(gpt3_run: Path, tmp_path: Path) -> None:
    from knowbench.builders import build
    from knowbench.errors import SourceFormatError

    demo = Path(__file__).resolve().parents[2] / "examples" / "mwpes" / "gsm8k_demo_solutions.jsonl"
    run = tmp_path / "demo-run"
    ingest(demo, run)
    out = tmp_path / "mwpes"
    build("mwpes", out, runs=(run,))
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    empty = tmp_path / "empty-run"
    empty.mkdir()
    for name in ("config.json", "problems.jsonl"):
        (empty / name).write_bytes((run / name).read_bytes())
    with pytest.raises(SourceFormatError, match="no rows in any split"):
        build("mwpes", out, runs=(empty,))
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before


def test_rows_stream_in_run_order_with_duplicates_folded(tmp_path: Path) -> None:
    """Two runs of the demo solutions under different folders: each distinct wrong solution once per run's
    model and strategy, in the order the runs and their samples come."""
    from knowbench.builders import get_builder

    demo = Path(__file__).resolve().parents[2] / "examples" / "mwpes" / "gsm8k_demo_solutions.jsonl"
    run = tmp_path / "run"
    ingest(demo, run)
    samples = read_run(run).samples
    builder = get_builder("mwpes", runs=(run,))
    rows = list(builder.generate("all", "train"))
    first: dict[tuple[str, str], str] = {}
    for s in samples:
        if s["verdict"] != "correct":
            first.setdefault((s["id"].rsplit("/", 1)[0], " ".join(s["solution"].split())), s["id"])
    assert [r["sample_id"] for r in rows] == list(first.values())
    assert sum(r["duplicates"] for r in rows) == sum(s["verdict"] != "correct" for s in samples)


def test_cli_takes_run_folders_after_runs(tmp_path: Path, capsys) -> None:
    """`build mwpes --runs R1 R2 --out D`: R2 is a run folder too (here not one, so the one-line error names it)."""
    from knowbench.cli import main

    demo = Path(__file__).resolve().parents[2] / "examples" / "mwpes" / "gsm8k_demo_solutions.jsonl"
    run, not_a_run = tmp_path / "run", tmp_path / "not-a-run"
    ingest(demo, run)
    not_a_run.mkdir()
    out = tmp_path / "mwpes"
    assert main(["build", "mwpes", "--runs", str(run), str(not_a_run), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and str(not_a_run) in err and "\n" not in err and not out.exists()
    assert main(["build", "mwpes", "--runs", str(run), "--out", str(out), "--quiet"]) == 0
    assert read_folder(out).rows("counts", "train") == len({(s["model"], s["strategy"]) for s in read_run(run).samples})


def test_eic_repeats_are_folded_and_distinct_source_ids_stay(shared_data: Path, tmp_path: Path) -> None:
    """EIC lists some generated solutions twice (same question, same wrong solution): those fold into one row, and
    the rows equal the distinct (question, solution) pairs of the file; a source that gives two identical solutions
    two ids of its own keeps two rows."""
    import json

    from knowbench.builders import build

    path = shared_data / "mwp_errors" / "eic_gsm8k" / "counting_error.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    pairs = {(" ".join(r["question"].split()), " ".join(r["transformed_solution"].split())) for r in records}
    ingest(path, tmp_path / "run", fmt="eic")
    report = build("mwpes", tmp_path / "out", runs=(tmp_path / "run",))
    assert report.rows("all", "train") == len(pairs) < len(records)
    assert report.statistics["duplicates_removed"] == len(records) - len(pairs)
    labels: dict[tuple[str, str], set[tuple[int, str]]] = {}
    for r in records:
        key = (" ".join(r["question"].split()), " ".join(r["transformed_solution"].split()))
        labels.setdefault(key, set()).add((r["wrong_step"], r["wrong_type"]))
    first: dict[tuple[str, str], tuple[int, str]] = {}
    for r in records:
        key = (" ".join(r["question"].split()), " ".join(r["transformed_solution"].split()))
        first.setdefault(key, (r["wrong_step"], r["wrong_type"]))
    differing = sum((r["wrong_step"], r["wrong_type"]) != first[(" ".join(r["question"].split()),
                    " ".join(r["transformed_solution"].split()))] for r in records)
    assert report.statistics["duplicates_with_other_labels"] == differing
    # the same two records under ids of their own (a jsonl source with an id field) stay two rows
    twin = tmp_path / "twins.jsonl"
    record = records[0]
    twin.write_text("".join(json.dumps({"q": record["question"], "s": record["transformed_solution"],
                                        "a": record["original_answer"], "id": uid}) + "\n" for uid in ("u1", "u2")))
    ingest(twin, tmp_path / "twins", fmt="jsonl", mapping="question=q,solution=s,gold=a,id=id")
    twins = build("mwpes", tmp_path / "twins-out", runs=(tmp_path / "twins",))
    assert twins.rows("all", "train") == 2
