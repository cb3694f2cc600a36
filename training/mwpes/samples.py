"""The error sample the clustering pipeline works on, and where samples come from.

Samples come from a built MWPES folder through :mod:`knowbench.loaders` (:func:`load_error_samples`). Before such a
folder exists, benchmarks and tests can read the published GPT-3 GSM8K solutions directly
(:func:`errors_from_gsm8k_example_solutions`), which hold 3,275 real wrong solutions.

Example:
    >>> s = ErrorSample("a", "2+2?", "2+2=<<2+2=4>>4\\n#### 4", "4", "2+2=<<2+2=5>>5", "5", "gpt3-6b")
    >>> s.model_size
    6000000000.0
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from knowbench.errors import SourceFormatError

_SIZE = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)\s*([bBmMkK])(?![A-Za-z])")
_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9}


def model_size(model: str) -> float | None:
    """Parameter count read from a model name (``"gpt3-175b-verification"`` -> 1.75e11); ``None`` if absent."""
    match = _SIZE.search(model.replace("_", "-"))
    if not match:
        return None
    return float(match.group(1)) * _SCALE[match.group(2).lower()]


@dataclass(frozen=True)
class ErrorSample:
    """One wrong solution of a math word problem.

    Example:
        >>> ErrorSample("id1", "q", "g", "1", "s", "2", "smollm2-135m").model_size
        135000000.0
    """

    sample_id: str
    question: str
    gold_solution: str
    gold_answer: str
    solution: str
    answer: str
    model: str
    dataset: str = "gsm8k"
    problem_id: str = ""
    strategy: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def model_size(self) -> float | None:
        return model_size(self.model)


def sample_from_mwpes(row: Any) -> ErrorSample:
    """An :class:`ErrorSample` from a :class:`knowbench.loaders.mwpes.MWPESRow`."""
    return ErrorSample(
        sample_id=row.sample_id, question=row.question, gold_solution=row.gold_solution or "",
        gold_answer=row.gold_answer or "", solution=row.solution, answer=row.extracted_answer or "",
        model=row.model, dataset=row.dataset, problem_id=row.problem_id, strategy=row.strategy or "",
        extra={"duplicates": row.duplicates, "level": row.level, "type": row.type, "options": list(row.options),
               "source_id": row.source_id or row.sample_id, "label_first_error_step": row.label_first_error_step,
               "label_error_type": row.label_error_type},
    )


def load_error_samples(
    data: str | os.PathLike[str], config: str = "all", limit: int | None = None
) -> list[ErrorSample]:
    """The wrong solutions of a built MWPES folder (or Hub repo id), read through :mod:`knowbench.loaders`."""
    from knowbench.loaders.mwpes import load_rows

    rows = load_rows(data, config)
    return [sample_from_mwpes(row) for row in (rows if limit is None else rows[:limit])]


_GSM8K_MODELS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def final_answer(solution: str) -> str:
    """The final answer of a GSM8K-style solution (after ``####`` or ``A:``), else its last number."""
    for marker in ("####", "\nA:"):
        if marker in solution:
            return solution.rsplit(marker, 1)[1].strip().replace(",", "")
    numbers = re.findall(r"-?\d[\d,]*(?:\.\d+)?", solution)
    return numbers[-1].replace(",", "") if numbers else ""


def errors_from_gsm8k_example_solutions(path: str | os.PathLike[str]) -> Iterator[ErrorSample]:
    """Wrong solutions (``is_correct`` false) of OpenAI's ``example_model_solutions.jsonl`` (GPT-3 6B / 175B).

    For benchmarks and tests that run before an MWPES folder is built; the CLI reads MWPES folders only.
    """
    from knowbench.io import iter_jsonl

    for index, (number, record) in enumerate(iter_jsonl(path)):  # number: the 1-based line
        if "question" not in record or "ground_truth" not in record:
            raise SourceFormatError(path, f"line {number}", "expected 'question' and 'ground_truth'")
        for key in _GSM8K_MODELS:
            entry = record.get(key)
            if not isinstance(entry, dict) or "is_correct" not in entry or "solution" not in entry:
                raise SourceFormatError(path, f"line {number}", f"{key!r} lacks 'is_correct' / 'solution'")
            if entry["is_correct"]:
                continue
            size, strategy = key.split("_")
            yield ErrorSample(
                sample_id=f"gsm8k/test-{index}/gpt3-{size}/{strategy}/0",
                question=record["question"],
                gold_solution=record["ground_truth"],
                gold_answer=final_answer(record["ground_truth"]),
                solution=entry["solution"],
                answer=final_answer(entry["solution"]),
                model=f"gpt3-{size}",
                dataset="gsm8k",
                problem_id=f"test-{index}",
                strategy=strategy,
            )
