"""MATH (Hendrycks et al.) reader: JSON lines ``{"problem", "solution", "level", "type"[, "idx"]}``.

The gold answer is the content of the last ``\\boxed{...}`` of the solution.

Example:
    >>> p = parse_record({"problem": "1+1?", "solution": "It is $\\\\boxed{2}$.", "level": "Level 1",
    ...                   "type": "Algebra", "idx": 7}, 0)
    >>> p.problem_id, p.gold_answer, p.level, p.type
    ('test-7', '2', 'Level 1', 'Algebra')
"""

from __future__ import annotations

import os
from typing import Any

from knowbench.datasets_src.mwpes._common import last_boxed, read_problems_jsonl, require_strs
from knowbench.datasets_src.mwpes.schema import Problem
from knowbench.errors import SourceFormatError

NAME = "math"


def parse_record(
    record: dict[str, Any], index: int, path: object = "<math>", where: str | None = None, split: str = "test"
) -> Problem:
    """One MATH record; the id is ``<split>-<idx>`` (the record's ``idx`` if present, else its position)."""
    where = where or f"row {index}"
    problem, solution = require_strs(record, ("problem", "solution"), path, where)
    gold = last_boxed(solution)
    if gold is None or not gold.strip():
        raise SourceFormatError(path, where, "solution has no \\boxed{...} final answer")
    idx = record.get("idx", index)
    if isinstance(idx, bool) or not isinstance(idx, int | str):
        raise SourceFormatError(path, where, f"field 'idx' must be an integer, got {idx!r}")
    return Problem(
        dataset=NAME,
        problem_id=f"{split}-{idx}",
        question=problem,
        gold_answer=gold.strip(),
        gold_solution=solution,
        level=record.get("level") or None,
        type=record.get("type") or None,
    )


def read(path: str | os.PathLike[str], split: str = "test") -> list[Problem]:
    """Every problem of a MATH JSON-lines file; ids must be unique."""
    return read_problems_jsonl(path, parse_record, split)
