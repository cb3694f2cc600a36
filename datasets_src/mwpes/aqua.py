"""AQuA-RAT reader: JSON lines ``{"question", "options": ["A)...", ...], "rationale", "correct"}``.

Example:
    >>> p = parse_record({"question": "1+1?", "options": ["A)1", "B)2", "C)3", "D)4", "E)5"],
    ...                   "rationale": "1+1=2. Answer: B", "correct": "B"}, 0)
    >>> p.gold_answer, p.option_map()["B"]
    ('B', '2')
"""

from __future__ import annotations

import os
from typing import Any

from knowbench.datasets_src.mwpes._common import require_str
from knowbench.datasets_src.mwpes.schema import Problem, parse_options
from knowbench.errors import SourceFormatError
from knowbench.io import iter_jsonl

NAME = "aqua"


def parse_record(
    record: dict[str, Any], index: int, path: object = "<aqua>", where: str | None = None, split: str = "test"
) -> Problem:
    where = where or f"row {index}"
    question = require_str(record, "question", path, where)
    options = record.get("options")
    if not isinstance(options, list) or not options or not all(isinstance(o, str) for o in options):
        raise SourceFormatError(path, where, f"field 'options' must be a list of strings, got {options!r:.80}")
    letters = parse_options(options)
    if len(letters) != len(options):
        raise SourceFormatError(path, where, f"options are not all of the form 'A)text': {options!r:.120}")
    correct = require_str(record, "correct", path, where).strip().upper()
    if correct not in letters:
        raise SourceFormatError(path, where, f"correct answer {correct!r} is not one of the options {sorted(letters)}")
    return Problem(
        dataset=NAME,
        problem_id=f"{split}-{index}",
        question=question,
        gold_answer=correct,
        gold_solution=str(record.get("rationale") or ""),
        options=tuple(options),
    )


def read(path: str | os.PathLike[str], split: str = "test") -> list[Problem]:
    """Every problem of an AQuA JSON-lines file (``test.json`` of google-deepmind/AQuA)."""
    return [
        parse_record(record, index, path, f"line {line}", split)
        for index, (line, record) in enumerate(iter_jsonl(path))
    ]
