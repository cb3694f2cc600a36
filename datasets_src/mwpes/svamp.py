"""SVAMP reader: a JSON array of ``{"ID", "Body", "Question", "Equation", "Answer", "Type"}``.

The question is ``Body`` and ``Question`` joined by a space; the equation is the gold solution.

Example:
    >>> p = parse_record({"ID": "chal-1", "Body": "I had 4 apples.", "Question": "How many?", "Equation": "( 4.0 )",
    ...                   "Answer": 4.0, "Type": "Subtraction"}, 0)
    >>> p.problem_id, p.question, p.gold_answer
    ('chal-1', 'I had 4 apples. How many?', '4')
"""

from __future__ import annotations

import os
from typing import Any

from knowbench.datasets_src.mwpes._common import iter_json_array, require_str
from knowbench.datasets_src.mwpes.schema import Problem, format_number
from knowbench.errors import SourceFormatError

NAME = "svamp"


def join_question(body: str, question: str) -> str:
    body = body.strip()
    if body and body[-1] not in ".?!,":
        body += "."
    return f"{body} {question.strip()}".strip()


def parse_record(record: dict[str, Any], index: int, path: object = "<svamp>", where: str | None = None) -> Problem:
    where = where or f"row {index}"
    problem_id = record.get("ID")
    if not isinstance(problem_id, str) or not problem_id:
        raise SourceFormatError(path, where, f"field 'ID' must be a non-empty string, got {problem_id!r}")
    body = require_str(record, "Body", path, where, allow_empty=True)
    question = require_str(record, "Question", path, where)
    answer = record.get("Answer")
    if isinstance(answer, bool) or not isinstance(answer, int | float | str):
        raise SourceFormatError(path, where, f"field 'Answer' must be a number, got {answer!r}")
    try:
        gold = format_number(float(str(answer).replace(",", "")))
    except ValueError:
        raise SourceFormatError(path, where, f"field 'Answer' is not a number: {answer!r}") from None
    return Problem(
        dataset=NAME,
        problem_id=problem_id,
        question=join_question(body, question),
        gold_answer=gold,
        gold_solution=str(record.get("Equation") or "").strip(),
        type=record.get("Type") or None,
    )


def read(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem of ``SVAMP.json``; IDs must be unique."""
    problems = []
    seen: dict[str, int] = {}
    for index, (line, record) in enumerate(iter_json_array(path)):
        problem = parse_record(record, index, path, f"line {line}")
        if problem.problem_id in seen:
            raise SourceFormatError(path, f"line {line}", f"duplicate ID {problem.problem_id!r} (first on line {seen[problem.problem_id]})")
        seen[problem.problem_id] = line
        problems.append(problem)
    return problems
