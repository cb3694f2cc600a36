"""Ingest format ``lm-eval``: real ``--log_samples`` files of the harness -> a judged run folder -> ``build mwpes``.

The harness files are written by lm-eval itself (``simple_evaluate`` + its ``EvaluationTracker``, exactly what
``lm_eval --log_samples --output_path`` does) over tasks exported from the real GSM8K and AQuA test files; the
model is a replay ``LM`` whose answers are derived from each problem, so some are right and some wrong.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("lm_eval")
from lm_eval.api.model import LM

from knowbench.datasets_src.mwpes import read_problems
from knowbench.datasets_src.mwpes.formats import FORMATS, read_solutions
from knowbench.datasets_src.mwpes.formats.lm_eval import read_samples
from knowbench.datasets_src.mwpes.ingest import ingest
from knowbench.datasets_src.mwpes.judge import judge
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.training.common.lm_eval import write_export
from knowbench.training.mwpes.lm_eval import build_export


def ingest_lm_eval(solutions: list, out: Path) -> dict:
    """The registered ``lm-eval`` format through the one ingest path; the counts these tests check."""
    counts = ingest(list(solutions), out, "lm-eval")
    return {key: counts[key] for key in ("samples", "wrong", "added")}

LIMIT = 12


class ReplayLM(LM):
    """Answers a problem right, with another number, a wrong option or nothing, by a hash of the prompt."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {}

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        out = []
        for request in requests:
            context, gold = request.arguments[0], request.doc["gold_answer"]
            n = self.calls[context] = self.calls.get(context, -1) + 1
            options = [f"So it is {gold}.\nThe answer is {gold}.", f"The answer is {gold}7.", "I give up.",
                       "The answer is (E)."]
            out.append(options[(zlib.crc32(context.encode()) + n) % len(options)])
        return out

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
        raise NotImplementedError

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
        raise NotImplementedError


def harness_run(tasks: Path, names: list[str], output: Path) -> None:
    """What ``lm_eval ... --log_samples --output_path OUTPUT`` does, in this process."""
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    tracker = EvaluationTracker(output_path=str(output))
    results = simple_evaluate(model=ReplayLM(), tasks=names, limit=LIMIT, log_samples=True, bootstrap_iters=0,
                              task_manager=TaskManager(include_path=str(tasks), include_defaults=False),
                              evaluation_tracker=tracker, verbosity="WARNING")
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for name in names:
        tracker.save_results_samples(task_name=name, samples=samples[name])


