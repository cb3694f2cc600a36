"""GSM8K reader: ``{"question", "answer"}`` JSON lines, gold after ``####``, calculator notes kept as steps.

Example:
    >>> p = parse_record({"question": "2+2?", "answer": "2+2=<<2+2=4>>4\\n#### 4"}, 0)
    >>> p.gold_answer, p.steps[0].result, p.problem_id
    ('4', '4', 'test-0')
"""

from __future__ import annotations

import os
from typing import Any

from knowbench.datasets_src.mwpes._common import read_problems_jsonl, require_strs
from knowbench.datasets_src.mwpes.schema import Problem, calculator_steps, format_number
from knowbench.errors import SourceFormatError

NAME = "gsm8k"


def parse_record(
    record: dict[str, Any], index: int, path: object = "<gsm8k>", where: str | None = None, split: str = "test"
) -> Problem:
    """One GSM8K record; ``index`` (0-based position in the split) gives the id ``test-<index>``."""
    where = where or f"row {index}"
    question, answer = require_strs(record, ("question", "answer"), path, where)
    solution, sep, final = answer.rpartition("####")
    if not sep:
        raise SourceFormatError(path, where, "field 'answer' has no '#### <number>' final answer")
    gold = format_number(final.strip())
    try:
        float(gold)
    except ValueError:
        raise SourceFormatError(path, where, f"final answer after '####' is not a number: {final.strip()!r}") from None
    return Problem(
        dataset=NAME,
        problem_id=f"{split}-{index}",
        question=question,
        gold_answer=gold,
        gold_solution=answer,
        steps=calculator_steps(solution),
    )


def read(path: str | os.PathLike[str], split: str = "test") -> list[Problem]:
    """Every problem of a GSM8K JSON-lines file (``grade_school_math/data/test.jsonl`` layout)."""
    return read_problems_jsonl(path, parse_record, split)
