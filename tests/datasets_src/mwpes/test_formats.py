"""Ingest formats (mr-gsm8k, eic, jsonl with --map, the GPT-3 file) and ingest itself, on the real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowbench.datasets_src.mwpes import read_problems
from knowbench.datasets_src.mwpes.formats import FORMATS, SolutionRecord, read_solutions
from knowbench.datasets_src.mwpes.ingest import ingest, problem_id_for, valid_gold
from knowbench.datasets_src.mwpes.runs import read_run
from knowbench.datasets_src.mwpes.schema import format_number
from knowbench.errors import ConfigError, SourceFormatError, UnknownNameError

MR = "mwp_solutions/mr_gsm8k_wrong_dev.jsonl"
EIC = "mwp_errors/eic_gsm8k"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_registry_lists_every_format_and_rejects_unknown_names(shared_data: Path) -> None:
    assert {"mr-gsm8k", "eic", "jsonl", "gsm8k-example-solutions"} <= set(FORMATS)
    with pytest.raises(UnknownNameError, match="mr-gsm8k"):
        list(read_solutions("mr_gsm8k", shared_data / MR))


def test_mr_gsm8k_keeps_uuid_labels_and_steps(shared_data: Path) -> None:
    raw = _lines(shared_data / MR)
    records = list(read_solutions("mr-gsm8k", shared_data / MR))
    assert len(records) == len(raw)
    for record, row in zip(records, raw, strict=True):
        assert record.source_id == row["uuid"] == record.content_id()
        assert record.solution.split("\n") == [s.strip() for s in row["model_output_steps"]]
        assert record.label_dict["first_error_step"] == row["model_output_solution_first_error_step"]
        assert record.label_dict["question_type"] == row["question_type"]
        assert valid_gold(record.gold_answer) is not None  # every gold answer is a number, also for reversed rows
    # rows whose ground_truth_answer is not an answer take the answer their reference states
    replaced = [(r, row) for r, row in zip(records, raw, strict=True) if valid_gold(str(row["ground_truth_answer"])) is None]
    assert replaced and all(r.gold_answer in row["ground_truth_solution"] for r, row in replaced)


def test_eic_reads_every_file(shared_data: Path) -> None:
    for path in sorted((shared_data / EIC).glob("*.jsonl")):
        raw = _lines(path)
        records = list(read_solutions("eic", path))
        assert len(records) == len(raw)
        assert [r.label_dict["first_error_step"] for r in records] == [row["wrong_step"] for row in raw]
        assert [r.label_dict["error_type"] for r in records] == [row["wrong_type"] for row in raw]
        assert all(r.reference == row["original_solution"] and r.solution == row["transformed_solution"]
                   for r, row in zip(records, raw, strict=True))
        assert all(r.content_id().startswith("sha1-") for r in records)


def test_jsonl_mapping_reads_renamed_keys(shared_data: Path, tmp_path: Path) -> None:
    raw = _lines(shared_data / MR)[:20]
    renamed = [{"problem": r["question"], "output": "\n".join(r["model_output_steps"]), "answer": r["ground_truth_answer"],
                "meta": {"uid": r["uuid"]}, "solver": "some-model"} for r in raw]
    path = _write(tmp_path / "renamed.jsonl", renamed)
    records = list(read_solutions("jsonl", path, mapping="question=problem,solution=output,answer=answer,"
                                  "id=meta.uid,model=solver"))
    assert [r.source_id for r in records] == [r["uuid"] for r in raw]
    assert {r.model for r in records} == {"some-model"}
    with pytest.raises(ConfigError, match="lacks solution"):
        list(read_solutions("jsonl", path, mapping="question=problem,answer=answer"))
    with pytest.raises(ConfigError, match="unknown field 'colour'"):
        list(read_solutions("jsonl", path, mapping="question=problem,solution=output,answer=answer,colour=x"))


@pytest.mark.parametrize(("fmt", "source", "breaks"), [
    ("mr-gsm8k", MR, lambda r: r.pop("model_output_steps")),
    ("mr-gsm8k", MR, lambda r: r.update(model_output_solution_first_error_step="second")),
    ("eic", f"{EIC}/operator_error.jsonl", lambda r: r.update(wrong_step=0)),
    ("eic", f"{EIC}/operator_error.jsonl", lambda r: r.pop("transformed_solution")),
    ("jsonl", MR, lambda r: r.update(question=["not", "text"])),
])
def test_malformed_records_are_one_line_errors(shared_data: Path, tmp_path: Path, fmt: str, source: str, breaks) -> None:
    records = _lines(shared_data / source)[:5]
    breaks(records[3])
    path = _write(tmp_path / "broken.jsonl", records)
    options = {"mapping": "question=question,solution=uuid,gold=ground_truth_answer"} if fmt == "jsonl" else {}
    with pytest.raises(SourceFormatError) as info:
        list(read_solutions(fmt, path, **options))
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path)) and "line 4" in message


def test_ingest_mr_gsm8k_ids_from_content(shared_data: Path, tmp_path: Path) -> None:
    raw = _lines(shared_data / MR)
    first, second = _write(tmp_path / "a.jsonl", raw[:150]), _write(tmp_path / "b.jsonl", raw[120:])
    counts = ingest(first, tmp_path / "run-a", "mr-gsm8k")
    ingest(second, tmp_path / "run-b", "mr-gsm8k")
    run_a, run_b = read_run(tmp_path / "run-a"), read_run(tmp_path / "run-b")
    assert counts["samples"] == 150 and counts["wrong"] == 150  # every human-labelled wrong solution stays wrong
    # the 30 shared rows get the same problem ids and sample ids in both runs, never positional ones
    ids_a = {s["source_id"]: (s["problem_id"], s["id"]) for s in run_a.samples}
    ids_b = {s["source_id"]: (s["problem_id"], s["id"]) for s in run_b.samples}
    shared = set(ids_a) & set(ids_b)
    assert len(shared) == 30 and all(ids_a[u] == ids_b[u] for u in shared)
    assert all(p == problem_id_for(run_a.problems[p].question) for p in run_a.problems)
    labelled = {s["source_id"]: s["label_first_error_step"] for s in run_a.samples}
    assert labelled == {r["uuid"]: r["model_output_solution_first_error_step"] for r in raw[:150]}


def test_ingest_matches_known_problems(shared_data: Path, tmp_path: Path) -> None:
    gsm8k = read_problems("gsm8k", shared_data / "mwp/gsm8k_test.jsonl")
    questions = {" ".join(p.question.lower().split()): p.problem_id for p in gsm8k}
    counts = ingest(shared_data / MR, tmp_path / "run", "mr-gsm8k", problems=gsm8k)
    run = read_run(tmp_path / "run")
    matched = [p for p in run.problems.values() if p.problem_id.startswith("test-")]
    assert counts["matched_problems"] == len(matched) > 0
    assert all(questions[" ".join(p.question.lower().split())] == p.problem_id for p in matched)


def test_gold_that_is_not_an_answer(shared_data: Path, tmp_path: Path) -> None:
    rows = _lines(shared_data / MR)[:6]
    for row in rows[2:4]:
        row["ground_truth_answer"], row["ground_truth_solution"] = "Let's think step by step.", ""
    path = _write(tmp_path / "bad.jsonl", rows)
    with pytest.raises(SourceFormatError) as info:
        ingest(path, tmp_path / "run", "mr-gsm8k")
    assert "\n" not in str(info.value) and "record 3" in str(info.value) and "Let's think" in str(info.value)
    assert not (tmp_path / "run").exists()
    counts = ingest(path, tmp_path / "run", "mr-gsm8k", skip_bad_gold=True)
    assert counts["skipped_bad_gold"] == 2 and counts["samples"] == 4


def test_eic_files_build_together(shared_data: Path, tmp_path: Path) -> None:
    from knowbench.builders import get_builder
    from knowbench.builders.writer import build_to_folder
    from knowbench.loaders.mwpes import load_rows

    runs = []
    for path in sorted((shared_data / EIC).glob("*.jsonl"))[:3]:
        runs.append(tmp_path / path.stem)
        ingest(path, runs[-1], "eic")
    build_to_folder(get_builder("mwpes", runs=tuple(runs)), tmp_path / "built")
    rows = load_rows(tmp_path / "built")
    samples = [s for run in runs for s in read_run(run).samples]
    assert sum(r.duplicates for r in rows) == len(samples)
    assert {r.source_id for r in rows} <= {s["source_id"] for s in samples}
    assert all(r.label_error_type and r.label_first_error_step for r in rows)


@pytest.mark.parametrize(("dataset", "source"), [("gsm8k", "gsm8k_test.jsonl"), ("svamp", "svamp_SVAMP.json"),
                                                 ("asdiv", "asdiv_ASDiv.xml"), ("aqua", "aqua_test.json"),
                                                 ("math", "math_test.jsonl")])
def test_every_gold_of_the_readers_is_an_answer_of_its_kind_and_prose_is_not(shared_data: Path, dataset: str,
                                                                              source: str) -> None:
    problems = read_problems(dataset, shared_data / "mwp" / source)
    assert [p.gold_answer for p in problems if valid_gold(p.gold_answer, dataset, p.question) is None] == []
    for prose in ("Let's think step by step.", "The answer cannot be determined from the question.", ""):
        assert [p.problem_id for p in problems if valid_gold(prose, dataset, p.question) is not None] == []
    if dataset in ("gsm8k", "svamp"):  # numbers come out plain, as the GSM8K-style formats always had them
        assert all(valid_gold(p.gold_answer, dataset) == format_number(p.gold_answer) for p in problems)


def test_cli_chooses_any_registered_format_and_reads_several_files(shared_data: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from knowbench.cli import main

    rows = _lines(shared_data / MR)

    def read_tsv(path: Path, model: str = "unknown"):  # a format the CLI has never heard of
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").rstrip("\n").split("\n"), 1):
            question, solution, gold = line.split("\t")
            yield SolutionRecord(question, solution.replace("\\n", "\n"), gold, model, number)

    monkeypatch.setitem(FORMATS._entries, "tsv", read_tsv)
    halves = [rows[:40], rows[40:80]]
    files = []
    for number, half in enumerate(halves):
        lines = [[r["question"], "\\n".join(r["model_output_steps"]), str(r["ground_truth_answer"])] for r in half]
        files.append(tmp_path / f"part{number}.tsv")
        files[-1].write_text("".join("\t".join(" ".join(v.split()) for v in line) + "\n" for line in lines
                                     if valid_gold(line[2]) is not None), encoding="utf-8")
    assert main(["ingest", "mwpes", "--format", "tsv", "--solutions", str(files[0]), str(files[1]),
                 "--out", str(tmp_path / "run")]) == 0
    run = read_run(tmp_path / "run")
    expected = sum(f.read_text(encoding="utf-8").count("\n") for f in files)
    assert len(run.samples) == expected and run.config["format"] == "tsv"
    assert {source["file"] for source in run.config["sources"]} == {f.name for f in files}
    # the same through mr-gsm8k: two files of one format in one call, as one file would give
    for number, half in enumerate(halves):
        _write(tmp_path / f"mr{number}.jsonl", half)
    assert main(["ingest", "mwpes", "--format", "mr-gsm8k", "--skip-bad-gold", "--solutions",
                 str(tmp_path / "mr0.jsonl"), str(tmp_path / "mr1.jsonl"), "--out", str(tmp_path / "both")]) == 0
    _write(tmp_path / "mr.jsonl", rows[:80])
    ingest(tmp_path / "mr.jsonl", tmp_path / "one", "mr-gsm8k", skip_bad_gold=True)
    assert {s["id"] for s in read_run(tmp_path / "both").samples} == {s["id"] for s in read_run(tmp_path / "one").samples}
