"""MWP sources, judge, ingest and run folders on the real files in ../shared/data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowbench.datasets_src.mwpes import read_problems
from knowbench.datasets_src.mwpes.collect import CollectConfig
from knowbench.datasets_src.mwpes.ingest import read_gsm8k_example_solutions
from knowbench.datasets_src.mwpes.judge import extract_answer, judge, to_number
from knowbench.datasets_src.mwpes.prompts import build_messages
from knowbench.datasets_src.mwpes.runs import open_run, read_run
from knowbench.datasets_src.mwpes.schema import Problem
from knowbench.errors import ConfigError, RunStateError, SourceFormatError

FILES = {
    "gsm8k": "gsm8k_test.jsonl",
    "svamp": "svamp_SVAMP.json",
    "aqua": "aqua_test.json",
    "math": "math_test.jsonl",
    "asdiv": "asdiv_ASDiv.xml",
}


def _records(path: Path) -> int:
    """Records in a source file, counted independently of the readers."""
    if path.suffix == ".xml":
        import xml.etree.ElementTree as ET

        return len(ET.parse(path).getroot().findall(".//Problem"))
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return len(json.loads(text))
    return sum(1 for line in text.splitlines() if line.strip())


@pytest.fixture(scope="module")
def problems(shared_data: Path) -> dict[str, list[Problem]]:
    return {name: read_problems(name, shared_data / "mwp" / file) for name, file in FILES.items()}


@pytest.mark.parametrize("name", list(FILES))
def test_every_record_is_read_with_unique_ids(
    shared_data: Path, problems: dict[str, list[Problem]], name: str
) -> None:
    read = problems[name]
    assert len(read) == _records(shared_data / "mwp" / FILES[name])
    assert len({p.problem_id for p in read}) == len(read)
    assert all(p.dataset == name and p.question.strip() and p.gold_answer.strip() for p in read)


def test_issue_counts(problems: dict[str, list[Problem]]) -> None:
    assert {k: len(v) for k, v in problems.items()} == {
        "gsm8k": 1319,
        "svamp": 1000,
        "aqua": 254,
        "math": 5000,
        "asdiv": 2305,
    }


def test_gsm8k_gold_and_calculator_steps(shared_data: Path, problems: dict[str, list[Problem]]) -> None:
    raw = [json.loads(line) for line in (shared_data / "mwp" / FILES["gsm8k"]).read_text().splitlines()]
    for record, problem in zip(raw, problems["gsm8k"], strict=True):
        assert to_number(problem.gold_answer) == to_number(record["answer"].split("####")[-1])
        assert len(problem.steps) == record["answer"].count("<<")
    first = problems["gsm8k"][0]
    assert [(s.expression, s.result) for s in first.steps] == [("16-3-4", "9"), ("9*2", "18")]


def test_math_aqua_asdiv_fields(problems: dict[str, list[Problem]]) -> None:
    math = problems["math"]
    assert all(p.level and p.type for p in math)
    assert all(p.gold_answer in p.gold_solution for p in math)
    aqua = problems["aqua"]
    assert all(len(p.options) == 5 and p.gold_answer in p.option_map() for p in aqua)
    asdiv = {p.problem_id: p for p in problems["asdiv"]}
    assert asdiv["nluds-0001"].gold_answer == "9" and asdiv["nluds-0001"].level == "Grade 1"
    assert not any(
        "(" in p.gold_answer and ")" in p.gold_answer and " (" in p.gold_answer for p in asdiv.values()
    )


def test_gold_solutions_judge_correct(problems: dict[str, list[Problem]]) -> None:
    """Each set's own gold solution (in a form the judge reads) is judged correct: the judge and gold agree."""
    for p in problems["gsm8k"]:
        assert judge(p, p.gold_solution).correct, p.problem_id
    for p in problems["svamp"] + problems["asdiv"]:
        assert judge(p, f"The answer is {p.gold_answer}.").correct, p.problem_id
    for p in problems["aqua"]:
        assert judge(p, p.gold_solution + f"\nThe answer is ({p.gold_answer}).").correct, p.problem_id
    for p in problems["math"][::250]:  # 20 problems across all subjects (math-verify is slow)
        assert judge(p, p.gold_solution).correct, p.problem_id


