"""A solution read as an edit of its reference: which reference steps it drops, which steps it adds.

Many wrong solutions are the reference with one thing changed: a benchmark that plants errors (EIC, Li et al. 2024,
"Evaluating Mathematical Reasoning of Large Language Models: A Focus on Error Identification and Correction"), a
model that copies a worked example, a student's corrected draft. Then the line structure itself says what happened:
a reference step with no counterpart was left out (``missing_step``); a step with no counterpart in the reference
that brings in a number the problem does not give is ``adding_irrelevant_information``.

Lines are compared as *skeletons*, their text with every number replaced by ``N``: a step whose numbers changed
because an earlier value changed is still the same step. A solution counts as an edit when its skeleton text is at
least :data:`EDIT_SIMILARITY` similar to the reference's (difflib's ratio); independently written solutions stay far
below that (a third on MR-GSM8K's model solutions, against whole words and phrasing shared in an edit).

Example:
    >>> ref = "Tom has 3 * 4 = 12 apples.\\nHe eats 2, so 12 - 2 = 10 are left.\\n#### 10"
    >>> diff = compare("He eats 2, so 12 - 2 = 10 are left.\\n#### 10", ref)
    >>> diff.is_edit, diff.dropped, diff.added
    (True, (1,), ())
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from knowbench.training.mwpes.check_context import holds, in_pool
from knowbench.training.mwpes.steps import Step, split_steps

#: skeleton similarity (difflib ratio) from which a solution is read as an edit of the reference
EDIT_SIMILARITY = 0.8

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?|\.\d+")


def skeleton(text: str) -> str:
    """A step's text with its numbers masked and its spacing collapsed.

    Example:
        >>> skeleton("He pays $6 x 4 =  $24.")
        'He pays $N x N = $N.'
    """
    return " ".join(_NUMBER.sub("N", text).split())


@dataclass(frozen=True)
class EditDiff:
    """How a solution's body steps line up with the reference's (answer lines left out).

    ``dropped``: numbers of reference steps with no counterpart; ``added``: numbers of solution steps with no
    counterpart; ``first_change``: the number of the first solution step that differs from its reference step (after
    any dropped step, the step that follows the gap), ``None`` when the body is the reference's.
    """

    is_edit: bool
    similarity: float
    dropped: tuple[int, ...] = ()
    added: tuple[int, ...] = ()
    first_change: int | None = None
    #: solution step number -> the number of the reference step it stands for
    pairs: tuple[tuple[int, int], ...] = ()


def _body(steps: list[Step]) -> list[Step]:
    return [s for s in steps if s.kind not in ("answer", "code")]


def compare(solution: str | list[Step], reference: str | list[Step]) -> EditDiff:
    """Line up ``solution`` with ``reference`` (texts or split steps) step by step."""
    mine = _body(split_steps(solution) if isinstance(solution, str) else solution)
    theirs = _body(split_steps(reference) if isinstance(reference, str) else reference)
    if not mine or not theirs:
        return EditDiff(False, 0.0)
    a, b = [skeleton(s.text) for s in theirs], [skeleton(s.text) for s in mine]
    similarity = _containment("\n".join(a), "\n".join(b))
    if similarity < EDIT_SIMILARITY:
        return EditDiff(False, similarity)
    dropped: list[int] = []
    added: list[int] = []
    paired: list[tuple[int, int]] = []
    changes: list[int] = []  # solution steps that differ in their numbers, are new, or follow a gap
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        # within a block, the lines that pair up best are the same step (perhaps edited); the rest were dropped or added
        pairs = dict(zip(range(i2 - i1), range(j2 - j1), strict=True)) if tag == "equal" else _pair(a[i1:i2], b[j1:j2])
        paired += [(mine[j1 + j].number, theirs[i1 + i].number) for i, j in pairs.items()]
        for i, j in pairs.items():
            if _given(theirs[i1 + i].text) != _given(mine[j1 + j].text):  # a reworded step with the same numbers is
                changes.append(mine[j1 + j].number)                        # the same computation
        for i in range(i2 - i1):
            if i not in pairs:
                dropped.append(theirs[i1 + i].number)
                after = next((j for i_, j in sorted(pairs.items()) if i_ > i), j2 - j1)
                if j1 + after < len(mine):
                    changes.append(mine[j1 + after].number)
        added += [mine[j1 + j].number for j in range(j2 - j1) if j not in pairs.values()]
    first = min([*changes, *added], default=None)
    return EditDiff(True, similarity, tuple(dropped), tuple(added), first, tuple(paired))


def _containment(a: str, b: str) -> float:
    """The share of the shorter text's words that lie in blocks of words it shares with the other (1.0 when one text
    is the other with lines added or dropped)."""
    x, y = a.split(), b.split()
    shorter = max(1, min(len(x), len(y)))
    if sum((Counter(x) & Counter(y)).values()) < EDIT_SIMILARITY * shorter:  # an upper bound, cheap
        return 0.0
    matcher = difflib.SequenceMatcher(None, x, y, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / shorter


def _pair(a: list[str], b: list[str]) -> dict[int, int]:
    """An order-keeping pairing of the lines of ``a`` with those of ``b`` that maximises total similarity, pairing
    as many lines as the shorter side has."""
    if not a or not b:
        return {}
    ratio = [[difflib.SequenceMatcher(None, x, y, autojunk=False).ratio() for y in b] for x in a]
    # best[i][j]: the best total pairing a[i:] with b[j:] when min(len) lines must pair
    n, m = len(a), len(b)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            options = [ratio[i][j] + best[i + 1][j + 1]]
            if n - i > m - j:
                options.append(best[i + 1][j])  # a[i] stays unpaired (there are lines of a to spare)
            if m - j > n - i:
                options.append(best[i][j + 1])
            best[i][j] = max(options)
    pairs, i, j = {}, 0, 0
    while i < n and j < m:
        if abs(best[i][j] - (ratio[i][j] + best[i + 1][j + 1])) < 1e-12:
            pairs[i] = j
            i, j = i + 1, j + 1
        elif n - i > m - j and abs(best[i][j] - best[i + 1][j]) < 1e-12:
            i += 1
        else:
            j += 1
    return pairs


def _given(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in _NUMBER.findall(text) if n.replace(",", "").replace(".", "")]


def _folds(step: Step, left_out: Step) -> bool:
    """Whether ``step`` carries out the computation of ``left_out`` inside its own, rightly: all of its operands,
    in an equation that goes on from them and holds."""
    operands = [v for e in left_out.equations for v in e.operands]
    return bool(operands) and any(
        len(e.operands) > len(operands) and holds(e) is True and all(in_pool(v, e.operands) for v in operands)
        for e in step.equations)


def refine(diagnosis: Any, diff: EditDiff, question: str, solution: list[Step], reference: list[Step]) -> Any:
    """``diagnosis`` retyped where the solution is an edit of the reference that drops a reference step (a
    ``missing_step``) or adds a step with a number neither the question nor the reference has
    (``adding_irrelevant_information``); any other diagnosis is returned as it is."""
    if not diff.is_edit:
        return diagnosis
    step = diagnosis.first_error_step if diagnosis.first_error_step is not None else diff.first_change
    if not diff.dropped and not diff.added and diagnosis.error_type == "other" and step == diff.first_change:
        changed = next((s for s in solution if s.number == step), None)
        counterpart = next((r for r in reference if r.number == dict(diff.pairs).get(step)), None)
        change = number_change(changed, counterpart) if changed and counterpart else None
        if change and change[0] == "inserted" and _used_later(change[1], step, diff, solution, reference):
            why = f"step {step} brings in {change[1][0]:g}, which a later step adds to the reference's computation"
            return replace(diagnosis, error_type="adding_irrelevant_information", evidence=f"{diagnosis.evidence}; {why}")
    if bool(diff.dropped) == bool(diff.added):
        return diagnosis
    if diff.dropped:
        left_out = next(s for s in reference if s.number == diff.dropped[0])
        if any(_folds(s, left_out) for s in solution):
            return diagnosis  # the left-out computation is done right inside another step: a shortcut, not a gap
        why = f"the solution leaves out the reference's step {left_out.number} ({left_out.text.strip()[:80]})"
        return replace(diagnosis, first_error_step=step, error_type="missing_step",
                       evidence=f"{diagnosis.evidence}; {why}" if diagnosis.evidence else why)
    known = _given(question) + [v for s in reference for v in _given(s.text)]
    for number in diff.added:
        added = next(s for s in solution if s.number == number)
        new = [v for v in _given(added.text) if not in_pool(v, known)]
        # or a quantity the step brings in that a later step then adds to the reference's computation
        used = _used_later(_given(added.text), number, diff, solution, reference)
        if new or used:
            why = (f"step {number} brings in {new[0]:g}, which neither the problem nor the reference has" if new else
                   f"step {number} brings in {used[0]:g}, which a later step adds to the reference's computation")
            return replace(diagnosis, first_error_step=step, error_type="adding_irrelevant_information",
                           evidence=f"{diagnosis.evidence}; {why}" if diagnosis.evidence else why)
    return diagnosis


def _used_later(values: Sequence[float], number: int, diff: EditDiff, solution: list[Step],
                reference: list[Step]) -> list[float]:
    """Those of ``values`` that a step after step ``number`` combines on top of its reference step's operands."""
    pairs = dict(diff.pairs)
    return [v for later in solution if later.number > number and later.number in pairs
            for ref in reference if ref.number == pairs[later.number]
            for v in _extra_operands(later, ref) if in_pool(v, values)]


