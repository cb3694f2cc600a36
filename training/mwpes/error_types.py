"""The error type of a failing step: align it with the closest reference equation and compare the two.

Same quantities with one operator changed (``operator_error``) or another formula (``confusing_formula_error``); one
quantity replaced by another: a question number copied wrong (``referencing_context_value_error``), an earlier
result copied wrong (``referencing_previous_step_value_error``), a result the solution never computed
(``missing_step``), a unit constant (``unit_conversion_error``), a count the solver had to make
(``counting_error``); a quantity left out (``missing_step``) or a new one added (``adding_irrelevant_information``).
Types follow Li et al. 2024, "Evaluating Mathematical Reasoning of Large Language Models: A Focus on Error
Identification and Correction" (EIC).

Example:
    >>> from knowbench.training.mwpes.check_context import make_context
    >>> from knowbench.training.mwpes.steps import split_steps
    >>> ctx = make_context("Skirts cost $6; she sells 4.", "6 x 4 = 24\\n#### 24", "24", {})
    >>> step = split_steps("6 + 4 = 10\\n#### 10")[0]
    >>> classify(step, step.equations[0], align(step, step.equations[0], ctx), ctx, [])
    ('operator_error', "'+' where the reference has '*'")
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence

from knowbench.training.mwpes.check_context import (
    FREE_VALUES,
    UNIT_CONSTANTS,
    Context,
    in_pool,
    known_numbers,
)
from knowbench.training.mwpes.edits import number_change
from knowbench.training.mwpes.steps import Equation, Step, numbers_in, to_number

_UNIT = (r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|inch(?:es)?|feet|foot|yards?|miles?|ounces?|"
         r"pounds?|cents?|dozens?|grams?|kilograms?|meters?|centimeters?|liters?|quarts?|gallons?|cups?|pints?)")
_CONVERSION = re.compile(rf"\b{_UNIT}\s+(?:in|per|to|make|=|equals?)\s+(?:an?|one|each|every|1)?\s*{_UNIT}\b|"
                         rf"\b{_UNIT}\s*/\s*{_UNIT}\b", re.I)

#: word forms of everyday units -> one name per unit
_UNIT_NAMES = {
    "second": r"seconds?|secs?", "minute": r"minutes?|mins?", "hour": r"hours?|hrs?", "day": r"days?",
    "week": r"weeks?", "month": r"months?", "year": r"years?", "inch": r"inch(?:es)?", "foot": r"feet|foot",
    "yard": r"yards?", "mile": r"miles?", "ounce": r"ounces?|oz", "pound": r"pounds?|lbs?", "ton": r"tons?",
    "gram": r"grams?", "kilogram": r"kilograms?|kg", "cent": r"cents?", "dollar": r"dollars?", "cup": r"cups?",
    "pint": r"pints?", "quart": r"quarts?", "gallon": r"gallons?", "millimeter": r"millimet(?:er|re)s?|mm",
    "centimeter": r"centimet(?:er|re)s?|cm", "meter": r"met(?:er|re)s?", "kilometer": r"kilomet(?:er|re)s?|km",
    "milliliter": r"millilit(?:er|re)s?|ml", "liter": r"lit(?:er|re)s?",
}
_UNIT_WORD = re.compile(r"\b(?:" + "|".join(f"(?P<{k}>{v})" for k, v in _UNIT_NAMES.items()) + r")\b", re.I)
#: how many of the smaller unit make one of the larger (US customary and SI definitions; a month taken as 30 days
#: or 4 weeks, as grade-school problems do)
_PER = {
    ("second", "minute"): 60, ("minute", "hour"): 60, ("second", "hour"): 3600, ("hour", "day"): 24,
    ("minute", "day"): 1440, ("day", "week"): 7, ("day", "month"): 30, ("week", "month"): 4, ("day", "year"): 365,
    ("week", "year"): 52, ("month", "year"): 12, ("inch", "foot"): 12, ("foot", "yard"): 3, ("inch", "yard"): 36,
    ("foot", "mile"): 5280, ("yard", "mile"): 1760, ("ounce", "pound"): 16, ("pound", "ton"): 2000,
    ("gram", "kilogram"): 1000, ("cent", "dollar"): 100, ("cup", "pint"): 2, ("pint", "quart"): 2,
    ("cup", "quart"): 4, ("quart", "gallon"): 4, ("cup", "gallon"): 16, ("millimeter", "centimeter"): 10,
    ("centimeter", "meter"): 100, ("meter", "kilometer"): 1000, ("milliliter", "liter"): 1000,
}


def conversion_constants(text: str) -> set[float]:
    """The constants between any two units ``text`` names, as one divides or multiplies by them to convert.

    Example:
        >>> sorted(round(c, 4) for c in conversion_constants("1200 minutes / 60 = 20 hours; 3 feet"))
        [0.0167, 60.0]
    """
    units = {name for match in _UNIT_WORD.finditer(text) for name, word in match.groupdict().items() if word}
    constants = {float(c) for (a, b), c in _PER.items() if a in units and b in units}
    return constants | {1 / c for c in constants}


def converts_otherwise(step: Step, reference: Step) -> bool:
    """Whether ``reference`` converts between two units it names by a constant it states, and ``step`` leaves that
    constant out ("50 minutes/hour" where the reference divides by 60 minutes/hour).

    Example:
        >>> from knowbench.training.mwpes.steps import split_steps
        >>> mine, ref = split_steps("30 / 50 minutes/hour = 0.6 hour\\n60 / 60 minutes/hour = 1 hour")
        >>> converts_otherwise(mine, ref), converts_otherwise(ref, ref)
        (True, False)
    """
    return any(in_pool(c, reference.numbers) and not in_pool(c, step.numbers)
               for c in conversion_constants(reference.text))


def text_words(text: str) -> list[str]:
    """The words of three letters or more, lower-cased."""
    return re.findall(r"[a-z]{3,}", text.lower())


def align(step: Step, equation: Equation | None, ctx: Context, within: Sequence[Step] | None = None
          ) -> tuple[Step, Equation | None] | None:
    """The reference step (and equation) closest to ``step``: shared operands, words and position (among
    ``within`` when given: the reference step the solution's step is known to stand for)."""
    best, score = None, -1.0
    operands = Counter(round(v, 6) for v in (equation.operands if equation else step.numbers))
    for ref in within or ctx.reference:
        if ref.kind == "answer":
            continue
        words = difflib.SequenceMatcher(None, text_words(step.text), text_words(ref.text)).ratio()
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


_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_SPAN = re.compile(r"\b([a-z]+)\s+(?:to|through|thru|until|-)\s+([a-z]+)\b")


def enumerated_counts(text: str) -> set[int]:
    """How many days or months a text names, which a solver has to count: the distinct names it lists, each span
    ``Monday to Friday`` (cyclic), a weekend (2) and the weekdays (5).

    Example:
        >>> sorted(enumerated_counts("on Tuesday and Thursday; from Monday to Friday; every weekend"))
        [2, 5]
    """
    lower = text.lower()
    counts = set()
    for names in (_DAYS, _MONTHS):
        rest = lower
        for match in _SPAN.finditer(lower):
            a, b = match.group(1).rstrip("s"), match.group(2).rstrip("s")
            if a in names and b in names:
                counts.add((names.index(b) - names.index(a)) % len(names) + 1)
                rest = rest.replace(match.group(0), " ")
        named = {n for n in names if re.search(rf"\b{n}s?\b", rest)}
        if named:
            counts.add(len(named))
    if re.search(r"\bweekends?\b", lower):
        counts.add(2)
    if re.search(r"\bweekdays\b|\bwork(?:ing)? ?days? of the week\b", lower):
        counts.add(5)
    return counts


def quoted(value: float, text: str, question: str) -> bool:
    """Whether ``text`` writes ``value`` with the word the question writes it with ("6 x 30 seconds" after "takes him
    30 seconds"): the question's quantity, even where an earlier result has the same value.

    Example:
        >>> quoted(30, "6 x 30 seconds = 180 seconds", "each problem takes him 30 seconds"), quoted(30, "30 + 3", "30 s")
        (True, False)
    """
    return bool(_mentions(value, text) & _mentions(value, question))


def _mentions(value: float, text: str) -> set[str]:
    """The words ``text`` writes right after ``value`` ("30 seconds" -> {"seconds"})."""
    return {word.lower() for number, word in _QUANTITY.findall(text)
            if (v := to_number(number)) is not None and abs(v - value) < 1e-9}


_QUANTITY = re.compile(r"(?<![\w.])\$?(\d[\d,]*(?:\.\d+)?)\s*([A-Za-z]{3,})")


def _replacement(mine_v: float, ref_v: float, reference: Step, ctx: Context, produced: Sequence[float],
                 earlier: Sequence[float], step_text: str = "") -> tuple[str, str]:
    """The type of one quantity replaced by another, from where the reference's quantity comes from."""
    pair = f"{mine_v:g} where the reference has {ref_v:g}"
    if in_pool(ref_v, UNIT_CONSTANTS) and _CONVERSION.search(step_text):  # the step states the conversion itself
        return "unit_conversion_error", f"conversion constant {pair}"
    if in_pool(ref_v, conversion_constants(reference.text)):  # the reference converts between two units it names
        return "unit_conversion_error", f"conversion constant {pair}"
    if in_pool(ref_v, earlier) and not quoted(ref_v, reference.text, ctx.text):
        if not in_pool(ref_v, produced):
            return "missing_step", f"{pair}, a result the solution never computed"
        return "referencing_previous_step_value_error", f"earlier result copied wrong: {pair}"
    operands = [v for e in reference.equations for v in e.operands]
    if in_pool(ref_v, reference.results) and not in_pool(ref_v, [*operands, *ctx.given]) \
            and in_pool(ref_v, numbers_in(step_text)):
        # "10 marbles because 60 x .2 = 12": the step carries on with another value than the one it computes
        return "referencing_previous_step_value_error", f"result carried on wrong: {pair}"
    small = all(float(v).is_integer() and 0 < v <= 100 for v in (mine_v, ref_v))
    before = [ref for ref in ctx.reference if ref.number < reference.number]
    words = _mentions(ref_v, reference.text)  # "2 days" is not the "2 hours" of an earlier step
    copied = in_pool(ref_v, [v for ref in before for v in ref.numbers]) and not in_pool(ref_v, ctx.given) and \
        (not words or any(words & _mentions(ref_v, ref.text) for ref in before))
    named = enumerated_counts(f"{reference.text} {step_text}")
    if not copied:
        named = named.union(enumerated_counts(ctx.text),
                            *(enumerated_counts(part) for part in re.split(r"[.;?!]\s", ctx.text)))
    if small and ref_v in named:  # counting the days or months the step or the problem names
        return "counting_error", f"count of the named items {pair}"
    if in_pool(ref_v, UNIT_CONSTANTS) and not in_pool(ref_v, ctx.question):
        return "unit_conversion_error", f"conversion constant {pair}"
    if copied:
        return "referencing_previous_step_value_error", f"value of an earlier step copied wrong: {pair}"
    if small and abs(mine_v - ref_v) == 1 and not in_pool(ref_v, ctx.question):
        return "counting_error", f"off by one: {pair}"
    if in_pool(ref_v, ctx.given):
        return "referencing_context_value_error", f"question value copied wrong: {pair}"
    if small:  # a constant the reference brings from outside the problem (the 4 sides of a square): its formula
        return "confusing_formula_error", f"constant {pair}"
    return "referencing_previous_step_value_error", pair


#: formulas of a shape or a set of numbers, which a solver may take one for another
_SHAPE_FORMULA = re.compile(r"\b(area|perimeter|volume|surface|circumference|average|mean)\b")


def operators_swapped(equation: Equation | None, reference: tuple[Step, Equation | None] | None) -> bool:
    """Whether ``equation`` combines exactly the quantities of its aligned reference equation with other operators."""
    if equation is None or reference is None or reference[1] is None:
        return False
    mine = Counter(round(v, 6) for v in equation.operands)
    theirs = Counter(round(v, 6) for v in reference[1].operands)
    return mine == theirs and len(equation.operators) == len(reference[1].operators) and \
        equation.operators != reference[1].operators


def other_formula(step: Step, equation: Equation | None, reference: tuple[Step, Equation | None] | None) -> bool:
    """Whether a step that names a formula (area, perimeter, volume, average, ...) combines the reference
    equation's quantities (not counting factors such as 2) by other operators: one formula taken for another.

    Example:
        >>> from knowbench.training.mwpes.steps import split_steps
        >>> mine, ref = split_steps("The area is 100 + 50 = 150.")[0], split_steps("The area is 100 * 50 = 5000.")[0]
        >>> other_formula(mine, mine.equations[0], (ref, ref.equations[0]))
        True
    """
    if equation is None or reference is None or reference[1] is None:
        return False
    ref_eq = reference[1]
    if not (_SHAPE_FORMULA.search(step.text.lower()) or _SHAPE_FORMULA.search(reference[0].text.lower())):
        return False
    mine = {round(v, 6) for v in equation.operands if not in_pool(v, FREE_VALUES)}
    theirs = {round(v, 6) for v in ref_eq.operands if not in_pool(v, FREE_VALUES)}
    return bool(mine) and mine == theirs and sorted(equation.operators) != sorted(ref_eq.operators)


def skipped_into(equation: Equation, ctx: Context, produced: Sequence[float]) -> tuple[Equation, Equation] | None:
    """``(reference equation, skipped reference equation)`` when ``equation`` is a reference equation with one of its
    quantities, a result the solution never computed, replaced by a quantity that result is computed from: the step
    goes on without the computation in between (``60000 - 5000`` where the reference first takes
    ``0.75 * 60000 = 45000`` and then ``45000 - 5000``).

    Example:
        >>> from knowbench.training.mwpes.check_context import make_context
        >>> from knowbench.training.mwpes.steps import split_steps
        >>> ctx = make_context("60,000 seats, 75% sold; 5,000 stayed home.", "0.75*60000 = 45000\\n"
        ...                    "45000 - 5000 = 40000\\n#### 40000", "40000", {})
        >>> step = split_steps("60000 - 5000 = 55000")[0]
        >>> [e.expression for e in skipped_into(step.equations[0], ctx, [])]
        ['45000-5000', '0.75*60000']
    """
    mine = Counter(round(v, 6) for v in equation.operands)
    producers = {round(e.stated, 6): (ref.number, e) for ref in ctx.reference for e in ref.equations
                 if e.stated is not None}
    for ref in ctx.reference:
        for ref_eq in ref.equations:
            if ref_eq.operators != equation.operators:
                continue
            theirs = Counter(round(v, 6) for v in ref_eq.operands)
            extra, missing = list((mine - theirs).elements()), list((theirs - mine).elements())
            if len(extra) != 1 or len(missing) != 1 or in_pool(missing[0], produced):
                continue
            number, inner = producers.get(round(missing[0], 6), (0, None))
            # the computation left out comes before the one that goes on from it
            if inner is not None and inner is not ref_eq and number <= ref.number and in_pool(extra[0], inner.operands):
                return ref_eq, inner
    return None


def classify(step: Step, equation: Equation | None, reference: tuple[Step, Equation | None] | None, ctx: Context,
             produced: Sequence[float]) -> tuple[str, str]:
    """The error type of a failing step from how it differs from its aligned reference equation, and why."""
    if reference is None or reference[1] is None or equation is None:
        new = [v for v in step.numbers if not in_pool(v, known_numbers(ctx, produced))]
        if new and _CONVERSION.search(step.text):
            return "unit_conversion_error", f"conversion stated as {new[0]:g}"
        if new and reference is not None and equation is None:  # a stated number where the reference states another
            theirs = [v for v in reference[0].numbers if not in_pool(v, step.numbers)]
            change = number_change(step, reference[0])
            if len(theirs) != 1 and change and change[0] == "replaced" and len(change[1]) == len(change[2]) == 1 \
                    and in_pool(change[1][0], new):  # the new number stands where the reference has a number it repeats
                new, theirs = list(change[1]), list(change[2])
            if len(theirs) == 1:
                earlier = [v for number, v in ctx.reference_results if number < reference[0].number]
                return _replacement(new[0], theirs[0], reference[0], ctx, produced, earlier, step.text)
        if new:
            return "adding_irrelevant_information", f"it brings in {new[0]:g}, which neither the problem nor the reference has"
        return "confusing_formula_error" if equation is not None else "other", ""
    ref_eq = reference[1]
    if other_formula(step, equation, reference):
        return "confusing_formula_error", (f"{equation.expression} where the reference computes "
                                           f"{ref_eq.expression}")
    skipped = skipped_into(equation, ctx, produced)
    if skipped is not None:
        later_eq, inner = skipped
        return "missing_step", (f"{equation.expression} is the reference's {later_eq.expression} without first "
                                f"computing {inner.expression} = {inner.stated:g}")
    mine, theirs = Counter(round(v, 6) for v in equation.operands), Counter(round(v, 6) for v in ref_eq.operands)
    extra, missing = list((mine - theirs).elements()), list((theirs - mine).elements())
    earlier = [v for number, v in ctx.reference_results if number < reference[0].number]
    known = known_numbers(ctx, produced)
    bare = ref_eq.expression.replace("(", "").replace(")", ""), equation.expression.replace("(", "").replace(")", "")
    if extra and set(mine) == set(theirs) and set(equation.operators) != set(ref_eq.operators) and bare[0] not in bare[1]:
        # the same quantities recombined by other operators: (2*2)+(2*1)+(1*2) for the volume 2*2*1
        # (5*10+5 keeps the reference's 5*10 and adds a term: that is an added quantity)
        return "confusing_formula_error", f"{equation.expression} where the reference computes {ref_eq.expression}"
    if extra and not missing and (set(mine) != set(theirs) or _subsequence(ref_eq.operators, equation.operators)):
        return "adding_irrelevant_information", f"it adds {extra[0]:g} to what the reference combines"
    if extra and len(extra) > len(missing) and any(not in_pool(v, known) for v in extra):
        return "adding_irrelevant_information", f"it brings in {extra[0]:g}, which neither the problem nor the reference has"
    if missing and not extra:
        return "missing_step", f"it leaves out {missing[0]:g}, which the reference combines here"
    if not extra and not missing:
        ops, ref_ops = equation.operators, ref_eq.operators
        swapped = {(a, b) for a, b in zip(ops, ref_ops, strict=False) if a != b}
        if len(ops) == len(ref_ops) and len(swapped) == 1:  # one operator taken for another (wherever it occurs)
            a, b = next(iter(swapped))
            named = _FORMULA.findall(step.text.lower()), _FORMULA.findall(reference[0].text.lower())
            if (any(named) and set(named[0]) != set(named[1])) or len(set(named[0])) > 1:
                return "confusing_formula_error", f"'{a}' where the reference's formula has '{b}'"
            return "operator_error", f"'{a}' where the reference has '{b}'"
        return "confusing_formula_error", "the same quantities combined by another formula"
    if len(set(extra)) == 1 and len(set(missing)) == 1 and len(extra) == len(missing) \
            and equation.operators == ref_eq.operators:  # one quantity replaced, wherever it occurs
        return _replacement(extra[0], missing[0], reference[0], ctx, produced, earlier, step.text)
    if set(mine) == set(theirs) or equation.operators != ref_eq.operators:
        return "confusing_formula_error", f"{equation.expression} where the reference computes {ref_eq.expression}"
    if any(in_pool(v, earlier) and not in_pool(v, produced) for v in missing):
        return "missing_step", "it uses a result the solution never computed"
    return "other", f"{equation.expression} where the reference computes {ref_eq.expression}"
