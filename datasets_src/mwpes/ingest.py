"""Published model solutions as a run folder of their own (no model needed).

``gsm8k-example-solutions``: openai/grade-school-math ``example_model_solutions.jsonl``: per GSM8K test question,
the ``ground_truth`` solution (final line ``A: <answer>``) and four GPT-3 solutions, ``6b_finetuning``,
``6b_verification``, ``175b_finetuning``, ``175b_verification``, each ``{"solution", "is_correct"}``. Lines are in
the order of ``test.jsonl``, so problem ids match the GSM8K reader's (``test-<line index>``).
Every solution is judged by :func:`~knowbench.datasets_src.mwpes.judge.judge`; ``is_correct`` is kept beside the
verdict as ``published_label``.

Example:
    >>> model_and_strategy("175b_verification")
    ('gpt3-175b', 'verification')
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from knowbench.datasets_src.mwpes._common import require_str
from knowbench.datasets_src.mwpes.judge import judge
from knowbench.datasets_src.mwpes.runs import open_run, sample_id
from knowbench.datasets_src.mwpes.schema import Problem, calculator_steps, format_number
from knowbench.errors import ConfigError, SourceFormatError
from knowbench.io import iter_jsonl, sha256_file

FORMATS = ("gsm8k-example-solutions",)
SOLUTION_KEYS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def model_and_strategy(key: str) -> tuple[str, str]:
    """``"6b_finetuning"`` -> (``"gpt3-6b"``, ``"finetuning"``)."""
    size, _, strategy = key.partition("_")
    return f"gpt3-{size}", strategy


def _gold(ground_truth: str, path: object, where: str) -> str:
    last = ground_truth.rstrip().rsplit("\n", 1)[-1]
    if not last.startswith("A:"):
        raise SourceFormatError(path, where, f"ground_truth does not end with an 'A: <answer>' line: {last[:60]!r}")
    return format_number(last[2:].strip())


def read_gsm8k_example_solutions(
    path: str | os.PathLike[str],
) -> Iterator[tuple[Problem, list[tuple[str, str, bool]]]]:
    """Yield ``(problem, [(key, solution, is_correct), ...])`` per line; malformed lines raise naming the line."""
    for index, (line, record) in enumerate(iter_jsonl(path)):
        where = f"line {line}"
        question = require_str(record, "question", path, where)
        ground_truth = require_str(record, "ground_truth", path, where)
        problem = Problem(
            dataset="gsm8k",
            problem_id=f"test-{index}",
            question=question,
            gold_answer=_gold(ground_truth, path, where),
            gold_solution=ground_truth,
            steps=calculator_steps(ground_truth),
        )
        solutions = []
        for key in SOLUTION_KEYS:
            entry = record.get(key)
            if not isinstance(entry, dict) or not isinstance(entry.get("solution"), str):
                raise SourceFormatError(path, where, f"{key!r} must be an object with a 'solution' string")
            if not isinstance(entry.get("is_correct"), bool):
                raise SourceFormatError(path, where, f"{key}.is_correct must be true or false, got {entry.get('is_correct')!r}")
            solutions.append((key, entry["solution"], entry["is_correct"]))
        yield problem, solutions


def ingest(solutions: str | os.PathLike[str], out: str | os.PathLike[str], fmt: str = "gsm8k-example-solutions") -> dict[str, Any]:
    """Turn a published solutions file into the run folder ``out``; returns counts (samples, wrong, agreement).

    Re-running on the same folder adds nothing (samples are keyed by id).
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown solutions format {fmt!r}; known: {', '.join(FORMATS)}")
    solutions = Path(solutions)
    items = list(read_gsm8k_example_solutions(solutions))
    config = {
        "kind": "ingest",
        "format": fmt,
        "dataset": "gsm8k",
        "source": solutions.name,
        "source_sha256": sha256_file(solutions),
        "models": sorted({model_and_strategy(k)[0] for k in SOLUTION_KEYS}),
        "strategies": sorted({model_and_strategy(k)[1] for k in SOLUTION_KEYS}),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    log = open_run(out, config, [problem for problem, _ in items])
    done = log.done_ids()
    records = []
    counts = {"samples": 0, "wrong": 0, "published_wrong": 0, "agree": 0}
    for problem, entries in items:
        for key, text, is_correct in entries:
            model, strategy = model_and_strategy(key)
            verdict = judge(problem, text)
            counts["samples"] += 1
            counts["wrong"] += not verdict.correct
            counts["published_wrong"] += not is_correct
            counts["agree"] += verdict.correct == is_correct
            sid = sample_id("gsm8k", problem.problem_id, model, strategy, 0)
            if sid in done:
                continue
            records.append(
                {
                    "id": sid,
                    "dataset": "gsm8k",
                    "problem_id": problem.problem_id,
                    "model": model,
                    "strategy": strategy,
                    "temperature": None,
                    "top_p": None,
                    "sample_index": 0,
                    "prompt_style": "published",
                    "solution": text,
                    "extracted_answer": verdict.extracted,
                    "verdict": verdict.label,
                    "judge_method": verdict.method,
                    "published_label": is_correct,
                    "finish_reason": None,
                    "completion_tokens": None,
                }
            )
    log.extend(records)
    counts["added"] = len(records)
    return counts