def test_aqua_rationales_alone_mostly_judge_correct(problems: dict[str, list[Problem]]) -> None:
    """AQuA's human rationales end in many forms ("Answer: C", "ANS:D", a line "B", "C is correct"); the letter
    extraction reads nearly all of them (the rest end without naming any letter)."""
    verdicts = [judge(p, p.gold_solution) for p in problems["aqua"]]
    assert sum(v.correct for v in verdicts) / len(verdicts) >= 0.95
    assert all(v.extracted is not None for v in verdicts)


def test_wrong_answers_are_wrong(problems: dict[str, list[Problem]]) -> None:
    for p in problems["gsm8k"][:200]:
        value = to_number(p.gold_answer)
        assert judge(p, f"The answer is {value + 1}.").label == "wrong"
    for p in problems["aqua"][:50]:
        other = next(k for k in "ABCDE" if k != p.gold_answer)
        assert judge(p, f"So the answer is ({other}).").label == "wrong"
    math = problems["math"][0]
    assert judge(math, "The answer is $\\boxed{3}$.").label == "wrong"
    assert judge(math, "I cannot solve this.").label == "no_answer"


def test_extraction_forms() -> None:
    assert extract_answer("so 5 apples.\n#### 1,234").answer == "1,234"
    assert extract_answer("The answer is $18.00.").answer == "18.00"
    assert extract_answer("x = 3, then the final answer: -2.5 kg").answer == "-2.5"
    assert extract_answer("It costs 7 then 9 dollars").method == "last-number"
    assert extract_answer("Therefore \\boxed{\\frac{9}{7}}.", "latex").answer == "\\frac{9}{7}"
    assert extract_answer("Hence the answer is (D).", "letter").answer == "D"
    assert extract_answer("I pick option B because", "letter").answer == "B"
    assert to_number("\\frac{3}{4}") == to_number("0.75") == to_number("3/4")
    assert to_number("-(1/3)") == to_number("-1/3")


def test_aqua_by_option_text(problems: dict[str, list[Problem]]) -> None:
    p = next(
        p for p in problems["aqua"] if p.option_map()[p.gold_answer].lstrip("$").replace(".", "").isdigit()
    )
    assert judge(p, f"The answer is {p.option_map()[p.gold_answer]}").correct


def test_math_verify_equivalences(problems: dict[str, list[Problem]]) -> None:
    p = next(
        p for p in problems["math"] if p.gold_answer == "\\frac{9}{7}" or p.gold_answer == "\\dfrac{9}{7}"
    )
    assert judge(p, "so x is \\boxed{9/7}").correct
    assert not judge(p, "so x is \\boxed{7/9}").correct


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("gsm8k", '{"question": "q", "answer": "1 #### 1"}\n{"question": "q2", "answer": \n', "line 2"),
        ("gsm8k", '{"question": "q", "answer": "no final"}\n', "line 1"),
        (
            "svamp",
            '[\n {"ID": "a", "Body": "b", "Question": "q", "Answer": 1.0},\n {"ID": "c", "Body": "b"}\n]',
            "line 3",
        ),
        (
            "aqua",
            '{"question": "q", "options": ["A)1", "B)2"], "rationale": "r", "correct": "F"}\n',
            "line 1",
        ),
        (
            "math",
            '{"problem": "p", "solution": "s \\\\boxed{1}"}\n\n{"problem": "p", "solution": "no box"}\n',
            "line 3",
        ),
        (
            "asdiv",
            '<?xml version="1.0"?>\n<S>\n<Problem ID="x1"><Body>b</Body><Question>q</Question>'
            '<Answer>1</Answer></Problem>\n<Problem ID="x2"><Body>b</Body></Problem>\n</S>\n',
            "line 4",
        ),
        ("asdiv", '<?xml version="1.0"?>\n<S>\n<Problem ID="x1">\n</S>\n', "line 4"),
    ],
)
def test_malformed_input_is_one_line_error(tmp_path: Path, name: str, content: str, where: str) -> None:
    path = tmp_path / f"bad-{name}"
    path.write_text(content)
    with pytest.raises(SourceFormatError) as info:
        read_problems(name, path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path)) and f": {where}" in message


