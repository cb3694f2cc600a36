"""What the checks compare a solution with: the question's numbers and unknowns, the reference's steps and values,
and the arithmetic tests (:mod:`knowbench.training.mwpes.checks` uses them step by step).

Example:
    >>> ctx = make_context("She sells 4 skirts at $6 each.", "4 x 6 = 24\\n#### 24", "24", {})
    >>> ctx.question, [v for _, v in ctx.reference_results], ctx.gold
    ([4.0, 6.0], [24.0], (24.0,))
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from knowbench.training.mwpes.steps import (
    Equation,
    Step,
    numbers_in,
    parse_quietly,
    safe_eval,
    split_steps,
    to_number,
    unknown_expressions,
)

#: EIC's nine error types, then the labels used where none of them applies
ERROR_TYPES = (
    "calculation_error", "referencing_context_value_error", "referencing_previous_step_value_error",
    "confusing_formula_error", "counting_error", "missing_step", "adding_irrelevant_information", "operator_error",
    "unit_conversion_error", "no_reference", "answer_extraction", "truncated", "other",
)
#: conversion constants between everyday units (time, length, mass, money, percent, dozens)
UNIT_CONSTANTS = (7.0, 12.0, 24.0, 30.0, 52.0, 60.0, 100.0, 365.0, 1000.0, 3600.0, 16.0, 1440.0, 0.01, 1 / 60,
                  1 / 12, 1 / 24, 1 / 7)
#: values a solution may use without stating where they come from
FREE_VALUES = (0.0, 1.0, 2.0, 0.5, 100.0, 0.01)
_WORDS = {
    "half": 0.5, "quarter": 0.25, "third": 1 / 3, "once": 1, "one": 1, "two": 2, "twice": 2, "double": 2,
    "three": 3, "triple": 3, "thrice": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "thousand": 1000, "pair": 2, "couple": 2,
}


def close(a: float | None, b: float | None) -> bool:
    """Equal up to rounding noise (relative 1e-3)."""
    return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-6)


def in_pool(value: float | None, pool: Iterable[float]) -> bool:
    return value is not None and any(close(value, p) for p in pool)


def holds(equation: Equation) -> bool | None:
    """Whether a stated equation is true (rounding to the stated decimals is allowed); ``None``: cannot tell."""
    if equation.stated is None or equation.computed is None:
        return None
    stated, computed = equation.stated, equation.computed
    if math.isclose(stated, computed, rel_tol=1e-4, abs_tol=1e-6):
        return True
    if not float(stated).is_integer():  # a rounded decimal: 1.36 written as 1.4, 33.333 as 33.33
        return abs(stated - computed) < 0.05 + 1e-9
    return abs(computed) >= 1000 and abs(stated - computed) / abs(computed) < 1e-3


def question_numbers(question: str) -> tuple[list[float], list[float]]:
    """``(literal numbers, number words)`` of a question; ``1/4`` adds 0.25, ``20%`` adds 0.2 and 1.2 / 0.8."""
    literal = list(numbers_in(question))
    for a, b in re.findall(r"(?<![\d.])(\d+)\s*/\s*(\d+)(?![\d.])", question):
        if float(b):
            literal.append(float(a) / float(b))
    for p in re.findall(r"(\d+(?:\.\d+)?)\s*(?:%|percent)", question):
        literal += [1 + float(p) / 100, 1 - float(p) / 100, float(p) / 100, 100 - float(p), 100 + float(p)]
    words = [float(_WORDS[w]) for w in re.findall(r"[a-z]+", question.lower()) if w in _WORDS]
    return literal, words


def unknowns_of(question: str, gold: str) -> dict[str, float]:
    """The question's single-letter unknowns (``value of unknown variable x``), valued at the gold answer."""
    value = to_number(gold) if gold else None
    if value is None:
        return {}
    named = set(re.findall(r"(?:variable|value of)\s+'?([A-Za-z])'?(?![A-Za-z])", question))
    letters = named or set(re.findall(r"(?<![A-Za-z'-])([b-zB-HJ-Z])(?![A-Za-z'-])", question))
    return {case: value for letter in letters for case in (letter.lower(), letter.upper())}  # "X" is also "x"


@dataclass
class Context:
    question: list[float]
    words: list[float]
    reference: list[Step]
    reference_values: list[float]
    reference_results: list[tuple[int, float]]
    has_reference: bool
    gold: tuple[float, ...] = ()
    #: the question's unknowns valued at the gold answer, and the expressions in them the reference writes
    unknowns: dict[str, float] = field(default_factory=dict)
    unknown_expressions: tuple[str, ...] = ()
    #: the question itself
    text: str = ""

    @property
    def given(self) -> list[float]:
        return self.question + self.words


