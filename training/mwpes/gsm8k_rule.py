"""The ``gsm8k-rule`` analyzer: compares the model's calculator notes ``<<a*b=c>>`` with the gold solution's and names
the first note that diverges (arithmetic slip, unsupported quantity, wrong operation, wrong operand, missing steps).

Example:
    >>> [s.result for s in parse_steps("16 - 3 = <<16-3=13>>13 left\\n13 * 2 = <<13*2=26>>26")]
    [13.0, 26.0]
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowbench.training.mwpes.analyzers import ANALYZERS, Analysis
from knowbench.training.mwpes.samples import ErrorSample
from knowbench.training.mwpes.steps import safe_eval as evaluate

_STEP = re.compile(r"<<([^<>=]*)=([^<>]*)>>")
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")
_WORDS = {
    "half": 0.5, "quarter": 0.25, "third": 1 / 3, "one": 1, "two": 2, "twice": 2, "double": 2, "three": 3,
    "triple": 3, "thrice": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "dozen": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "hundred": 100, "thousand": 1000,
}
#: constants a solution may use without them appearing in the problem (units: days, hours, percent, ...)
_CONSTANTS = (0.5, 1.0, 2.0, 7.0, 12.0, 24.0, 30.0, 52.0, 60.0, 100.0, 365.0, 1000.0)
_OP_NAMES = {"+": "addition", "-": "subtraction", "*": "multiplication", "/": "division"}


@dataclass(frozen=True)
class Step:
    """One calculator note ``<<expr=result>>`` and the line it sits in."""

    expression: str
    result: float | None
    line: str

    @property
    def operands(self) -> list[float]:
        return [v for v in (_to_float(n) for n in _NUMBER.findall(self.expression)) if v is not None]

    @property
    def operators(self) -> str:
        return "".join(sorted(set(re.sub(r"[^-+*/]", "", re.sub(r"(?<![\d)])-", "", self.expression)))))


def _to_float(text: str) -> float | None:
    try:
        return float(text.replace(",", "").replace("$", "").strip())
    except ValueError:
        return None


def safe_eval(expression: str) -> float | None:
    """A calculator note's expression evaluated by :func:`knowbench.training.mwpes.steps.safe_eval`, after the
    notation of written arithmetic (``x`` / ``×`` for times, ``^``, ``%``, ``$`` and thousands commas).

    Example:
        >>> safe_eval("6x4"), safe_eval("$1,200 * 5%"), safe_eval("2/0")
        (24.0, 60.0, None)
    """
    text = expression.replace(",", "").replace("x", "*").replace("×", "*").replace("^", "**").replace("$", "")
    return evaluate(re.sub(r"(\d)\s*%", r"(\1/100)", text))


def parse_steps(solution: str) -> list[Step]:
    """The calculator notes of a GSM8K-style solution, in order."""
    steps = []
    for line in solution.splitlines():
        for expression, result in _STEP.findall(line):
            steps.append(Step(expression.strip(), _to_float(result), _STEP.sub("", line).strip()))
    return steps


def _close(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-4)


def _in(value: float | None, pool: Sequence[float]) -> bool:
    return any(_close(value, v) for v in pool)


def question_numbers(question: str) -> list[float]:
    numbers = [v for v in (_to_float(n) for n in _NUMBER.findall(question)) if v is not None]
    words = re.findall(r"[a-z]+", question.lower())
    percents = [v for v in (_to_float(p) for p in re.findall(r"(\d+(?:\.\d+)?)\s*(?:%|percent)", question)) if v]
    numbers += [p / 100 for p in percents] + [1 + p / 100 for p in percents] + [1 - p / 100 for p in percents]
    return numbers + [float(_WORDS[w]) for w in words if w in _WORDS] + list(_CONSTANTS)


@ANALYZERS.register("gsm8k-rule")
class GSM8KRuleAnalyzer:
    """Names the first calculator step of a wrong GSM8K solution that leaves the gold solution's path.

    Example:
        >>> from knowbench.training.mwpes.samples import ErrorSample
        >>> gold = "16 - 3 - 4 = <<16-3-4=9>>9 eggs\\n9 * 2 = <<9*2=18>>18\\n#### 18"
        >>> wrong = "16 - 3 = <<16-3=13>>13 eggs\\n13 * 2 = <<13*2=26>>26\\n#### 26"
        >>> s = ErrorSample("x", "Ducks lay 16 eggs; she eats three and bakes four; $2 each.", gold, "18", wrong,
        ...                 "26", "m")
        >>> GSM8KRuleAnalyzer().analyze([s])[0].kind
        'missing quantity'
    """

    name = "gsm8k-rule"

    def analyze(self, samples: Sequence[ErrorSample]) -> list[Analysis]:
        return [self.analyze_one(s) for s in samples]

    def analyze_one(self, sample: ErrorSample) -> Analysis:
        gold, model = parse_steps(sample.gold_solution), parse_steps(sample.solution)
        given = question_numbers(sample.question)
        gold_results = [s.result for s in gold if s.result is not None]
        tail = f" Final answer {sample.answer or 'missing'} instead of {sample.gold_answer}."
        if not model:
            text = "no calculation: the solution writes no arithmetic step and answers directly"
            return Analysis(text, "no calculation", details={"summary": text + "." + tail})
        earlier: list[float] = []
        for index, step in enumerate(model):
            actual = safe_eval(step.expression)
            where = f"step {index + 1}"
            if actual is not None and step.result is not None and not _close(actual, step.result):
                op = _OP_NAMES.get(step.operators[:1], "arithmetic") if len(step.operators) == 1 else "arithmetic"
                return self._make("arithmetic slip", index, f"arithmetic slip in {op} at {where}: the model writes "
                                  f"{step.expression} = {step.result:g} but it equals {actual:g}", step,
                                  self._closest_gold(step, gold), tail)
            if step.result is not None and _in(step.result, gold_results):
                earlier.append(step.result)
                continue
            known = given + gold_results + earlier
            unknown = [v for v in step.operands if not _in(v, known)]
            used_gold = [v for v in gold_results if _in(v, earlier)]
            match = self._closest_gold(step, gold)
            if unknown:
                kind = "unsupported quantity"
                text = (f"unsupported quantity at {where}: the model uses {', '.join(f'{v:g}' for v in unknown)}, "
                        f"a number that is neither in the problem nor computed before")
            elif match is not None and sorted(match.operands) == sorted(step.operands):
                kind = "wrong operation"
                text = (f"wrong operation at {where}: {_OP_NAMES.get(step.operators[:1], 'arithmetic')} "
                        f"instead of {_OP_NAMES.get(match.operators[:1], 'arithmetic')} on the same quantities")
            elif len(gold) > 0 and len(step.operands) < max(len(g.operands) for g in gold) and not used_gold:
                kind = "missing quantity"
                text = f"missing quantity at {where}: the step leaves out a quantity the reference combines"
            elif match is not None and match.operators == step.operators:
                kind = "wrong operand"
                text = (f"wrong operand at {where}: right {_OP_NAMES.get(step.operators[:1], 'arithmetic')} "
                        f"but applied to the wrong quantity")
            else:
                kind = "wrong reasoning"
                text = f"wrong reasoning at {where}: the step computes an intermediate value the reference never uses"
            return self._make(kind, index, text, step, match, tail)
        if sample.gold_answer and _in(_to_float(sample.answer or "") if sample.answer else None, gold_results):
            text = (f"premature stop: every step is right but the solution stops after {len(model)} of {len(gold)} "
                    "reference steps and answers an intermediate value")
            return Analysis(text, "premature stop", len(model), {"summary": text + "." + tail})
        text = "wrong final answer: the steps agree with the reference but the stated answer does not"
        return Analysis(text, "wrong final answer", details={"summary": text + "." + tail})

    @staticmethod
    def _closest_gold(step: Step, gold: Sequence[Step]) -> Step | None:
        best, score = None, 0
        for candidate in gold:
            shared = sum(1 for v in step.operands if _in(v, candidate.operands))
            if shared > score:
                best, score = candidate, shared
        return best

    @staticmethod
    def _make(kind: str, index: int, text: str, step: Step, reference: Step | None, tail: str) -> Analysis:
        line = " ".join(step.line.split()[:40])
        summary = f"{text}. Model step: {step.line}" + (f" Reference step: {reference.line}" if reference else "")
        details = {"model_step": step.expression, "reference_step": reference.expression if reference else None,
                   "summary": summary + tail}
        return Analysis(f"{text}. {line}" if line else text, kind, index + 1, details)
