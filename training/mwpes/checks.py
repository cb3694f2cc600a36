"""Per-step checks of a solution against its question and reference: the first wrong step and the error type.

Checks, in the order a step is examined (every rule follows from what the error type means; none is fitted to data):

1. **arithmetic**: every stated equation must hold (``6 x 4 = 23`` fails); a single-letter unknown of the question
   takes the gold value, so ``44 + 9x = 98 - 44`` is checked too. Failing: ``calculation_error``; but when the
   failing equation's side in the unknown was already written by an earlier step and the reference never writes it
   (as the same function of the unknown), the earlier step set it up wrong (``confusing_formula_error``).
2. **operands**: every number the step computes with must come from the question, the reference, an earlier step or a
   unit constant; a new number is an added fact (``adding_irrelevant_information``) or a wrong copy.
3. **values**: a value the step produces must lie on the reference's path (a reference value or a question number),
   unless a later step uses it and its *true* arithmetic gets back onto that path (a valid other route; a later
   step that only *states* a path value by wrong arithmetic does not make it valid).
4. **answer**: the final answer must equal the gold one (a right value computed but another reported:
   ``answer_extraction``; no final answer: ``truncated``). When every step checks out but the answer is wrong, the
   error is where the wrong answer comes from: the step after the one that reached a value the reference goes on
   from (a stop too early, ``missing_step``), else the step that first computes the reported answer.

The failing step is typed by :mod:`knowbench.training.mwpes.error_types` (aligned with the closest reference
equation and compared with it); a failure where the reference combines the result of a reference step the solution
went past without ever computing it is a ``missing_step``. Types follow Li et al. 2024, "Evaluating Mathematical
Reasoning of Large Language Models: A Focus on Error Identification and Correction" (EIC).

Example:
    >>> d = diagnose("Each skirt costs $6. She sells 4.", "He earns $6 x 4 = $23.\\n#### 23",
    ...              "He earns $6 x 4 = $24.\\n#### 24", "24")
    >>> d.first_error_step, d.error_type, d.evidence
    (1, 'calculation_error', 'step 1 states 6*4 = 23, but 6*4 = 24 (reference: 6*4 = 24)')
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from knowbench.training.mwpes.check_context import (
    ERROR_TYPES,
    FREE_VALUES,
    UNIT_CONSTANTS,
    Context,
    close,
    holds,
    in_pool,
    known_numbers,
    make_context,
    part_values,
    question_numbers,
    set_up_at,
    unknowns_of,
    varies,
)
from knowbench.training.mwpes.claims import asserted_number
from knowbench.training.mwpes.edits import EditDiff, compare, number_change, refine, restates
from knowbench.training.mwpes.error_types import (
    _replacement,
    align,
    classify,
    converts_otherwise,
    operators_swapped,
    other_formula,
)
from knowbench.training.mwpes.plans import announced_method
from knowbench.training.mwpes.steps import Equation, Step, numbers_in, split_steps, to_number

__all__ = ["ERROR_TYPES", "Diagnosis", "StepCheck", "classify", "close", "diagnose", "holds", "in_pool",
           "question_numbers", "unknowns_of"]

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


def diagnose(question: str, solution: str, reference: str, gold: str, run_code: bool = True) -> Diagnosis:
    """Check every step of ``solution``; the first failing one is the first error, typed against ``reference``
    (and retyped where the solution is an edit of the reference that drops or adds a step: :mod:`edits`)."""
    unknowns = unknowns_of(question, gold)
    steps = split_steps(solution, unknowns, run_code=run_code)
    ctx = make_context(question, reference, gold, unknowns)
    found = _check_steps(steps, ctx, gold)
    if not ctx.reference or found.error_type == "truncated":
        return found
    ref_steps = ctx.reference
    diff = compare(steps, ref_steps)
    if diff.is_edit and not diff.dropped and diff.first_change is not None:
        if diff.first_change != found.first_error_step:
            # the steps before the first change are the reference's own: the error cannot lie before it
            found = _check_edited_step(diff, steps, ctx) or found
        elif found.error_type == "other":
            position = next(i for i, s in enumerate(steps) if s.number == diff.first_change)
            counterpart = next((r for r in ref_steps if r.number == dict(diff.pairs).get(diff.first_change)), None)
            produced = [v for s in steps[:position] for v in (*s.results, *s.numbers)]
            if counterpart is not None:
                found = _retype_by_numbers(found, steps[position], counterpart, ctx, produced)
    return announced_method(asserted_number(refine(found, diff, question, steps, ref_steps), steps, ctx), steps)


def _check_edited_step(diff: EditDiff, steps: Sequence[Step], ctx: Context) -> Diagnosis | None:
    """The diagnosis at the first step an edit of the reference changes, typed against the reference step it
    stands for."""
    position = next((i for i, s in enumerate(steps) if s.number == diff.first_change), None)
    if position is None:
        return None
    step, later = steps[position], steps[position + 1:]
    produced = [v for s in steps[:position] for v in (*s.results, *s.numbers)]
    counterpart = dict(diff.pairs).get(step.number)
    within = [r for r in ctx.reference if r.number == counterpart]
    for check in (_check_arithmetic, _check_operands, _check_values):
        found = check(step, ctx, produced, set(), later)
        if found is not None:
            break
    else:
        if restates(step, within):  # it says what the reference step combines, computing nothing yet: no change
            return None
        theirs = {e.expression for e in within[0].equations} if within else set()
        equation = next((e for e in step.equations if e.expression not in theirs), None)
        found = ("value", equation, f"step {step.number} changes the numbers of the reference's step {counterpart}")
    diagnosis = _finish(found, step, ctx, [StepCheck(step.number, found[0], False, found[2])], produced,
                        within or None)
    return _retype_by_numbers(diagnosis, step, within[0], ctx, produced) if within else diagnosis


def _retype_by_numbers(diagnosis: Diagnosis, step: Step, counterpart: Step, ctx: Context,
                       produced: Sequence[float]) -> Diagnosis:
    """A diagnosis of type ``other`` at an edited step, typed by how its numbers differ from those of the reference
    step it stands for: a number brought in that the problem does not give, one number replaced by another (typed
    by where the reference's number comes from), or a number left out."""
    change = number_change(step, counterpart) if diagnosis.error_type == "other" else None
    if change is None:
        return diagnosis
    how, mine, theirs = change
    known = known_numbers(ctx, produced)
    new = next((v for v in mine if not in_pool(v, known)), None)
    if how == "inserted" and new is not None:
        kind, why = "adding_irrelevant_information", f"it brings in {new:g}, which neither the problem nor the reference has"
    elif how == "replaced" and len(mine) == len(theirs) == 1:
        earlier = [v for number, v in ctx.reference_results if number < counterpart.number]
        kind, why = _replacement(mine[0], theirs[0], counterpart, ctx, produced, earlier, step.text)
    elif how == "deleted":
        kind, why = "missing_step", f"it leaves out {theirs[0]:g}, which the reference's step {counterpart.number} has"
    else:
        return diagnosis
    return replace(diagnosis, error_type=kind, evidence=f"{diagnosis.evidence.split('; ')[0]}; {why}")


def _check_steps(steps: list[Step], ctx: Context, gold: str) -> Diagnosis:
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
                weak = _weakest_divergence(steps, ctx, detours) if ctx.has_reference else None
                if weak is not None and not in_pool(to_number(gold), produced):
                    return Diagnosis(weak.number, "confusing_formula_error" if weak.equations else "other",
                                     f"{found[2]}; every step checks out, but the route leaves the reference at "
                                     f"step {weak.number}", _CONFIDENCE["claim"] - 0.1, weak.text, "", tuple(checks))
                origin = _answer_origin(steps, ctx, _reported(step)) \
                    if ctx.has_reference and not in_pool(to_number(gold), produced) else None
                if origin is not None and origin[0].number < step.number:
                    return Diagnosis(origin[0].number, "missing_step" if origin[1] else "other",
                                     f"{found[2]}; {origin[2]}", _CONFIDENCE["claim"] - 0.1, origin[0].text, "",
                                     tuple(checks))
                return _finish(found, step, ctx, checks, produced)
            continue
        for check in (_check_arithmetic, _check_operands, _check_values):
            found = check(step, ctx, produced, detours, later)
            if found is not None:
                checks.append(StepCheck(step.number, found[0], False, found[2]))
                origin = set_up_at(found[1], steps[:position], ctx) if found[0] == "arithmetic" else None
                if origin is not None:
                    return _set_up_wrong(origin, found, ctx, checks)
                skipped = _skipped_reference_step(steps[:position + 1], ctx)
                if skipped is not None and _needs(step, found[1], skipped[1], ctx):
                    return _missing(step, skipped[1], found, checks)
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
        weak = _weakest_divergence(steps, ctx, detours) if ctx.has_reference else None
        if weak is not None and not in_pool(to_number(gold), produced):
            return Diagnosis(weak.number, "confusing_formula_error" if weak.equations else "other",
                             f"every step checks out and the final answer {answer:g} is not {gold}; the route "
                             f"leaves the reference at step {weak.number}", _CONFIDENCE["claim"] - 0.1, weak.text, "",
                             tuple(checks))
        kind = "answer_extraction" if in_pool(to_number(gold), produced) else "other"
        origin = _answer_origin(steps, ctx, answer) if kind == "other" and ctx.has_reference else None
        if origin is not None:
            return Diagnosis(origin[0].number, "missing_step" if origin[1] else "other",
                             f"every step checks out but the final answer {answer:g} is not {gold}; " + origin[2],
                             _CONFIDENCE["claim"] - 0.1, origin[0].text, "", tuple(checks))
        return Diagnosis(last.number, kind if ctx.has_reference or kind != "other" else "no_reference",
                         f"every step checks out but the final answer {answer:g} is not {gold}", _CONFIDENCE["none"],
                         last.text, "", tuple(checks))
    return Diagnosis(None, "other", "no step fails a check", _CONFIDENCE["none"], "", "", tuple(checks))


def _check_arithmetic(step: Step, ctx: Context, produced: list[float], detours: set[float],
                      later: Sequence[Step]) -> tuple[str, Equation, str] | None:
    for equation in step.equations:
        if holds(equation) is False:
            return ("arithmetic", equation,
                    f"step {step.number} states {equation.expression} = {equation.stated:g}, "
                    f"but {equation.expression} = {equation.computed:g}")
    return None


def _check_operands(step: Step, ctx: Context, produced: list[float], detours: set[float],
                    later: Sequence[Step]) -> tuple[str, Equation | None, str] | None:
    known = known_numbers(ctx, produced) + list(UNIT_CONSTANTS)
    for equation in step.equations:
        new = [v for v in equation.operands if not in_pool(v, known)]
        # a chain builds on itself: "52 * (2 + 1) = 52 * 3" takes 3 from its previous link
        known += [v for v in (equation.stated, equation.computed) if v is not None] + \
            part_values(equation.expression, ctx.unknowns)
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


def _check_values(step: Step, ctx: Context, produced: list[float], detours: set[float],
                  later: Sequence[Step]) -> tuple[str, Equation | None, str] | None:
    if not ctx.has_reference:  # nothing to compare values with: only arithmetic and operands are checked
        return None
    on_path = list(ctx.reference_values)
    for equation in step.equations:
        value = equation.stated
        if value is None or varies(equation, ctx.unknowns) or not re.search(r"[-+*/]", equation.expression.lstrip("-")):
            continue  # an equation in the unknown holds or not (arithmetic); its value is no reference value
        if in_pool(value, detours):
            continue
        if not in_pool(value, on_path):
            return ("value", equation, f"step {step.number} computes {equation.expression} = {value:g}, a value "
                    "the reference never reaches")
        results = [v for _, v in ctx.reference_results] + list(ctx.gold)
        if not in_pool(value, results):
            return ("value", equation, f"step {step.number} computes {equation.expression} = {value:g}, a number "
                    "the reference takes as given and never computes")
        if ctx.has_reference and not _derived_alike(equation, ctx):
            return ("value", equation, f"step {step.number} computes {equation.expression} = {value:g}, a value "
                    "the reference reaches from other quantities")
    if step.kind == "code" and not re.fullmatch(r"\s*[A-Za-z_]\w*\s*=\s*-?[\d.]+\s*", step.text.split("#")[0]):
        for value in step.values:  # a literal assignment (hours_per_day = 24) is checked as an operand only
            if not in_pool(value, [*on_path, *ctx.given]) and not in_pool(value, detours) and not in_pool(value, produced):
                return ("value", None, f"step {step.number} ({step.text.split('#')[0].strip()}) gives {value:g}, "
                        "a value the reference never reaches")
    if not step.equations and step.kind == "text" and ctx.has_reference:
        claimed = [v for v in step.numbers if not in_pool(v, known_numbers(ctx, produced) + list(UNIT_CONSTANTS))]
        if claimed:
            return ("claim", None, f"step {step.number} states {', '.join(f'{v:g}' for v in claimed)}, a number "
                    "neither given nor computed")
    return None


def _derived_alike(equation: Equation, ctx: Context) -> bool:
    """Whether the reference computes the same value from at least one of the same quantities (or never computes
    it in an equation at all, so there is nothing to compare)."""
    # an equation in the unknown ("$306 = $300 + 3x", "x = 10") is a condition on it, no derivation of its value
    same = [e for ref in ctx.reference for e in ref.equations if close(e.stated, equation.stated) and not e.variables]
    if not same:
        return True
    return any(in_pool(v, e.operands) for e in same for v in equation.operands)


def _reported(step: Step) -> float | None:
    """The value an answer step reports (its last number)."""
    numbers = step.numbers or tuple(step.results)
    return numbers[-1] if numbers else None


def _check_answer(step: Step, gold: str, produced: list[float]) -> tuple[str, None, str] | None:
    reported = _reported(step)
    gold_value = to_number(gold) if gold else None
    if reported is None or gold_value is None or close(reported, gold_value):
        return None
    return ("answer", None, f"step {step.number} reports {reported:g} as the final answer, but the gold "
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


def _detours(steps: Sequence[Step], ctx: Context) -> set[float]:
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
                # back on the path by right arithmetic: what the equation really gives, not what it states
                back = [e.stated if e.computed is None else e.computed for e in later.equations
                        if in_pool(value, e.operands)]
                if any(in_pool(r, good) for r in back):
                    out.add(value)
                    good.append(value)
                    break
    return out


def _weakest_divergence(steps: Sequence[Step], ctx: Context, detours: Collection[float] = ()) -> Step | None:
    """When every check passes but the answer is wrong: the first step that states a number neither the question nor
    the reference has and no later step takes back onto the reference's path (the route left the reference there),
    else ``None``."""
    pool = [*ctx.given, *ctx.reference_values, *FREE_VALUES, *detours]
    for step in steps:
        if step.kind == "answer":
            break
        if any(not in_pool(v, pool) for v in (*step.numbers, *step.results)):
            return step
    return None


def _skipped_reference_step(steps: Sequence[Step], ctx: Context) -> tuple[Step, Step] | None:
    """``(solution step, reference step)`` when the solution, before a step that fails, goes on past a computation
    of the reference that it never makes: the first of ``steps`` whose value lies on the reference's path beyond a
    reference step whose result (an intermediate a later reference step uses) the solution never states. That is
    where a step went missing (the failure after it follows from the gap). ``None`` when nothing is skipped, or the
    failing step itself is the first to go past the gap."""
    if not ctx.has_reference or len(steps) < 2:
        return None
    stated = [v for s in steps[:-1] for v in (*s.results, *s.numbers)]  # before the failing step
    needed = []
    for ref in ctx.reference:
        if not any(re.search(r"[-+*/]", e.expression.lstrip("-")) for e in ref.equations):
            continue
        later_operands = [v for r in ctx.reference if r.number > ref.number for e in r.equations for v in e.operands]
        values = [v for v in ref.results if in_pool(v, later_operands) and not in_pool(v, ctx.given)]
        if values and not any(in_pool(v, stated) for v in values):
            needed.append(ref.number)
    if not needed:
        return None
    for step in steps:
        for ref in ctx.reference:
            if ref.number > needed[0] and any(in_pool(v, ref.results) for v in step.results) and \
                    not any(in_pool(v, r.results) for r in ctx.reference if r.number <= needed[0]
                            for v in step.results):
                return step, next(r for r in ctx.reference if r.number == needed[0])
    return None


def _needs(step: Step, equation: Equation | None, skipped: Step, ctx: Context) -> bool:
    """Whether the reference equation aligned with the failing ``step`` combines a result of ``skipped``: the gap
    is where the failure comes from (not an unrelated slip after a valid shortcut)."""
    aligned = align(step, equation, ctx)
    return aligned is not None and aligned[1] is not None and \
        any(in_pool(v, aligned[1].operands) for v in skipped.results)


def _missing(step: Step, ref: Step, found: tuple[str, Any, str], checks: list[StepCheck]) -> Diagnosis:
    """The failing ``step`` typed ``missing_step``: the solution went past reference step ``ref`` without it."""
    shown = ", ".join(f"{e.expression} = {e.stated:g}" for e in ref.equations if e.stated is not None)
    evidence = (f"{found[2]}; the solution leaves out the reference's step {ref.number} ({shown}), which it never "
                "computes")
    return Diagnosis(step.number, "missing_step", evidence, _CONFIDENCE["value"], step.text, ref.text, tuple(checks))


def _answer_origin(steps: Sequence[Step], ctx: Context, answer: float | None) -> tuple[Step, bool, str] | None:
    """When every step checks out but the final answer is wrong: ``(step, stopped early, why)`` for where the wrong
    answer comes from. An answer the reference reaches on its way (the solution stops too early) goes wrong at the
    step after the one that reached it, where the solution concludes instead of going on; any other answer goes
    wrong at the first step that computes it (else that states it). ``None`` when no step before the answer line
    has it."""
    if answer is None:
        return None
    body = [s for s in steps if s.kind != "answer"]
    first = next((s for s in body if in_pool(answer, s.results)), None) or \
        next((s for s in body if in_pool(answer, s.numbers)), None)
    if first is None:
        return None
    midway = in_pool(answer, [v for _, v in ctx.reference_results]) and not in_pool(answer, ctx.gold)
    if midway:
        after = next((s for s in steps if s.number > first.number), None)
        if after is not None:
            return after, True, (f"step {first.number} reaches {answer:g}, a value the reference goes on from, and "
                                 f"step {after.number} concludes there")
    return first, False, f"the wrong answer {answer:g} first comes from step {first.number}"


def _new_fact(step: Step, ctx: Context, produced: Sequence[float]) -> float | None:
    """A number the problem does not give that the step states in its words as well as computing with it ("adding 4
    more cats, 20 + 4 = 24"): a fact brought in, not a number copied wrong into an equation; ``None`` when none."""
    known = [*known_numbers(ctx, produced), *UNIT_CONSTANTS]
    in_equations = Counter(round(v, 6) for e in step.equations
                           for v in (*e.operands, *((e.stated,) if e.stated is not None else ())))
    mentioned = Counter(round(v, 6) for v in step.numbers)
    for value, count in mentioned.items():
        if count > in_equations.get(value, 0) and in_equations.get(value, 0) and not in_pool(value, known):
            return value
    return None


def _set_up_wrong(origin: tuple[Step, str], found: tuple[str, Any, str], ctx: Context,
                  checks: list[StepCheck]) -> Diagnosis:
    step, expression = origin
    names = ", ".join(sorted(ctx.unknowns))
    evidence = (f"{found[2]} at the gold value of {names}; step {step.number} set up {expression}, an expression "
                "the reference never writes")
    return Diagnosis(step.number, "confusing_formula_error", evidence, _CONFIDENCE["value"], step.text, "",
                     tuple(checks))


def _finish(found: tuple[str, Any, str], step: Step, ctx: Context, checks: list[StepCheck],
            produced: list[float], within: Sequence[Step] | None = None) -> Diagnosis:
    check, equation, evidence = found
    if check == "arithmetic":
        reference = align(step, equation, ctx, within)
        kind = "confusing_formula_error" if other_formula(step, equation, reference) else "calculation_error"
        if kind == "confusing_formula_error":  # say what differs, as for any other formula taken for another
            evidence = f"{evidence}; {equation.expression} where the reference computes {reference[1].expression}"
        elif operators_swapped(equation, reference):
            # the reference's quantities under another operator, miscomputed too: the operator is the first mistake
            kind, why = classify(step, equation, reference, ctx, produced)
            evidence = f"{evidence}; {why}"
    elif check == "answer":
        gold_value = ctx.gold[0] if ctx.gold else None
        kind = ("answer_extraction" if in_pool(gold_value, produced) else "other" if ctx.has_reference
                else "no_reference")
        reference = None
    elif not ctx.has_reference:
        kind, reference = ("adding_irrelevant_information" if check == "operand" else "no_reference"), None
    else:
        reference = align(step, equation, ctx, within)
        # a new number stated as a fact, in a step that is not the reference's formula with one number replaced
        replaced = reference is not None and reference[1] is not None and equation is not None and \
            reference[1].operators == equation.operators
        fact = _new_fact(step, ctx, produced) if check == "operand" and not replaced else None
        if fact is not None and reference is not None and converts_otherwise(step, reference[0]):
            kind, why = "unit_conversion_error", f"it states {fact:g} as the conversion between two units"
        elif fact is not None:
            kind, why = "adding_irrelevant_information", f"it brings in {fact:g}, which neither the problem nor the reference has"
        else:
            kind, why = classify(step, equation, reference, ctx, produced)
        evidence = f"{evidence}; {why}" if why else evidence
    ref_text = reference[0].text if reference else ""
    if reference is not None and reference[1] is not None:
        evidence += f" (reference: {reference[1].expression} = {reference[1].stated:g})" if reference[1].stated \
            is not None else ""
    return Diagnosis(step.number, kind, evidence, _CONFIDENCE.get(check, 0.3), step.text, ref_text, tuple(checks))