def _extra_operands(step: Step, counterpart: Step) -> list[float]:
    """The operands ``step`` combines on top of all of those of the reference step it stands for."""
    mine = Counter(round(v, 6) for e in step.equations for v in e.operands)
    theirs = Counter(round(v, 6) for e in counterpart.equations for v in e.operands)
    return [] if theirs - mine or not theirs else list((mine - theirs).elements())


def number_change(step: Step, counterpart: Step) -> tuple[str, tuple[float, ...], tuple[float, ...]] | None:
    """The first difference between the numbers of ``step`` and those of the reference step it stands for, in the
    order they are written: ``("replaced", mine, theirs)``, ``("inserted", mine, ())`` or ``("deleted", (), theirs)``;
    ``None`` when they are the same.

    Example:
        >>> from knowbench.training.mwpes.steps import split_steps
        >>> mine, ref = split_steps("11 balloons/minute x 30 minutes = 330")[0], split_steps("10 x 30 = 300")[0]
        >>> number_change(mine, ref)
        ('replaced', (11.0,), (10.0,))
    """
    a, b = _given(counterpart.text), _given(step.text)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "replace":
            return "replaced", tuple(b[j1:j2]), tuple(a[i1:i2])
        if tag == "insert":
            return "inserted", tuple(b[j1:j2]), ()
        if tag == "delete":
            return "deleted", (), tuple(a[i1:i2])
    return None


def restates(step: Step, counterpart: Sequence[Step]) -> bool:
    """Whether ``step`` computes nothing and mentions every number its reference ``counterpart`` step combines: it
    restates the quantities the reference goes on to combine, leaving none out (no change to the reference yet).

    Example:
        >>> ref = split_steps("5 + 3 + 0.25 = 8.25 tablespoons")
        >>> restates(split_steps("Each needs 5 tbsp flour, 3 tbsp sugar and 0.25 tbsp salt.")[0], ref)
        True
        >>> restates(split_steps("Each needs 5 tbsp flour and 3 tbsp sugar.")[0], ref)
        False
    """
    operands = [v for ref in counterpart for e in ref.equations for v in e.operands]
    return not step.equations and bool(operands) and all(in_pool(v, step.numbers) for v in operands)
