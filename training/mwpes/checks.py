"""Per-step checks of a solution against its question and reference: the first wrong step and the error type.

Checks, in the order a step is examined (every rule follows from what the error type means; none is fitted to data):

1. **arithmetic**: every stated equation must hold (``6 x 4 = 23`` fails); a single-letter unknown of the question
   takes the gold value, so ``44 + 9x = 98 - 44`` is checked too. Failing: ``calculation_error``.
2. **operands**: every number the step computes with must come from the question, the reference, an earlier step or a
   unit constant; a new number is an added fact (``adding_irrelevant_information``) or a wrong copy.
3. **values**: a value the step produces must lie on the reference's path (a reference value or a question number),
   unless a later step uses it to get back onto that path (a valid detour).
4. **answer**: the final answer must equal the gold one (a right value computed but another reported:
   ``answer_extraction``; no final answer: ``truncated``).

The failing step is typed by aligning it with the closest reference equation (shared operands, position, words) and
comparing the two: same quantities with one operator changed (``operator_error``) or another formula
(``confusing_formula_error``); one quantity replaced by another: a question number copied wrong
(``referencing_context_value_error``), an earlier result copied wrong (``referencing_previous_step_value_error``), a
result the solution never computed (``missing_step``), a unit constant (``unit_conversion_error``), a count the solver
had to make (``counting_error``); a quantity left out (``missing_step``) or a new one added
(``adding_irrelevant_information``). Types follow Li et al. 2024, "Evaluating Mathematical Reasoning of Large Language
Models: A Focus on Error Identification and Correction" (EIC).

Example:
    >>> d = diagnose("Each skirt costs $6. She sells 4.", "He earns $6 x 4 = $23.\\n#### 23",
    ...              "He earns $6 x 4 = $24.\\n#### 24", "24")
    >>> d.first_error_step, d.error_type, d.evidence
    (1, 'calculation_error', 'step 1 states 6*4 = 23, but 6*4 = 24 (reference: 6*4 = 24)')
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from knowbench.training.mwpes.steps import Equation, Step, numbers_in, split_steps, to_number

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
_UNIT = (r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|inch(?:es)?|feet|foot|yards?|miles?|ounces?|"
         r"pounds?|cents?|dozens?|grams?|kilograms?|meters?|centimeters?|liters?|quarts?|gallons?|cups?|pints?)")
_CONVERSION = re.compile(rf"\b{_UNIT}\s+(?:in|per|to|make|=|equals?)\s+(?:an?|one|each|every|1)?\s*{_UNIT}\b|"
                         rf"\b{_UNIT}\s*/\s*{_UNIT}\b", re.I)
_CONFIDENCE = {"arithmetic": 0.9, "operand": 0.7, "value": 0.6, "claim": 0.45, "answer": 0.5, "none": 0.2}


@dataclass(frozen=True)
class StepCheck:
    """What one check found at one step."""

    step: int
    check: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class Diagnosis:
    """The verdict on one solution: first wrong step (the solution's own numbering), type, evidence, confidence."""

    first_error_step: int | None
    error_type: str
    evidence: str
    confidence: float
    step_text: str = ""
    reference_step: str = ""
    checks: tuple[StepCheck, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"first_error_step": self.first_error_step, "error_type": self.error_type, "evidence": self.evidence,
                "confidence": round(self.confidence, 3), "step_text": self.step_text,
                "reference_step": self.reference_step}


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
    return {letter: value for letter in letters}


@dataclass
class _Context:
    question: list[float]
    words: list[float]
    reference: list[Step]
    reference_values: list[float]
    reference_results: list[tuple[int, float]]
    has_reference: bool
    gold: tuple[float, ...] = ()

    @property
    def given(self) -> list[float]:
        return self.question + self.words


def _context(question: str, reference: str, gold: str, unknowns: dict[str, float]) -> _Context:
    literal, words = question_numbers(question)
    ref_steps = split_steps(reference, unknowns, run_code=False) if reference.strip() else []
    values = [v for s in ref_steps for v in s.numbers] + [v for s in ref_steps for v in s.results]
    gold_value = to_number(gold) if gold else None
    if gold_value is not None:
        values.append(gold_value)
    results = [(s.number, v) for s in ref_steps for v in s.results]
    return _Context(literal, words, ref_steps, values, results, bool(ref_steps),
                    (gold_value,) if gold_value is not None else ())


def diagnose(question: str, solution: str, reference: str, gold: str, run_code: bool = True) -> Diagnosis:
    """Check every step of ``solution``; the first failing one is the first error, typed against ``reference``."""
    unknowns = unknowns_of(question, gold)
    steps = split_steps(solution, unknowns, run_code=run_code)
    ctx = _context(question, reference, gold, unknowns)
    if not steps:
        return Diagnosis(None, "truncated", "the solution is empty", 0.9)
    checks: list[StepCheck] = []
    produced: list[float] = []
    detours = _detours(steps, ctx)
    for position, step in enumerate(steps):
        later = steps[position + 1:]
        if step.kind == "answer":
            found = _check_answer(step, gold, produced)
            if found is not None:
                weak = _weakest_divergence(steps, ctx) if ctx.has_reference else None
                if weak is not None and not in_pool(to_number(gold), produced):
                    return Diagnosis(weak.number, "confusing_formula_error" if weak.equations else "other",
                                     f"{found[2]}; every step checks out, but the route leaves the reference at "
                                     f"step {weak.number}", _CONFIDENCE["claim"] - 0.1, weak.text, "", tuple(checks))
                return _finish(found, step, ctx, checks, produced)
            continue
        for check in (_check_arithmetic, _check_operands, _check_values):
            found = check(step, ctx, produced, detours, later)
            if found is not None:
                checks.append(StepCheck(step.number, found[0], False, found[2]))
                return _finish(found, step, ctx, checks, produced)
        checks.append(StepCheck(step.number, "all", True))
        produced += step.results + list(step.numbers)
    last = steps[-1]
    answer = _final_value(steps)
    cut = not any(s.kind in ("answer", "code") for s in steps) and not re.search(r"[.!?)\]$}]\s*$", last.text)
    if answer is None or cut:
        return Diagnosis(last.number, "truncated", f"the solution stops at step {last.number} without a final answer",
                         0.5, last.text, "", tuple(checks))
    if gold and not close(answer, to_number(gold)):
        weak = _weakest_divergence(steps, ctx) if ctx.has_reference else None
        if weak is not None and not in_pool(to_number(gold), produced):
            return Diagnosis(weak.number, "confusing_formula_error" if weak.equations else "other",
                             f"every step checks out and the final answer {answer:g} is not {gold}; the route "
                             f"leaves the reference at step {weak.number}", _CONFIDENCE["claim"] - 0.1, weak.text, "",
                             tuple(checks))
        kind = "answer_extraction" if in_pool(to_number(gold), produced) else "other"
        return Diagnosis(last.number, kind if ctx.has_reference or kind != "other" else "no_reference",
                         f"every step checks out but the final answer {answer:g} is not {gold}", _CONFIDENCE["none"],
                         last.text, "", tuple(checks))
    return Diagnosis(None, "other", "no step fails a check", _CONFIDENCE["none"], "", "", tuple(checks))


def _known(ctx: _Context, produced: Sequence[float]) -> list[float]:
    return [*ctx.given, *ctx.reference_values, *produced, *FREE_VALUES]


def _check_arithmetic(step: Step, ctx: _Context, produced: list[float], detours: set[float],
                      later: Sequence[Step]) -> tuple[str, Equation, str] | None:
    for equation in step.equations:
        if holds(equation) is False:
            return ("arithmetic", equation,
                    f"step {step.number} states {equation.expression} = {equation.stated:g}, "
                    f"but {equation.expression} = {equation.computed:g}")
    return None


def _check_operands(step: Step, ctx: _Context, produced: list[float], detours: set[float],
                    later: Sequence[Step]) -> tuple[str, Equation | None, str] | None:
    known = _known(ctx, produced) + list(UNIT_CONSTANTS)
    for equation in step.equations:
        new = [v for v in equation.operands if not in_pool(v, known)]
        known += [v for v in (equation.stated, equation.computed) if v is not None]  # a chain builds on itself
        if new:
            return ("operand", equation, f"step {step.number} computes {equation.expression} with "
                    f"{', '.join(f'{v:g}' for v in new)}, a number found neither in the question, the reference "
                    "nor an earlier step")
    if step.kind == "code":
        code = step.text.split("#")[0]
        new = [v for v in numbers_in(code) if not in_pool(v, known)]
        if new:
            return ("operand", None, f"step {step.number} uses {', '.join(f'{v:g}' for v in new)}, a number found "
                    "neither in the question, the reference nor an earlier step")
    return None


def _check_values(step: Step, ctx: _Context, produced: list[float], detours: set[float],
                  later: Sequence[Step]) -> tuple[str, Equation | None, str] | None:
    if not ctx.has_reference:  # nothing to compare values with: only arithmetic and operands are checked
        return None
    on_path = list(ctx.reference_values)
    for equation in step.equations:
        value = equation.stated
        if value is None or equation.variables or not re.search(r"[-+*/]", equation.expression.lstrip("-")):
            continue  # an equation in the unknown holds or not (arithmetic); its value is no reference value
        if in_pool(value, detours):
            continue
        if not in_pool(value, on_path):
            return ("value", equation, f"step {step.number} computes {equation.expression} = {value:g}, a value "
                    "the reference never reaches")
        if ctx.has_reference and not _derived_alike(equation, ctx):
            return ("value", equation, f"step {step.number} computes {equation.expression} = {value:g}, a value "
                    "the reference reaches from other quantities")
    if step.kind == "code" and not re.fullmatch(r"\s*[A-Za-z_]\w*\s*=\s*-?[\d.]+\s*", step.text.split("#")[0]):
        for value in step.values:  # a literal assignment (hours_per_day = 24) is checked as an operand only
            if not in_pool(value, [*on_path, *ctx.given]) and not in_pool(value, detours) and not in_pool(value, produced):
                return ("value", None, f"step {step.number} ({step.text.split('#')[0].strip()}) gives {value:g}, "
                        "a value the reference never reaches")
    if not step.equations and step.kind == "text" and ctx.has_reference:
        claimed = [v for v in step.numbers if not in_pool(v, _known(ctx, produced) + list(UNIT_CONSTANTS))]
        if claimed:
            return ("claim", None, f"step {step.number} states {', '.join(f'{v:g}' for v in claimed)}, a number "
                    "neither given nor computed")
    return None


def _derived_alike(equation: Equation, ctx: _Context) -> bool:
    """Whether the reference computes the same value from at least one of the same quantities (or never computes
    it in an equation at all, so there is nothing to compare)."""
    same = [e for ref in ctx.reference for e in ref.equations if close(e.stated, equation.stated)]
    if not same:
        return True
    return any(in_pool(v, e.operands) for e in same for v in equation.operands)


def _check_answer(step: Step, gold: str, produced: list[float]) -> tuple[str, None, str] | None:
    numbers = step.numbers or tuple(step.results)
    gold_value = to_number(gold) if gold else None
    if not numbers or gold_value is None:
        return None
    if close(numbers[-1], gold_value):
        return None
    return ("answer", None, f"step {step.number} reports {numbers[-1]:g} as the final answer, but the gold "
            f"answer is {gold}")


def _final_value(steps: Sequence[Step]) -> float | None:
    for step in reversed(steps):
        if step.kind == "answer" and step.numbers:
            return step.numbers[-1]
        if step.kind == "code" and step.values:
            return step.values[-1]
    for step in reversed(steps):
        if step.numbers:
            return step.numbers[-1]
    return None


def _detours(steps: Sequence[Step], ctx: _Context) -> set[float]:
    """Values off the reference path from which later steps get back onto it (a valid other route), found backwards
    so a chain of such values counts too."""
    if not ctx.has_reference:
        return set()
    good = [v for _, v in ctx.reference_results] + list(ctx.gold)
    out: set[float] = set()
    for index in range(len(steps) - 1, -1, -1):
        for value in steps[index].results:
            if in_pool(value, good):
                continue
            for later in steps[index + 1:]:
                uses = any(in_pool(value, e.operands) for e in later.equations)
                if uses and any(in_pool(r, good) for r in later.results):
                    out.add(value)
                    good.append(value)
                    break
    return out


def _weakest_divergence(steps: Sequence[Step], ctx: _Context) -> Step | None:
    """When every check passes but the answer is wrong: the first step that states a number neither the question nor
    the reference has (the route left the reference there), else ``None``."""
    pool = [*ctx.given, *ctx.reference_values, *FREE_VALUES]
    for step in steps:
        if step.kind == "answer":
            break
        if any(not in_pool(v, pool) for v in (*step.numbers, *step.results)):
            return step
    return None


def _finish(found: tuple[str, Any, str], step: Step, ctx: _Context, checks: list[StepCheck],
            produced: list[float]) -> Diagnosis:
    check, equation, evidence = found
    if check == "arithmetic":
        kind = "calculation_error"
        reference = _align(step, equation, ctx)
    elif check == "answer":
        gold_value = ctx.gold[0] if ctx.gold else None
        kind = ("answer_extraction" if in_pool(gold_value, produced) else "other" if ctx.has_reference
                else "no_reference")
        reference = None
    elif not ctx.has_reference:
        kind, reference = ("adding_irrelevant_information" if check == "operand" else "no_reference"), None
    else:
        reference = _align(step, equation, ctx)
        kind, why = classify(step, equation, reference, ctx, produced)
        evidence = f"{evidence}; {why}" if why else evidence
    ref_text = reference[0].text if reference else ""
    if reference is not None and reference[1] is not None:
        evidence += f" (reference: {reference[1].expression} = {reference[1].stated:g})" if reference[1].stated \
            is not None else ""
    return Diagnosis(step.number, kind, evidence, _CONFIDENCE.get(check, 0.3), step.text, ref_text, tuple(checks))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]{3,}", text.lower())