@pytest.fixture(scope="module")
def ingested(gpt3_ingest: tuple[Path, dict[str, int]]) -> tuple[Path, dict[str, int]]:
    return gpt3_ingest


def test_published_labels_agree(ingested: tuple[Path, dict[str, int]]) -> None:
    """The judge against OpenAI's is_correct on all 5,276 GPT-3 solutions (the figure is computed by ingest)."""
    _, counts = ingested
    assert counts["samples"] == 5276
    assert counts["agree"] / counts["samples"] >= 0.99


def test_ingest_matches_gsm8k_ids_and_counts(
    shared_data: Path, problems: dict[str, list[Problem]], ingested: tuple[Path, dict[str, int]]
) -> None:
    solutions = shared_data / "mwp_solutions/gsm8k_example_model_solutions.jsonl"
    out, counts = ingested
    labels = [e for _, es in read_gsm8k_example_solutions(solutions) for e in es]
    assert counts["samples"] == len(labels) and counts["published_wrong"] == sum(
        not ok for _, _, ok in labels
    )
    run = read_run(out)
    assert len(run.samples) == counts["samples"] == len({s["id"] for s in run.samples})
    assert sum(s["verdict"] != "correct" for s in run.samples) == counts["wrong"]
    assert all(s["published_label"] == ok for s, (_, _, ok) in zip(run.samples, labels, strict=True))
    # same problem ids and gold as the GSM8K reader (the file is in test.jsonl order)
    by_id = {p.problem_id: p for p in problems["gsm8k"]}
    assert all(
        by_id[pid].question == p.question and by_id[pid].gold_answer == p.gold_answer
        for pid, p in run.problems.items()
    )


def test_run_folder_refuses_another_run(tmp_path: Path) -> None:
    problems = [Problem("gsm8k", "test-0", "q", "1", "s")]
    open_run(tmp_path / "r", {"dataset": "gsm8k", "model": "a", "limit": 1}, problems)
    open_run(tmp_path / "r", {"dataset": "gsm8k", "model": "a", "limit": 5}, problems)  # limit may change
    with pytest.raises(RunStateError, match="model"):
        open_run(tmp_path / "r", {"dataset": "gsm8k", "model": "b", "limit": 1}, problems)


def test_collect_config_and_prompts() -> None:
    with pytest.raises(ConfigError, match="temperature"):
        CollectConfig(dataset="gsm8k", backend="x:y", strategy="sample", temperature=0, samples=3)
    with pytest.raises(ConfigError, match="dataset"):
        CollectConfig(dataset="gsm9k", backend="x:y")
    assert CollectConfig(dataset="math", backend="x:y", few_shot=2).strategy_key == "greedy-fs2"
    aqua = Problem("aqua", "test-0", "q?", "B", "", options=("A)1", "B)2"))
    assert "A)1 B)2" in build_messages(aqua)[-1]["content"]
    assert len(build_messages(aqua, few_shot=4)) == 9


@pytest.mark.slow
def test_judge_imports_without_torch() -> None:
    import subprocess
    import sys

    code = "import sys, knowbench.datasets_src.mwpes.judge, knowbench.datasets_src.mwpes.collect; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_download_spec_names_every_dataset() -> None:
    from knowbench.datasets_src.mwpes.download import GITHUB_FILES, HUB_SOURCES

    assert set(HUB_SOURCES) == set(FILES) and set(FILES) <= set(GITHUB_FILES)
