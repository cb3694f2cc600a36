"""``gsm8k-example-solutions``: OpenAI's ``example_model_solutions.jsonl`` (GPT-3 6B / 175B on GSM8K test).

Per line: ``question``, ``ground_truth`` (final line ``A: <answer>``) and four solutions ``6b_finetuning``,
``6b_verification``, ``175b_finetuning``, ``175b_verification``, each ``{"solution", "is_correct"}``. The file
follows GSM8K's ``test.jsonl`` order, so its problems carry the GSM8K reader's ids (``test-<index>``).

Example:
    >>> model_and_strategy("175b_verification")
    ('gpt3-175b', 'verification')
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from knowbench.datasets_src.mwpes._common import require_str
from knowbench.datasets_src.mwpes.formats import FORMATS, SolutionRecord
from knowbench.errors import SourceFormatError
from knowbench.io import iter_jsonl

SOLUTION_KEYS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def model_and_strategy(key: str) -> tuple[str, str]:
    """``"6b_finetuning"`` -> (``"gpt3-6b"``, ``"finetuning"``)."""
    size, _, strategy = key.partition("_")
    return f"gpt3-{size}", strategy


def gold_of(ground_truth: str, path: object, where: str) -> str:
    last = ground_truth.rstrip().rsplit("\n", 1)[-1]
    if not last.startswith("A:"):
        raise SourceFormatError(path, where, f"ground_truth does not end with an 'A: <answer>' line: {last[:60]!r}")
    return last[2:].strip()


@FORMATS.register("gsm8k-example-solutions")
def read(path: str | os.PathLike[str]) -> Iterator[SolutionRecord]:
    """Four records per line, one per GPT-3 solution; a malformed line raises naming it."""
    for index, (line, record) in enumerate(iter_jsonl(path)):
        where = f"line {line}"
        question = require_str(record, "question", path, where)
        ground_truth = require_str(record, "ground_truth", path, where)
        gold = gold_of(ground_truth, path, where)
        for key in SOLUTION_KEYS:
            entry = record.get(key)
            if not isinstance(entry, dict) or not isinstance(entry.get("solution"), str):
                raise SourceFormatError(path, where, f"{key!r} must be an object with a 'solution' string")
            if not isinstance(entry.get("is_correct"), bool):
                raise SourceFormatError(path, where,
                                        f"{key}.is_correct must be true or false, got {entry.get('is_correct')!r}")
            model, strategy = model_and_strategy(key)
            yield SolutionRecord(question, entry["solution"], gold, model, line, reference=ground_truth,
                                 strategy=strategy, published_label=entry["is_correct"], problem_id=f"test-{index}",
                                 source_id=f"{index}/{key}")