def _align(step: Step, equation: Equation | None, ctx: _Context) -> tuple[Step, Equation | None] | None:
    """The reference step (and equation) closest to ``step``: shared operands, words and position."""
    best, score = None, -1.0
    operands = Counter(round(v, 6) for v in (equation.operands if equation else step.numbers))
    for ref in ctx.reference:
        if ref.kind == "answer":
            continue
        words = difflib.SequenceMatcher(None, _words(step.text), _words(ref.text)).ratio()
        position = 0.3 if ref.number == step.number else 0.0
        for ref_eq in ref.equations or (None,):
            shared = sum((operands & Counter(round(v, 6) for v in (ref_eq.operands if ref_eq else ref.numbers)))
                         .values())
            total = shared / max(1, len(operands)) + words + position
            if total > score:
                best, score = (ref, ref_eq), total
    return best


_FORMULA = re.compile(r"\b(area|perimeter|volume|average|mean|speed|rate|interest|circumference|profit|discount|"
                      r"percent(?:age)?|ratio|total cost)\b")


def _subsequence(short: str, long: str) -> bool:
    """Whether the operators ``short`` appear in order inside ``long`` (``"*"`` in ``"*+"``)."""
    it = iter(long)
    return len(short) < len(long) and all(c in it for c in short)


def _replacement(mine_v: float, ref_v: float, reference: Step, ctx: _Context, produced: Sequence[float],
                 earlier: Sequence[float]) -> tuple[str, str]:
    """The type of one quantity replaced by another, from where the reference's quantity comes from."""
    pair = f"{mine_v:g} where the reference has {ref_v:g}"
    if in_pool(ref_v, earlier):
        if not in_pool(ref_v, produced):
            return "missing_step", f"{pair}, a result the solution never computed"
        return "referencing_previous_step_value_error", f"earlier result copied wrong: {pair}"
    if in_pool(ref_v, UNIT_CONSTANTS) and not in_pool(ref_v, ctx.question):
        return "unit_conversion_error", f"conversion constant {pair}"
    stated_before = [v for ref in ctx.reference if ref.number < reference.number for v in ref.numbers]
    if in_pool(ref_v, stated_before) and not in_pool(ref_v, ctx.given):
        return "referencing_previous_step_value_error", f"value of an earlier step copied wrong: {pair}"
    small = all(float(v).is_integer() and 0 < v <= 100 for v in (mine_v, ref_v))
    if small and abs(mine_v - ref_v) == 1 and not in_pool(ref_v, ctx.question):
        return "counting_error", f"off by one: {pair}"
    if in_pool(ref_v, ctx.given):
        return "referencing_context_value_error", f"question value copied wrong: {pair}"
    if small:
        return "counting_error", f"count {pair}"
    return "referencing_previous_step_value_error", pair


