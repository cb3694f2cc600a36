"""A wrong method announced in words before it is carried out: the error lies where the method is chosen.

A step that only says which operation comes next ("to find the total, we add the two amounts", with no computation
of its own) is followed by a step that carries that operation out (as its last operation). When that next step fails
without miscomputing anything (its value is off the reference's path, or its equation in the unknown does not hold
at the gold value), the operation itself was the wrong choice: the first wrong step is the one that announced it. A
miscomputed step (``6 x 4 = 23``) or a wrong number brought in keeps the error where it is, since the announced
method may well be right.

Example:
    >>> announced_operators("To find the total, we add the two amounts.")
    {'+'}
    >>> announced_operators("To find x, we set up an equation.")
    set()
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from knowbench.training.mwpes.check_context import holds
from knowbench.training.mwpes.steps import Step, parse_quietly

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
#: words that name an arithmetic operation to be carried out, by operator
_OPERATION_WORDS = {
    "+": r"add|adding|sum",
    "-": r"subtract|subtracting|difference",
    "*": r"multiply|multiplying|product",
    "/": r"divide|dividing|quotient",
}


def announced_operators(text: str) -> set[str]:
    """The operators a step names in words as the operation to carry out."""
    return {op for op, words in _OPERATION_WORDS.items() if re.search(rf"\b(?:{words})\b", text, re.I)}


def outer_operator(expression: str) -> str | None:
    """The operation an expression carries out last (``16*(5+3)`` -> ``*``); ``None`` for a lone number.

    Example:
        >>> outer_operator("(9/x)*x+(6/x)*x"), outer_operator("40/2"), outer_operator("12")
        ('+', '/', None)
    """
    tree = parse_quietly(expression, "eval")
    body = tree.body if isinstance(tree, ast.Expression) else None
    return _OPERATORS.get(type(body.op)) if isinstance(body, ast.BinOp) else None


def announced_method(diagnosis: Any, steps: Sequence[Step]) -> Any:
    """``diagnosis`` moved to the step before its failing step when that step announces, in words and without
    computing, the operation the failing step carries out without miscomputing it (a wrong method, chosen where it
    is announced); else ``diagnosis`` unchanged."""
    number = diagnosis.first_error_step
    position = next((i for i, s in enumerate(steps) if s.number == number), None)
    last = diagnosis.checks[-1] if diagnosis.checks else None
    if not position or last is None or last.step != number or last.passed:
        return diagnosis
    step, before = steps[position], steps[position - 1]
    if before.kind != "text" or before.equations or step.kind != "text":
        return diagnosis
    if last.check == "arithmetic":  # only an equation in the unknown set up wrong, never a miscomputation
        wrong = [e for e in step.equations if holds(e) is False]
        if not wrong or any(not e.variables for e in wrong):
            return diagnosis
    elif last.check != "value":
        return diagnosis
    operators = announced_operators(before.text)
    if not operators or not any(outer_operator(e.expression) in operators for e in step.equations):
        return diagnosis
    evidence = (f"{diagnosis.evidence}; step {before.number} announces the operation "
                f"({', '.join(sorted(operators))}) that the next step carries out")
    return replace(diagnosis, first_error_step=before.number, step_text=before.text, evidence=evidence)