def make_context(question: str, reference: str, gold: str, unknowns: dict[str, float]) -> Context:
    literal, words = question_numbers(question)
    ref_steps = split_steps(reference, unknowns, run_code=False) if reference.strip() else []
    values = [v for s in ref_steps for v in s.numbers] + [v for s in ref_steps for v in s.results]
    gold_value = to_number(gold) if gold else None
    if gold_value is not None:
        values.append(gold_value)
    results = [(s.number, v) for s in ref_steps for v in s.results]
    in_unknowns = tuple(p for s in ref_steps for e in unknown_expressions(s.text, unknowns)
                        for p in unknown_parts(e, unknowns))
    return Context(literal, words, ref_steps, values, results, bool(ref_steps),
                   (gold_value,) if gold_value is not None else (), dict(unknowns), in_unknowns, question)


def known_numbers(ctx: Context, produced: Sequence[float]) -> list[float]:
    """Every number a step may use: the question's, the reference's, what the solution produced, free values."""
    return [*ctx.given, *ctx.reference_values, *produced, *FREE_VALUES]


def same_function(a: str, b: str, unknowns: dict[str, float]) -> bool:
    """Whether two expressions in the unknowns are one function of them (``x+1+1`` and ``x+2``; ``12*x/6`` and
    ``2*x``), compared at the gold value and two other points."""
    names = [n for n in unknowns if n in a or n in b]
    if not names:
        return False
    agree = 0
    for shift in (0.0, 1.37, 6.11):
        values = {n: unknowns[n] + shift for n in unknowns}
        left, right = safe_eval(a, values), safe_eval(b, values)
        if left is None or right is None:
            continue
        if not close(left, right):
            return False
        agree += 1
    return agree >= 2


def unknown_parts(expression: str, unknowns: Collection[str]) -> list[str]:
    """``expression`` and every part of it that involves an unknown: ``(x/2)*52+52`` -> itself, ``(x/2)*52`` and
    ``x/2`` (a reference that writes the whole also writes each part)."""
    tree = parse_quietly(expression, "eval")
    if tree is None:
        return [expression]
    out = [expression]
    for node in ast.walk(tree.body):
        if isinstance(node, ast.BinOp) and any(isinstance(n, ast.Name) and n.id in unknowns for n in ast.walk(node)):
            part = ast.unparse(node)
            if part not in out:
                out.append(part)
    return out


def set_up_at(equation: Equation | None, earlier: Sequence[Step], ctx: Context) -> tuple[Step, str] | None:
    """``(step, expression)`` when a failing equation in the unknown (checked at the gold value) equates an
    expression that an earlier step already wrote and the reference never writes (as the same function of the
    unknown): the equation only shows the error, the expression was set up wrong where it was first written.
    ``None`` when the expression is new in the failing step or is the reference's own; without a reference, also
    when the other side is a number nothing gives (then that number is the error, in the equation)."""
    if equation is None or not equation.variables or not ctx.unknowns or \
            not re.search(r"[-+*/]", equation.expression.lstrip("-")):
        return None
    if not ctx.has_reference:
        produced = [v for s in earlier for v in (*s.results, *s.numbers)]
        if not in_pool(equation.stated, known_numbers(ctx, produced)):
            return None
    if any(same_function(equation.expression, e, ctx.unknowns) for e in ctx.unknown_expressions):
        return None  # the side in the unknown is right: the other side or the equating is wrong, here
    for step in earlier:
        for expression in unknown_expressions(step.text, ctx.unknowns):
            if same_function(equation.expression, expression, ctx.unknowns):
                return step, expression
    return None


def part_values(expression: str, unknowns: dict[str, float] | None = None) -> list[float]:
    """The value of every part of ``expression`` (``52*(2+1)`` -> 156 and 3): what a chain's next link may use."""
    tree = parse_quietly(expression, "eval")
    if tree is None:
        return []
    values = (safe_eval(ast.unparse(node), unknowns) for node in ast.walk(tree.body) if isinstance(node, ast.BinOp))
    return [v for v in values if v is not None]


def varies(equation: Equation, unknowns: dict[str, float]) -> bool:
    """Whether an equation's expression depends on the unknowns (``9*x``); ``(9/x)*x + 6`` is 15 whatever ``x`` is,
    so it is arithmetic with a number for its value, like ``9 + 6``.

    Example:
        >>> from knowbench.training.mwpes.steps import equations
        >>> [varies(e, {"x": 3.0}) for e in equations("So 9*x = 27 and (9/x)*x + 6 = 15.", {"x": 3.0})]
        [True, False]
    """
    if not equation.variables:
        return False
    names = [n for n in equation.variables if n in unknowns]
    if len(names) < len(equation.variables):
        return True  # a letter that is no unknown: its value cannot be told
    values = {safe_eval(equation.expression, {n: unknowns[n] + shift for n in names}) for shift in (0.0, 1.37)}
    return None in values or len({round(v, 6) for v in values if v is not None}) > 1