@pytest.fixture(scope="module")
def harness_files(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Samples files of a greedy run (gsm8k, aqua) and of a 2-sample run (gsm8k)."""
    root = tmp_path_factory.mktemp("lm-eval")
    sources = [f"gsm8k={shared_data / 'mwp' / 'gsm8k_test.jsonl'}", f"aqua={shared_data / 'mwp' / 'aqua_test.json'}",
               f"math={shared_data / 'mwp' / 'math_test.jsonl'}"]
    write_export(build_export(sources, out=root / "greedy"), root / "greedy")
    write_export(build_export(sources[:1], out=root / "sampled", samples=2), root / "sampled")
    harness_run(root / "greedy", ["mwpes_gsm8k", "mwpes_aqua", "mwpes_math"], root / "out-greedy")
    harness_run(root / "sampled", ["mwpes_gsm8k"], root / "out-sampled")
    return {name: sorted((root / folder).rglob(f"samples_mwpes_{task}_*.jsonl"))
            for name, folder, task in [("gsm8k", "out-greedy", "gsm8k"), ("aqua", "out-greedy", "aqua"),
                                       ("math", "out-greedy", "math"), ("sampled", "out-sampled", "gsm8k")]}


def test_ingest_judges_every_generation_with_source_ids(harness_files: dict[str, list[Path]], shared_data: Path,
                                                        tmp_path: Path) -> None:
    counts = ingest_lm_eval(harness_files["aqua"], tmp_path / "run")
    records = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    problems = {p.problem_id: p for p in read_problems("aqua", shared_data / "mwp" / "aqua_test.json")[:LIMIT]}
    logged = [json.loads(line) for line in harness_files["aqua"][0].read_text().splitlines()]
    assert counts == {"samples": LIMIT, "wrong": sum(r["verdict"] != "correct" for r in records), "added": LIMIT}
    assert {r["source_id"] for r in records} == {f"mwpes_aqua/{s['doc_id']}" for s in logged}
    by_source = {r["source_id"]: r for r in records}
    for sample in logged:
        record = by_source[f"mwpes_aqua/{sample['doc_id']}"]
        verdict = judge(problems[record["problem_id"]], sample["resps"][0][0])
        assert (record["verdict"], record["extracted_answer"]) == (verdict.label, verdict.extracted)
        assert record["solution"] == sample["resps"][0][0] and record["dataset"] == "aqua"
    assert {"correct", "wrong"} <= {r["verdict"] for r in records}
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (config["strategy"], config["temperature"], config["max_new_tokens"]) == ("greedy", 0.0, 512)
    assert config["lm_eval_version"] and config["model"] == records[0]["model"]
    assert ingest_lm_eval(harness_files["aqua"], tmp_path / "run")["added"] == 0  # re-ingest adds nothing


def test_repeats_become_sample_indices_with_the_sampling_settings(harness_files: dict[str, list[Path]],
                                                                  tmp_path: Path) -> None:
    settings, items = read_samples(harness_files["sampled"][0])
    assert (settings["strategy"], settings["temperature"], settings["repeats"]) == ("sample", 0.7, 2)
    assert all(len(texts) == 2 for _, _, texts in items)
    ingest_lm_eval(harness_files["sampled"], tmp_path / "run")
    records = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert len(records) == 2 * LIMIT and {r["sample_index"] for r in records} == {0, 1}
    assert all("/sample-t0.7-p1/" in r["id"] for r in records)


def test_round_trip_through_the_cli_builds_mwpes_with_source_ids(harness_files: dict[str, list[Path]],
                                                                   tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from knowbench.cli import main

    files = [str(p) for p in harness_files["gsm8k"]]
    assert main(["ingest", "mwpes", "--format", "lm-eval", "--solutions", files[0], *files[1:],
                 "--out", str(tmp_path / "run")]) == 0
    records = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    wrong = {r["source_id"] for r in records if r["verdict"] != "correct"}
    assert len(records) == LIMIT and 0 < len(wrong) < LIMIT
    assert main(["build", "mwpes", "--runs", str(tmp_path / "run"), "--out", str(tmp_path / "mwpes"), "--quiet"]) == 0
    table = pq.read_table(sorted((tmp_path / "mwpes" / "data" / "gsm8k").glob("*.parquet")))
    assert set(table.column("source_id").to_pylist()) == wrong  # every wrong answer differs here: none deduplicated
    counts = pq.read_table(sorted((tmp_path / "mwpes" / "data" / "counts").glob("*.parquet"))).to_pylist()
    assert [(c["samples"], c["correct"]) for c in counts] == [(LIMIT, LIMIT - len(wrong))]


def test_mixed_datasets_and_broken_files_are_refused(harness_files: dict[str, list[Path]], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="one dataset"):
        ingest_lm_eval([*harness_files["gsm8k"], *harness_files["aqua"]], tmp_path / "mixed")
    with pytest.raises(ConfigError, match="another model or generation setting"):
        ingest_lm_eval([*harness_files["gsm8k"], *harness_files["sampled"]], tmp_path / "mixed")
    assert not (tmp_path / "mixed").exists()
    lonely = tmp_path / harness_files["gsm8k"][0].name
    lonely.write_text(harness_files["gsm8k"][0].read_text())
    with pytest.raises(SourceFormatError, match="results_"):
        ingest_lm_eval([lonely], tmp_path / "run")
    with pytest.raises(SourceFormatError, match="samples_<task>_<date>"):
        ingest_lm_eval([tmp_path / "notes.jsonl"], tmp_path / "run")
    broken = harness_files["gsm8k"][0].parent / "broken"
    broken.mkdir()
    name = harness_files["gsm8k"][0].name
    (broken / name).write_text(json.dumps({"doc_id": 0, "doc": {"question": "q"}, "resps": [["4"]]}) + "\n")
    (broken / name.replace("samples_mwpes_gsm8k_", "results_").replace(".jsonl", ".json")).write_text(
        next(harness_files["gsm8k"][0].parent.glob("results_*.json")).read_text())
    with pytest.raises(SourceFormatError, match="line 1: doc is not a knowbench problem row"):
        ingest_lm_eval([broken / name], tmp_path / "run")


def test_lm_eval_is_a_registered_format_carrying_problem_settings_and_index(harness_files: dict[str, list[Path]],
                                                                              shared_data: Path) -> None:
    assert "lm-eval" in FORMATS
    path = harness_files["sampled"][0]
    settings, items = read_samples(path)
    records = list(read_solutions("lm-eval", path))
    assert len(records) == sum(len(texts) for _, _, texts in items)
    problems = {p.problem_id: p for p in read_problems("gsm8k", shared_data / "mwp" / "gsm8k_test.jsonl")}
    for record in records:
        assert record.problem == problems[record.problem.problem_id]  # the readers' row, id and gold as they are
        assert record.source_id.startswith(f"{settings['task']}/")
        assert (record.generation.temperature, record.generation.top_p) == (settings["temperature"],
                                                                            settings["top_p"])
    assert sorted({r.generation.sample_index for r in records}) == list(range(settings["repeats"]))
    assert len({r.run_settings for r in records}) == 1
    assert dict(records[0].run_settings)["model"] == settings["model"]


@pytest.mark.parametrize("task", ["aqua", "math"])
def test_non_numeric_golds_ingest_through_the_registry(harness_files: dict[str, list[Path]], shared_data: Path,
                                                       tmp_path: Path, task: str) -> None:
    source = {"aqua": "aqua_test.json", "math": "math_test.jsonl"}[task]
    problems = {p.problem_id: p for p in read_problems(task, shared_data / "mwp" / source)}
    counts = ingest(harness_files[task], tmp_path / "run", "lm-eval")
    records = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert counts["added"] == counts["samples"] == LIMIT and counts["skipped_bad_gold"] == 0
    stored = [json.loads(line) for line in (tmp_path / "run" / "problems.jsonl").read_text().splitlines()]
    assert all(p == problems[p["problem_id"]].to_dict() for p in stored)  # gold letters / LaTeX kept as they are
    for record in records:
        verdict = judge(problems[record["problem_id"]], record["solution"])
        assert (record["verdict"], record["dataset"]) == (verdict.label, task)
    assert {"correct", "wrong"} <= {r["verdict"] for r in records}


def test_a_gold_that_is_not_an_answer_of_its_kind_is_a_one_line_error(harness_files: dict[str, list[Path]],
                                                                      tmp_path: Path) -> None:
    original = harness_files["aqua"][0]
    bad = tmp_path / original.name
    lines = original.read_text().splitlines()
    broken = json.loads(lines[2])
    broken["doc"]["gold_answer"] = "Let's think step by step."
    bad.write_text("\n".join([*lines[:2], json.dumps(broken), *lines[3:]]) + "\n")
    results = next(original.parent.glob("results_*.json"))
    (tmp_path / results.name).write_text(results.read_text())
    with pytest.raises(SourceFormatError, match=r"record 3: gold answer .* is not an answer \(a letter\)") as error:
        ingest([bad], tmp_path / "run", "lm-eval")
    assert "\n" not in str(error.value) and str(bad) in str(error.value)
    assert not (tmp_path / "run").exists()
    counts = ingest([bad], tmp_path / "run", "lm-eval", skip_bad_gold=True)
    assert (counts["skipped_bad_gold"], counts["added"]) == (1, len(lines) - 1)
