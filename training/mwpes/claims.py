"""A wrong number asserted in words before it is used: the error lies where the number is asserted.

A step whose value leaves the reference's path often combines a number ``v`` where the reference's aligned
equation combines another. When ``v`` is neither the question's nor a unit constant and an earlier step asserted it
in words alone (no equation of that step computes or uses it: "the largest number both pack sizes share is 3", "the
trip takes 2 hours"), the failing step only carries the assertion on: the first wrong step is the first step
that asserted ``v``, provided that is where ``v`` first appears. A number first computed (then restated, rightly or
not) or first combined in an equation keeps the error where it is used.

Example:
    >>> from knowbench.training.mwpes.steps import split_steps
    >>> asserts(2.0, split_steps("The GCD of 6 and 8 is 2.")[0]), asserts(2.0, split_steps("So 8 / 4 = 2.")[0])
    (True, False)
    >>> asserts(2.0, split_steps("David = B/2")[0])
    False
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from knowbench.training.mwpes.check_context import UNIT_CONSTANTS, Context, in_pool
from knowbench.training.mwpes.error_types import align
from knowbench.training.mwpes.steps import Step, numbers_in


def asserts(value: float, step: Step) -> bool:
    """Whether a text ``step`` states ``value`` in words alone: no equation of its own computes or uses it, and it
    stands in no arithmetic (``B/2`` is part of an expression, no assertion)."""
    in_equations = [v for e in step.equations for v in (*e.operands, *((e.stated,) if e.stated is not None else ()))]
    if step.kind != "text" or in_pool(value, in_equations):
        return False
    words = re.sub(r"\S*\d\s*[-+*/=×]\s*\S*|\S*[-+*/=×]\s*\$?\d[\d,.]*", " ", step.text)
    return in_pool(value, numbers_in(words))


def asserted_number(diagnosis: Any, steps: Sequence[Step], ctx: Context) -> Any:
    """``diagnosis`` moved to the earlier step that first asserted, in words alone, the number its failing step
    combines in place of the reference's (a value off the path); else ``diagnosis`` unchanged."""
    number = diagnosis.first_error_step
    last = diagnosis.checks[-1] if diagnosis.checks else None
    position = next((i for i, s in enumerate(steps) if s.number == number), None)
    if position is None or last is None or last.step != number or last.passed or last.check != "value":
        return diagnosis
    step = steps[position]
    for equation in step.equations:
        aligned = align(step, equation, ctx)
        if aligned is None or aligned[1] is None:
            continue
        mine = Counter(round(v, 6) for v in equation.operands)
        extra = [v for v in mine - Counter(round(v, 6) for v in aligned[1].operands)
                 if not in_pool(v, ctx.given) and not in_pool(v, UNIT_CONSTANTS)]
        for value in extra:  # where the number first appears, it is asserted, not computed
            first = next((s for s in steps[:position] if in_pool(value, (*s.numbers, *s.results))), None)
            if first is not None and asserts(value, first):
                evidence = f"{diagnosis.evidence}; step {first.number} asserts {value:g} without computing it"
                return replace(diagnosis, first_error_step=first.number, step_text=first.text, evidence=evidence)
        return diagnosis
    return diagnosis
