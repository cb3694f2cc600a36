"""ASDiv reader: ``<Problem ID Grade Source><Body/><Question/><Solution-Type/><Answer/><Formula/></Problem>`` XML.

The question is ``Body`` and ``Question`` joined; the gold answer is ``Answer`` without its unit
(``"9 (apples)"`` -> ``"9"``; several answers stay joined by ``"; "``; ratios, times and words are kept as written).
Parsed with expat so that every error names the line of the problem.

Example:
    >>> gold_without_units("5 (years old); 15 (years old)"), gold_without_units("-(1/3)")
    ('5; 15', '-(1/3)')
"""

from __future__ import annotations

import os
import re
from typing import Any
from xml.parsers import expat

from knowbench.datasets_src.mwpes.schema import Problem
from knowbench.datasets_src.mwpes.svamp import join_question
from knowbench.errors import SourceFormatError

NAME = "asdiv"
_FIELDS = ("Body", "Question", "Solution-Type", "Answer", "Formula")
_UNIT = re.compile(r"\s+\([^()]*\)\s*$")


def gold_without_units(answer: str) -> str:
    parts = [_UNIT.sub("", part.strip()).strip() for part in answer.split(";")]
    return "; ".join(part for part in parts if part)


def parse_record(record: dict[str, Any], index: int, path: object = "<asdiv>", where: str | None = None) -> Problem:
    """``record`` holds the attributes (``ID``, ``Grade``) and the child texts (``Body``, ``Question``, ...)."""
    where = where or f"row {index}"
    problem_id = (record.get("ID") or "").strip()
    if not problem_id:
        raise SourceFormatError(path, where, "Problem has no ID attribute")
    where = f"{where} (Problem {problem_id})"
    for name in ("Question", "Answer"):
        if not (record.get(name) or "").strip():
            raise SourceFormatError(path, where, f"<{name}> is missing or empty")
    gold = gold_without_units(record["Answer"])
    if not gold:
        raise SourceFormatError(path, where, f"<Answer> has no value: {record['Answer']!r}")
    grade = (record.get("Grade") or "").strip()
    return Problem(
        dataset=NAME,
        problem_id=problem_id,
        question=join_question(record.get("Body") or "", record["Question"]),
        gold_answer=gold,
        gold_solution=(record.get("Formula") or "").strip(),
        level=f"Grade {grade}" if grade else None,
        type=(record.get("Solution-Type") or "").strip() or None,
    )


def read(path: str | os.PathLike[str]) -> list[Problem]:
    """Every ``<Problem>`` of ``ASDiv.xml``; malformed XML and incomplete problems raise naming the line."""
    parser = expat.ParserCreate("UTF-8")
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    current: dict[str, Any] | None = None
    field: str | None = None
    start_line = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal current, field, start_line
        if tag == "Problem":
            if current is not None:
                raise SourceFormatError(path, f"line {parser.CurrentLineNumber}", "nested <Problem>")
            current, start_line = dict(attrs), parser.CurrentLineNumber
        elif current is not None and tag in _FIELDS:
            field = tag
            current[tag] = ""

    def text(data: str) -> None:
        if current is not None and field is not None:
            current[field] += data

    def end(tag: str) -> None:
        nonlocal current, field
        if tag == "Problem" and current is not None:
            problem = parse_record(current, len(problems), path, f"line {start_line}")
            if problem.problem_id in seen:
                raise SourceFormatError(path, f"line {start_line}", f"duplicate ID {problem.problem_id!r} (first on line {seen[problem.problem_id]})")
            seen[problem.problem_id] = start_line
            problems.append(problem)
            current = None
        elif tag == field:
            field = None

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    with open(path, "rb") as handle:
        try:
            parser.ParseFile(handle)
        except expat.ExpatError as error:
            raise SourceFormatError(path, f"line {error.lineno}", f"malformed XML ({expat.ErrorString(error.code)})") from None
    return problems
