"""Judging ToolHop answers: a typed judge (default) and the official substring rule (``containment``).

The official ToolHop evaluation counts a reply as correct when the gold answer is a substring of it, so a reply of
"-137" passes for the gold "137" and "1881 or 1991" passes for "1881". The typed judge compares the extracted
``<answer>`` by the row's ``answer_type``: numbers numerically with their sign, dates as calendar dates, letters and
strings case- and space-insensitively.

Example:
    >>> judge = JUDGES.get("typed")
    >>> judge("<answer>-137</answer>", "137", "number"), JUDGES.get("containment")("<answer>-137</answer>", "137", "number")
    (False, True)
    >>> judge("<answer>1,881</answer>", "1881", "number"), judge("<answer> T N </answer>", "tn", "string")
    (True, True)
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Callable

from knowbench.registry import Registry

#: A judge takes the model's final reply text, the gold answer and the row's answer type.
Judge = Callable[[str, str, str], bool]
JUDGES: Registry[Judge] = Registry("ToolHop judge")

_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
# a number with an optional sign; the sign only counts when it is not a hyphen inside a word ("COVID-19")
_NUMBER = re.compile(r"(?<![\w.])([-+\u2212]?)(\d[\d,_]*(?:\.\d+)?|\.\d+)(?:[eE]([-+]?\d+))?(?![\w])")
_MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}


def extract_answer(text: str) -> str | None:
    """The content of the last ``<answer>...</answer>`` in ``text`` (stripped), or ``None`` when there is none.

    Example:
        >>> extract_answer("I think <answer>Paris</answer>.")
        'Paris'
    """
    found = _ANSWER.findall(text or "")
    return found[-1].strip() if found else None


def parse_numbers(text: str) -> list[float]:
    """Every number in ``text`` with its sign (thousands separators allowed).

    Example:
        >>> parse_numbers("from -137 to 1,881.5 (COVID-19)")
        [-137.0, 1881.5, 19.0]
    """
    values = []
    for sign, digits, exponent in _NUMBER.findall(text):
        try:
            value = float(digits.replace(",", "").replace("_", "") + (f"e{exponent}" if exponent else ""))
        except ValueError:
            continue
        values.append(-value if sign in ("-", "\u2212") else value)
    return values


def parse_number(text: str) -> float | None:
    """The one number an answer states: the whole text as a number, else its only number; ``None`` if ambiguous."""
    numbers = parse_numbers(_strip_wrappers(text))
    return numbers[0] if len(numbers) == 1 else None


def parse_date(text: str) -> datetime.date | None:
    """A calendar date from ISO (``1992-09-06``), ``6 September 1992`` or ``September 6, 1992``; else ``None``.

    Example:
        >>> parse_date("September 6, 1992") == parse_date("1992-09-06") == parse_date("6th Sept. 1992")
        True
    """
    text = _strip_wrappers(text).lower().replace(",", " ").replace(".", " ")
    try:
        match = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", text)
        if match:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        month_names = "|".join(sorted(_MONTHS, key=len, reverse=True))
        match = re.search(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({month_names})\s+(\d{{3,4}})\b", text)
        if match:
            return datetime.date(int(match[3]), _MONTHS[match[2]], int(match[1]))
        match = re.search(rf"\b({month_names})\s+(\d{{1,2}})(?:st|nd|rd|th)?\s+(\d{{3,4}})\b", text)
        if match:
            return datetime.date(int(match[3]), _MONTHS[match[1]], int(match[2]))
    except ValueError:  # 31 February and friends
        return None
    return None


def _strip_wrappers(text: str) -> str:
    """Remove surrounding quotes, brackets, markdown emphasis and end punctuation."""
    previous = None
    while previous != text:
        previous = text
        text = text.strip().strip("\"'`*_()[]{}“”‘’").strip().rstrip(".!?;:")
    return text


def normalise_text(text: str) -> str:
    """Unicode-normalised, case-folded, without whitespace or surrounding quotes/punctuation.

    Example:
        >>> normalise_text('  "John  Smith". ') == normalise_text("johnsmith")
        True
    """
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", _strip_wrappers(text).casefold())


def typed_match(prediction: str | None, gold: str, answer_type: str) -> bool:
    """Compare an extracted answer with the gold answer by ``answer_type``."""
    if prediction is None or not prediction.strip():
        return False
    kind = answer_type.strip().lower()
    if kind == "number":
        gold_value = parse_number(gold)
        value = parse_number(prediction)
        if gold_value is None or value is None:
            return normalise_text(prediction) == normalise_text(gold)
        return math.isclose(value, gold_value, rel_tol=1e-9, abs_tol=1e-9)
    if kind == "date":
        gold_date, date = parse_date(gold), parse_date(prediction)
        if gold_date is not None and date is not None:
            return gold_date == date
        return normalise_text(prediction) == normalise_text(gold)
    # letters, strings, names and any other type: case- and space-insensitive text
    return normalise_text(prediction) == normalise_text(gold)


@JUDGES.register("typed")
def typed_judge(reply: str, gold: str, answer_type: str) -> bool:
    """The ``<answer>`` of ``reply`` matches ``gold`` by type; a reply without an ``<answer>`` tag is wrong."""
    return typed_match(extract_answer(reply), gold, answer_type)


@JUDGES.register("containment")
def containment_judge(reply: str, gold: str, answer_type: str) -> bool:
    """The official ToolHop rule: the gold answer is a (case-sensitive) substring of the reply."""
    return bool(gold) and str(gold) in (reply or "")
