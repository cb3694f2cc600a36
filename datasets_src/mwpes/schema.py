"""The one problem schema every math-word-problem source is read into.

Example:
    >>> steps = calculator_steps("She makes 9 * 2 = $<<9*2=18>>18 every day.")
    >>> steps
    (CalculatorStep(expression='9*2', result='18'),)
    >>> p = Problem("gsm8k", "test-0", "2+2?", "4", "2+2=<<2+2=4>>4\\n#### 4", steps=calculator_steps("<<2+2=4>>"))
    >>> p.answer_kind, p.to_dict()["steps"]
    ('number', [{'expression': '2+2', 'result': '4'}])
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: the source datasets, in the order configs appear in the card
DATASETS = ("gsm8k", "svamp", "asdiv", "aqua", "math")

#: how the gold answer of each dataset is compared: numbers, an option letter, or a LaTeX expression
ANSWER_KINDS = {"gsm8k": "number", "svamp": "number", "asdiv": "number", "aqua": "letter", "math": "latex"}

@dataclass(frozen=True, slots=True)
class CalculatorStep:
    """One GSM8K calculator note ``<<expression=result>>``."""

    expression: str
    result: str


def calculator_steps(text: str) -> tuple[CalculatorStep, ...]:
    """The ``<<a*b=c>>`` calculator notes of a GSM8K-style solution, in order (a note with several ``=``
    splits at the last one)."""
    steps = []
    for match in re.finditer(r"<<([^<>]*)>>", text):
        body = match.group(1)
        expression, sep, result = body.rpartition("=")
        if sep:
            steps.append(CalculatorStep(expression.strip(), result.strip()))
    return tuple(steps)


def strip_calculator_notes(text: str) -> str:
    """The solution as a reader sees it: ``$<<9*2=18>>18`` becomes ``$18``."""
    return re.sub(r"<<[^<>]*>>", "", text)


@dataclass(frozen=True, slots=True)
class Problem:
    """One math word problem from any source.

    ``gold_answer`` is a string: a number for GSM8K/SVAMP/ASDiv (``"18"``; ASDiv may hold several answers joined by
    ``"; "``, a ratio or a word), an option letter for AQuA, a LaTeX expression (the last ``\\boxed{}``) for MATH.
    ``options`` are AQuA's choices as written (``"A)$61"``), ``level`` and ``type`` MATH's level and subject (ASDiv:
    grade and solution type; SVAMP: type), ``steps`` GSM8K's calculator notes.
    """

    dataset: str
    problem_id: str
    question: str
    gold_answer: str
    gold_solution: str
    options: tuple[str, ...] = ()
    level: str | None = None
    type: str | None = None
    steps: tuple[CalculatorStep, ...] = field(default=())

    @property
    def answer_kind(self) -> str:
        return ANSWER_KINDS.get(self.dataset, "number")

    def option_map(self) -> dict[str, str]:
        """``{"A": "$61", ...}`` for AQuA-style options (empty otherwise)."""
        return parse_options(self.options)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "problem_id": self.problem_id,
            "question": self.question,
            "gold_answer": self.gold_answer,
            "gold_solution": self.gold_solution,
            "options": list(self.options),
            "level": self.level,
            "type": self.type,
            "steps": [{"expression": s.expression, "result": s.result} for s in self.steps],
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Problem:
        return cls(
            dataset=record["dataset"],
            problem_id=record["problem_id"],
            question=record["question"],
            gold_answer=record["gold_answer"],
            gold_solution=record["gold_solution"],
            options=tuple(record.get("options") or ()),
            level=record.get("level"),
            type=record.get("type"),
            steps=tuple(CalculatorStep(s["expression"], s["result"]) for s in record.get("steps") or ()),
        )


_OPTION = re.compile(r"^\s*\(?([A-Ea-e])\s*[).:]\s*(.*)$", re.S)


def parse_options(options: Iterable[str]) -> dict[str, str]:
    """Map option letters to their text: ``["A)$61", "B)$65"]`` -> ``{"A": "$61", "B": "$65"}``."""
    result = {}
    for option in options:
        match = _OPTION.match(option)
        if match:
            result[match.group(1).upper()] = match.group(2).strip()
    return result


def format_number(value: float | int | str) -> str:
    """A number as a plain string: ``51.0`` -> ``"51"``, ``2.50`` -> ``"2.5"``, ``"1,000"`` -> ``"1000"``."""
    if isinstance(value, str):
        value = value.replace(",", "").strip()
        try:
            number = float(value)
        except ValueError:
            return value
    else:
        number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)
