"""Final-answer extraction from free-form solutions, and the per-dataset judge (no torch needed).

Extraction looks for the LAST final-answer marker in the text: ``\\boxed{...}``, ``#### x``, ``The answer is x``,
``Answer: x``, a line ``A: x``; without one it falls back to the last number (numeric sets) or the last option
letter (AQuA). Judging: numbers numerically (exact fractions, relative tolerance 1e-6), MATH answers with
``math-verify``, AQuA by option letter or by the text/number of an option, ASDiv's multi-answers, ratios and words
by value or normalised text.

Example:
    >>> from knowbench.datasets_src.mwpes.schema import Problem
    >>> p = Problem("gsm8k", "test-0", "q", "18", "...")
    >>> v = judge(p, "16 - 3 - 4 = 9 eggs, 9 * 2 = $18.\\nThe answer is $18.00.")
    >>> v.correct, v.extracted, v.method
    (True, '18.00', 'answer-is')
    >>> judge(p, "She makes 26 dollars").label
    'wrong'
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from fractions import Fraction

from knowbench.datasets_src.mwpes._common import last_boxed
from knowbench.datasets_src.mwpes.schema import Problem, parse_options

#: relative tolerance of numeric comparison (exact for integers and terminating decimals below ~1e6)
REL_TOL = 1e-6

NUMBER = re.compile(
    r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?:\s*/\s*\d+(?:\.\d+)?)?(?![\w])"
)
_MARKERS = [
    ("####", re.compile(r"####\s*([^\n]*)")),
    ("answer-is", re.compile(r"(?i)\banswer\s+(?:is|was|would be|will be)\s*:?\s*([^\n]*)")),
    ("answer-label", re.compile(r"(?i)\b(?:final\s+)?answer\s*[:=]\s*([^\n]*)")),
    ("a-line", re.compile(r"(?m)^\s*A\s*:\s*([^\n]*)")),
]
_LETTER = re.compile(r"^\W*?(?:(?i:option|choice)\s*)?\(?\b([A-E])\b\)?(?![\w'])")
_LETTER_MENTIONS = [
    re.compile(r"\b(?i:answer|ans|option|choice)\s*(?i:is)?\s*[:=.\-]*\s*(?i:option\s*)?\(?\b([A-E])\b\)?(?![\w'])"),
    re.compile(r"\b([A-E])\)?\s+is\s+(?:the\s+)?(?:correct|right|answer)"),
    re.compile(r"(?m)^\W*\(?([A-E])\)?[.!]?[ \t]*$"),
    re.compile(r"\(([A-E])\)"),
]


@dataclass(frozen=True)
class Extraction:
    """The answer span found in a solution and how it was found (``method``: a marker name, ``boxed``,
    ``last-number``, ``last-letter``, ``math-verify`` or ``none``)."""

    answer: str | None
    method: str
    #: where the final-answer marker starts in the solution (-1 when unknown)
    start: int = -1


@dataclass(frozen=True)
class Verdict:
    """The judge's decision on one solution."""

    correct: bool
    extracted: str | None
    method: str
    reason: str = ""

    @property
    def label(self) -> str:
        """``correct``, ``wrong`` (an answer that differs) or ``no_answer`` (none could be extracted)."""
        if self.correct:
            return "correct"
        return "no_answer" if self.extracted is None else "wrong"


def to_number(text: str) -> Fraction | None:
    """The value of a number string: ``"1,000"``, ``"-2.5"``, ``"3/4"``, ``"$18."``, ``"25%"``, ``"-(1/3)"``,
    ``"\\frac{9}{7}"``; ``None`` when it is not one number."""
    s = text.strip().replace("$", "").replace("\\!", "").replace("\\,", "").replace("\\%", "").rstrip("%. ")
    s = re.sub(r"\\[dt]?frac\{([^{}]+)\}\{([^{}]+)\}", r"\1/\2", s)
    s = s.replace(" ", "")
    negative = False
    while s.startswith("-") or (s.startswith("(") and s.endswith(")")):
        if s.startswith("-"):
            negative, s = not negative, s[1:]
        else:
            s = s[1:-1]
    s = re.sub(r"\((\d[\d.,]*)\)", r"\1", s)
    match = re.fullmatch(r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d*\.?\d+)(?:/(\d*\.?\d+))?", s)
    if not match:
        return None
    try:
        value = Fraction(match.group(1).replace(",", ""))
        if match.group(2):
            denominator = Fraction(match.group(2))
            if denominator == 0:
                return None
            value /= denominator
    except (ValueError, ZeroDivisionError):
        return None
    return -value if negative else value