def classify(step: Step, equation: Equation | None, reference: tuple[Step, Equation | None] | None, ctx: _Context,
             produced: Sequence[float]) -> tuple[str, str]:
    """The error type of a failing step from how it differs from its aligned reference equation, and why."""
    if reference is None or reference[1] is None or equation is None:
        new = [v for v in step.numbers if not in_pool(v, _known(ctx, produced))]
        if new and _CONVERSION.search(step.text):
            return "unit_conversion_error", f"conversion stated as {new[0]:g}"
        if new and reference is not None and equation is None:  # a stated number where the reference states another
            theirs = [v for v in reference[0].numbers if not in_pool(v, step.numbers)]
            if len(theirs) == 1:
                earlier = [v for number, v in ctx.reference_results if number < reference[0].number]
                return _replacement(new[0], theirs[0], reference[0], ctx, produced, earlier)
        if new:
            return "adding_irrelevant_information", f"{new[0]:g} is not part of the problem"
        return "confusing_formula_error" if equation is not None else "other", ""
    ref_eq = reference[1]
    mine, theirs = Counter(round(v, 6) for v in equation.operands), Counter(round(v, 6) for v in ref_eq.operands)
    extra, missing = list((mine - theirs).elements()), list((theirs - mine).elements())
    earlier = [v for number, v in ctx.reference_results if number < reference[0].number]
    known = _known(ctx, produced)
    if extra and not missing and (set(mine) != set(theirs) or _subsequence(ref_eq.operators, equation.operators)):
        return "adding_irrelevant_information", f"it adds {extra[0]:g} to what the reference combines"
    if extra and len(extra) > len(missing) and any(not in_pool(v, known) for v in extra):
        return "adding_irrelevant_information", f"it adds {extra[0]:g}, which the problem does not give"
    if missing and not extra:
        return "missing_step", f"it leaves out {missing[0]:g}, which the reference combines here"
    if not extra and not missing:
        ops, ref_ops = equation.operators, ref_eq.operators
        if len(ops) == len(ref_ops) and sum(a != b for a, b in zip(ops, ref_ops, strict=True)) == 1:
            a, b = next((a, b) for a, b in zip(ops, ref_ops, strict=True) if a != b)
            named = _FORMULA.findall(step.text.lower()), _FORMULA.findall(reference[0].text.lower())
            if (any(named) and set(named[0]) != set(named[1])) or len(set(named[0])) > 1:
                return "confusing_formula_error", f"'{a}' where the reference's formula has '{b}'"
            return "operator_error", f"'{a}' where the reference has '{b}'"
        return "confusing_formula_error", "the same quantities combined by another formula"
    if len(extra) == 1 and len(missing) == 1 and equation.operators == ref_eq.operators:
        return _replacement(extra[0], missing[0], reference[0], ctx, produced, earlier)
    if set(mine) == set(theirs) or equation.operators != ref_eq.operators:
        return "confusing_formula_error", f"{equation.expression} where the reference computes {ref_eq.expression}"
    if any(in_pool(v, earlier) and not in_pool(v, produced) for v in missing):
        return "missing_step", "it uses a result the solution never computed"
    return "other", f"{equation.expression} where the reference computes {ref_eq.expression}"