def numbers_in(text: str) -> list[Fraction]:
    """Every number in ``text``, in order."""
    values = []
    for match in NUMBER.finditer(text.replace("\\frac", " \\frac")):
        value = to_number(match.group(0))
        if value is not None:
            values.append(value)
    for match in re.finditer(r"\\[dt]?frac\{(\d+)\}\{(\d+)\}", text):
        value = to_number(match.group(0))
        if value is not None:
            values.append(value)
    return values


def same_number(a: Fraction, b: Fraction) -> bool:
    return a == b or abs(a - b) <= REL_TOL * max(1, abs(b))


def _clean_span(span: str) -> str:
    span = span.strip()
    boxed = last_boxed(span)
    if boxed is not None:
        return boxed.strip()
    return span.strip(" *").rstrip(".").strip()


def final_span(text: str) -> Extraction:
    """The text after the last final-answer marker (``\\boxed``, ``####``, ``answer is``, ``Answer:``, ``A:``)."""
    best: tuple[int, str, str] | None = None
    for name, pattern in _MARKERS:
        for match in pattern.finditer(text):
            if best is None or match.start() >= best[0]:
                best = (match.start(), name, match.group(1))
    boxed_at = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if boxed_at >= 0 and (best is None or boxed_at > best[0]) and last_boxed(text) is not None:
        return Extraction(last_boxed(text).strip(), "boxed", boxed_at)
    if best is not None and _clean_span(best[2]):
        return Extraction(_clean_span(best[2]), best[1], best[0])
    return Extraction(None, "none")


def extract_answer(text: str, kind: str = "number") -> Extraction:
    """The final answer of a solution for an answer ``kind`` (``number``, ``letter``, ``latex``).

    For numbers the answer is the first number of the final span (``"The answer is 1,000 dollars"`` ->
    ``"1,000"``), else the last number of the text.
    """
    span = final_span(text)
    if kind == "latex":
        if span.answer is not None and span.answer.strip("$ "):
            return Extraction(span.answer.strip("$ "), span.method)
        return span
    if kind == "letter":
        if span.answer is not None:
            match = _LETTER.match(span.answer)
            if match:
                return Extraction(match.group(1), span.method, span.start)
        # the last option letter named anywhere ("Answer D", "C is correct", a line "B", "(E)") after the marker
        mentions = [(m.start(), m.group(1)) for pattern in _LETTER_MENTIONS for m in pattern.finditer(text)]
        mentions = [m for m in mentions if m[0] >= span.start]
        if mentions:
            start, letter = max(mentions)
            return Extraction(letter, "last-letter", start)
        if span.answer is not None:
            return span  # option text, judged against the options' text and numbers
        numbers = list(NUMBER.finditer(text))
        return Extraction(numbers[-1].group(0), "last-number", numbers[-1].start()) if numbers else span
    if span.answer is not None:
        if to_number(span.answer) is not None:  # the whole span is one number ("-(1/3)", "$1,000.00")
            return Extraction(span.answer.replace("$", "").strip(), span.method)
        match = NUMBER.search(span.answer.replace("\\frac", " \\frac"))
        fraction = re.search(r"\\[dt]?frac\{\d+\}\{\d+\}", span.answer)
        if fraction and (not match or fraction.start() <= match.start()):
            return Extraction(fraction.group(0), span.method)
        if match:
            return Extraction(match.group(0).strip(), span.method)
    matches = list(NUMBER.finditer(text))
    if matches:
        return Extraction(matches[-1].group(0).strip(), "last-number")
    return Extraction(None, "none")


def _math_verify(gold: str, answer: str) -> bool:
    from math_verify import parse, verify

    timeout = 5 if threading.current_thread() is threading.main_thread() else None
    answer = answer.strip().strip("$").strip()
    gold_parsed = parse(f"$\\boxed{{{gold}}}$", parsing_timeout=timeout)
    answer_parsed = parse(f"$\\boxed{{{answer}}}$", parsing_timeout=timeout)
    if not answer_parsed:
        answer_parsed = parse(answer, parsing_timeout=timeout)
    if not gold_parsed or not answer_parsed:
        return gold.replace(" ", "") == answer.replace(" ", "")
    return bool(verify(gold_parsed, answer_parsed, timeout_seconds=timeout))


def _normalise_text(text: str) -> str:
    text = re.sub(r"[^a-z0-9:/.; ]", " ", text.lower())
    text = re.sub(r"\b(the|a|an)\b", " ", text)
    return " ".join(text.split()).strip(" .")


def _judge_options(problem: Problem, extraction: Extraction) -> bool:
    if extraction.answer is None:
        return False
    if re.fullmatch(r"[A-E]", extraction.answer):
        return extraction.answer == problem.gold_answer
    options = parse_options(problem.options)
    gold_text = options.get(problem.gold_answer, "")
    if _normalise_text(extraction.answer) == _normalise_text(gold_text):
        return True
    answer_numbers, gold_numbers = numbers_in(extraction.answer), numbers_in(gold_text)
    if answer_numbers and gold_numbers and len(gold_numbers) == 1:
        matches = [k for k, v in options.items() if (n := numbers_in(v)) and len(n) == 1 and same_number(n[0], answer_numbers[0])]
        return matches == [problem.gold_answer]
    return False


def _judge_asdiv(gold: str, text: str, extraction: Extraction) -> bool:
    span = final_span(text).answer or extraction.answer or ""
    if ";" in gold:
        wanted = [to_number(part) for part in gold.split(";")]
        if all(w is not None for w in wanted):
            got = numbers_in(span)
            return len(got) == len(wanted) and all(same_number(g, w) for g, w in zip(got, wanted, strict=True))
    ratio = re.fullmatch(r"(\d+):(\d+)", gold.strip())
    if ratio:
        found = re.search(r"(\d+)\s*(?::|to)\s*(\d+)", span)
        return bool(found) and int(found.group(2)) != 0 and Fraction(int(found.group(1)), int(found.group(2))) == Fraction(
            int(ratio.group(1)), int(ratio.group(2))
        )
    norm_gold, norm_span = _normalise_text(gold), _normalise_text(span)
    return bool(norm_gold) and (norm_gold == norm_span or f" {norm_gold} " in f" {norm_span} ")


def judge(problem: Problem, solution: str) -> Verdict:
    """Judge one free-form ``solution`` of ``problem`` against its gold answer."""
    kind = problem.answer_kind
    if kind == "latex":
        extraction = extract_answer(solution, "latex")
        if extraction.answer is None:
            from math_verify import parse

            parsed = parse(solution, parsing_timeout=5 if threading.current_thread() is threading.main_thread() else None)
            if len(parsed) > 1:
                extraction = Extraction(str(parsed[1]), "math-verify")
        if extraction.answer is None:
            return Verdict(False, None, extraction.method, "no final answer")
        ok = _math_verify(problem.gold_answer, extraction.answer)
        return Verdict(ok, extraction.answer, extraction.method, "math-verify equal" if ok else "math-verify differ")
    if kind == "letter":
        extraction = extract_answer(solution, "letter")
        if extraction.answer is None:
            return Verdict(False, None, extraction.method, "no option chosen")
        ok = _judge_options(problem, extraction)
        return Verdict(ok, extraction.answer, extraction.method, "option match" if ok else "other option")
    extraction = extract_answer(solution, "number")
    gold_value = to_number(problem.gold_answer)
    if gold_value is None:  # ASDiv words, ratios, times, several answers
        ok = _judge_asdiv(problem.gold_answer, solution, extraction)
        span = final_span(solution).answer or extraction.answer
        if span is None:
            return Verdict(False, None, "none", "no final answer")
        return Verdict(ok, span, extraction.method, "text match" if ok else "text differs")
    if extraction.answer is None:
        return Verdict(False, None, extraction.method, "no number")
    value = to_number(extraction.answer)
    ok = value is not None and same_number(value, gold_value)
    return Verdict(ok, extraction.answer, extraction.method, "numbers equal" if ok else "numbers differ")
